import { isLive, keyStatus, type KeyRecord } from '../keys/key-model.js';
import { isPending, type KeyNotificationFields, scheduledNotificationsOf, type Slot } from '../keys/key-notifications.js';

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
 * The schedules a key should have: one per notification not yet fired (nor canceled), while the key
 * is active or suspended (its expiry keeps running, and it may be resumed).
 * A deleted, expired or vanished (TTL) key has none.
 */
export function desiredSchedules(key: (KeyRecord & KeyNotificationFields) | undefined, now: Date): DesiredSchedule[] {
  if (!key || !isLive(keyStatus(key, now))) return [];
  return scheduledNotificationsOf(key)
    .filter(({ notification }) => isPending(notification))
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

/** Where schedules live: EventBridge Scheduler on AWS, DynamoDB Local items in the local run. */
export interface SchedulePort {
  /** Creates the schedule, or updates the one of that name: calling it twice leaves one schedule. */
  put(schedule: DesiredSchedule): Promise<void>;
  /** Deletes it; a schedule that is already gone is not an error. */
  remove(name: string): Promise<void>;
}

/** What the schedule sync needs on top of Deps (see channels/channel-deps.ts for the rest of `deps.notifications`). */
export interface ReminderDeps {
  schedules?: SchedulePort;
}
