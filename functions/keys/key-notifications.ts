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
  /** Why it failed or was dropped: for people, never a secret. */
  detail?: string;
}

/** `own` is the key's notification; `default-<i>` the i-th default reminder. */
export type Slot = 'own' | `default-${number}`;

export interface KeyNotificationFields {
  notification?: StoredNotification | null;
  defaultNotifications?: StoredNotification[];
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

export function notificationAt(key: KeyNotificationFields, slot: string): StoredNotification | undefined {
  if (slot === 'own') return key.notification ?? undefined;
  const match = /^default-(\d{1,2})$/.exec(slot);
  return match ? key.defaultNotifications?.[Number(match[1])] : undefined;
}

/** The attribute path of a slot inside the key item (for conditional updates of one notification). */
export function slotPath(slot: Slot): { path: string; names: Record<string, string> } {
  if (slot === 'own') return { path: '#n', names: { '#n': 'notification' } };
  const index = Number(slot.slice('default-'.length));
  return { path: `#n[${index}]`, names: { '#n': 'defaultNotifications' } };
}

/** What the API shows of a notification. */
export function notificationDetails(n: StoredNotification) {
  return {
    at: n.at,
    channelId: n.channelId,
    before: n.before ?? null,
    status: n.firedAt === undefined ? 'scheduled' : (n.outcome ?? 'sending'),
    firedAt: n.firedAt ?? null,
    ...(n.detail === undefined ? {} : { detail: n.detail }),
  };
}

/** Whole seconds, rounded up: a notification never fires before the time asked for. */
export function toScheduleTime(date: Date): string {
  return new Date(Math.ceil(date.getTime() / 1000) * 1000).toISOString();
}
