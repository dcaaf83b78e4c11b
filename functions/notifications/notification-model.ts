import { randomBytes } from 'node:crypto';
import type { KeyRecord } from '../keys/key-model.js';
import { keyStatus } from '../keys/key-model.js';

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

/** Schedule names are unique per key and slot, so creating one twice is an update, never a second schedule. */
export function scheduleName(keyId: string, slot: Slot): string {
  return `key-${keyId}-${slot}`;
}

/** What the notifier is invoked with: never a secret, only what identifies the notification. */
export interface NotificationFire {
  keyId: string;
  slot: Slot;
  rev: string;
}

export interface DesiredSchedule {
  name: string;
  /** ISO 8601 UTC, whole seconds (`.000Z`). */
  at: string;
  input: NotificationFire;
}

/**
 * The schedules a key should have: one per notification not yet fired, while the key is active.
 * A deleted, expired or vanished (TTL) key has none.
 */
export function desiredSchedules(key: (KeyRecord & KeyNotificationFields) | undefined, now: Date): DesiredSchedule[] {
  if (!key || keyStatus(key, now) !== 'active') return [];
  return notificationsOf(key)
    .filter(({ notification }) => notification.firedAt === undefined)
    .map(({ slot, notification }) => ({
      name: scheduleName(key.id, slot),
      at: notification.at,
      input: { keyId: key.id, slot, rev: notification.rev },
    }));
}

export function sameSchedules(a: DesiredSchedule[], b: DesiredSchedule[]): boolean {
  const text = (list: DesiredSchedule[]) => JSON.stringify([...list].sort((x, y) => x.name.localeCompare(y.name)));
  return text(a) === text(b);
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
