import { randomBytes } from 'node:crypto';

/**
 * A key's expiry notifications, as stored on the key record itself (so every change to them is
 * part of the key's own conditional write, and the key item stays the one truth schedules
 * follow). A key holds either its own notification (`notification`), or the deployment's
 * default reminders (`defaultNotifications`), or neither (`notification: null`: opted out).
 */
export interface StoredNotification {
  /** When it fires: ISO 8601 UTC like every stored time, in whole seconds (the Scheduler's `at()` has no finer grain). */
  at: string;
  channelId: string;
  /** Set when `at` was given relative to the fixed expiry (`P7D` before): it follows a shortened expiry. */
  before?: string;
  /**
   * New on every (re)set or change. The schedule's input carries it; the notifier sends only
   * while the key still holds the same `rev`, so a late or stale schedule never sends.
   */
  rev: string;
  /** The notifier claimed it (sends at most once). */
  firedAt?: string;
  outcome?: 'sent' | 'failed' | 'dropped';
  /**
   * Canceled before it fired: replaced or cancelled by an edit (then it moves to the history), or
   * its schedule was deleted outside keygate (functions/reminders/schedule-deletions.ts; then it
   * stays in its slot, canceled, and no schedule is made for it again).
   */
  canceledAt?: string;
  /** Why it failed, was dropped or canceled: for people, never a secret. */
  detail?: string;
}

/** The key's earlier notifications, oldest first, at most MAX_NOTIFICATION_HISTORY: fired, or canceled. */
export const MAX_NOTIFICATION_HISTORY = 20;

/** `own` is the key's notification; `default-<i>` the i-th default reminder; `leak-<i>` the i-th leak alert. */
export type Slot = 'own' | `default-${number}` | `leak-${number}`;

/** A schedule name's or a notifier input's slot, as text. */
export const SLOT_PATTERN = 'own|default-\\d{1,2}|leak-\\d{1,2}';

export interface KeyNotificationFields {
  notification?: StoredNotification | null;
  defaultNotifications?: StoredNotification[];
  /** Notifications the key held before (see MAX_NOTIFICATION_HISTORY): the record Redwood keeps of a canceled one. */
  notificationHistory?: StoredNotification[];
  /**
   * Alerts that the key was reported leaked and suspended (functions/leaks/leak-reports.ts, the
   * deployment's `leaks.action: 'suspend'`): one per channel, sent by the notifier like an expiry
   * reminder, a minute after the report. Set once, by the report; edits leave them alone.
   */
  leakAlerts?: StoredNotification[];
}

/** Still to fire: neither fired nor canceled. */
export function isPending(n: StoredNotification): boolean {
  return n.firedAt === undefined && n.canceledAt === undefined;
}

/**
 * The history after an edit that turns `before`'s notifications into `after`'s: every
 * notification `before` held that `after` no longer holds (by `rev`) is appended, marked canceled
 * at `now` if it had not fired. Undefined when nothing left.
 */
export function historyAfterEdit(before: KeyNotificationFields, after: KeyNotificationFields, now: Date): StoredNotification[] | undefined {
  const kept = new Set(notificationsOf(after).map(({ notification }) => notification.rev));
  const ended = notificationsOf(before)
    .map(({ notification }) => notification)
    .filter((n) => !kept.has(n.rev))
    .map((n) => (isPending(n) ? { ...n, canceledAt: now.toISOString(), detail: 'canceled: the key\'s notification was changed or removed' } : n));
  if (ended.length === 0) return undefined;
  return [...(before.notificationHistory ?? []), ...ended].slice(-MAX_NOTIFICATION_HISTORY);
}

export function newRev(): string {
  return randomBytes(12).toString('base64url');
}

/** Every notification a key holds, with its slot. */
export function notificationsOf(key: KeyNotificationFields): { slot: Slot; notification: StoredNotification }[] {
  const out: { slot: Slot; notification: StoredNotification }[] = [];
  if (key.notification) out.push({ slot: 'own', notification: key.notification });
  (key.defaultNotifications ?? []).forEach((notification, i) => out.push({ slot: `default-${i}`, notification }));
  return out;
}

/** Every notification the notifier may send for a key: its expiry notifications and its leak alerts. */
export function scheduledNotificationsOf(key: KeyNotificationFields): { slot: Slot; notification: StoredNotification }[] {
  const alerts = (key.leakAlerts ?? []).map((notification, i) => ({ slot: `leak-${i}` as Slot, notification }));
  return [...notificationsOf(key), ...alerts];
}

export function isLeakAlert(slot: Slot): slot is `leak-${number}` {
  return slot.startsWith('leak-');
}

export function notificationAt(key: KeyNotificationFields, slot: string): StoredNotification | undefined {
  if (slot === 'own') return key.notification ?? undefined;
  const match = /^(default|leak)-(\d{1,2})$/.exec(slot);
  if (!match) return undefined;
  return (match[1] === 'leak' ? key.leakAlerts : key.defaultNotifications)?.[Number(match[2])];
}

/** The attribute path of a slot inside the key item (for conditional updates of one notification). */
export function slotPath(slot: Slot): { path: string; names: Record<string, string> } {
  if (slot === 'own') return { path: '#n', names: { '#n': 'notification' } };
  const [list, index] = slot.startsWith('leak-') ? ['leakAlerts', slot.slice('leak-'.length)] : ['defaultNotifications', slot.slice('default-'.length)];
  return { path: `#n[${Number(index)}]`, names: { '#n': list } };
}

/** What the API shows of a notification. */
export function notificationDetails(n: StoredNotification) {
  return {
    at: n.at,
    channelId: n.channelId,
    before: n.before ?? null,
    status: n.canceledAt !== undefined ? 'canceled' : n.firedAt === undefined ? 'scheduled' : (n.outcome ?? 'sending'),
    firedAt: n.firedAt ?? null,
    ...(n.canceledAt === undefined ? {} : { canceledAt: n.canceledAt }),
    ...(n.detail === undefined ? {} : { detail: n.detail }),
  };
}

/** Whole seconds, rounded up: a notification never fires before the time asked for. */
export function toScheduleTime(date: Date): string {
  return new Date(Math.ceil(date.getTime() / 1000) * 1000).toISOString();
}
