import type { KeyRecord } from './key-model.js';
import type { Principal } from '../permissions/principal.js';
import type { Deps } from '../runtime/deps.js';
import { parseDuration, subtractDuration } from '../shared/durations.js';
import { ValidationError } from '../shared/errors.js';
import { findAdminChannelByName, findChannel, mayCarry } from '../channels/channel-store.js';
import { findOwnerDefaultChannel } from '../channels/owner-default-channel.js';
import { mayAccess } from '../permissions/ownership.js';
import { historyAfterEdit, isPending, type KeyNotificationFields, newRev, type StoredNotification, toScheduleTime } from './key-notifications.js';
import type { NotificationInput } from './schemas.js';

/**
 * Turns a create or PATCH request's `notification` into what the key stores. The rules:
 * `at` lies in the future and before the key's expiry; a relative `at` (`P7D`) counts back from
 * the fixed expiry and follows it when the expiry is shortened; the channel must be one of the
 * key's owner, or an admin channel if the caller is an admin (channels/channel-store.ts: mayCarry).
 * A key that names no notification gets the deployment's default reminders, if a default
 * channel exists; `null` cancels its notification and opts it out of the defaults.
 */

type Expiry = Pick<KeyRecord, 'expiresAt' | 'inactiveAt'>;
type Caller = Pick<Principal, 'owner' | 'expanded'>;

function invalid(message: string): ValidationError {
  return new ValidationError(message, 'invalid_notification');
}

/** The latest a notification may fire: the fixed expiry, or for a key without one, its inactivity expiry. */
function limitOf(key: Expiry): string {
  return key.expiresAt ?? key.inactiveAt;
}

function checkTime(at: Date, key: Expiry, now: Date, what: string): void {
  if (at.getTime() <= now.getTime()) throw invalid(`${what} ${at.toISOString()} is in the past: it must lie in the future`);
  const limit = limitOf(key);
  if (at.getTime() >= Date.parse(limit)) throw invalid(`${what} ${at.toISOString()} is not before the key expires (${limit}): it must lie before the expiry`);
}

function resolveTime(text: string, key: Expiry): { at: Date; before?: string } {
  if (/^P/i.test(text)) {
    const duration = parseDuration(text, 'notification.at');
    if (key.expiresAt === null) throw invalid('this key has no fixed expiry to count back from: give notification.at as a date-time');
    return { at: subtractDuration(new Date(key.expiresAt), duration), before: text.toUpperCase() };
  }
  const at = new Date(text);
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(text) || Number.isNaN(at.getTime())) {
    throw invalid(`notification.at must be an ISO 8601 date-time (2026-12-24T09:00:00Z) or a duration before expiry (P7D); got "${text}"`);
  }
  return { at };
}

/** Keeps the previous rev when nothing changed, so an edit of other fields does not reschedule. */
function withRev(next: Omit<StoredNotification, 'rev'>, previous: StoredNotification | null | undefined): StoredNotification {
  if (previous && isPending(previous) && previous.at === next.at && previous.channelId === next.channelId) {
    return { ...next, rev: previous.rev };
  }
  return { ...next, rev: newRev() };
}

/**
 * Checks that a key of `keyOwner` may notify on the channel. A channel the caller may not see is
 * unknown to it, as a missing one; a channel it sees but the key may not use says why.
 */
async function checkChannel(deps: Deps, caller: Caller, channelId: string, keyOwner: string): Promise<void> {
  const channel = await findChannel(deps, channelId);
  if (!channel || !mayAccess(caller, channel.owner)) {
    throw new ValidationError(`there is no channel ${channelId} (GET /v1/channels lists them)`, 'unknown_channel');
  }
  if (!mayCarry(channel, keyOwner, caller.expanded.admin)) {
    throw new ValidationError(
      `channel ${channelId} belongs to owner "${channel.owner}": a key's notification may go to a channel of the key's owner ("${keyOwner}"), or, set by an admin, to an admin channel`,
      'channel_not_allowed',
    );
  }
}

async function resolveOwn(
  deps: Deps,
  caller: Caller,
  input: NonNullable<NotificationInput>,
  key: Expiry & Pick<KeyRecord, 'owner'>,
  now: Date,
  previous?: StoredNotification | null,
): Promise<StoredNotification> {
  const { at, before } = resolveTime(input.at, key);
  const rounded = new Date(toScheduleTime(at));
  checkTime(rounded, key, now, 'notification.at');
  await checkChannel(deps, caller, input.channelId, key.owner);
  return withRev({ at: rounded.toISOString(), channelId: input.channelId, ...(before === undefined ? {} : { before }) }, previous);
}

/**
 * The default reminders still ahead, one per `defaultBefore` and target channel. The targets: the
 * key owner's own default channel (channels/owner-default-channel.ts), if the owner marked one,
 * plus the admin default channel when the deployment says `defaultsAlsoToAdminChannel`; an owner
 * without one gets the admin default channel alone. The admin default channel is the admin
 * channel named `notifications.defaultChannel`, found among admin channels only (which only admins
 * create or delete, and whose names are unique deployment-wide), never among owners' channels:
 * otherwise any principal of one owner, admin or not, could create, replace or delete the channel
 * every owner's reminders go to. An owner's own default is one of its own channels, which may carry
 * its keys' notifications anyway (mayCarry).
 */
async function defaultsFor(
  deps: Deps,
  key: Expiry & Pick<KeyRecord, 'owner'>,
  now: Date,
  previous: StoredNotification[] = [],
): Promise<StoredNotification[]> {
  const { defaultBefore, defaultChannel, defaultsAlsoToAdminChannel } = deps.config.notifications;
  // `defaultChannel: null` turns the default reminders off altogether, owners' default channels too.
  if (defaultChannel === null || defaultBefore.length === 0 || key.expiresAt === null) return [];
  const own = await findOwnerDefaultChannel(deps, key.owner);
  const skipAdmin = own !== undefined && !defaultsAlsoToAdminChannel;
  const admin = skipAdmin ? undefined : await findAdminChannelByName(deps, defaultChannel);
  const targets = own === undefined ? [admin] : admin === undefined || admin.id === own.id ? [own] : [own, admin];
  const out: StoredNotification[] = [];
  for (const channel of targets) {
    if (channel === undefined) continue;
    for (const before of defaultBefore) {
      const at = new Date(toScheduleTime(subtractDuration(new Date(key.expiresAt), before)));
      if (at.getTime() <= now.getTime()) continue;
      const earlier = previous.find((p) => p.before === before && p.channelId === channel.id);
      out.push(withRev({ at: at.toISOString(), channelId: channel.id, before }, earlier));
    }
  }
  return out;
}

export async function notificationsForNewKey(
  deps: Deps,
  caller: Caller,
  input: NotificationInput | undefined,
  key: Expiry & Pick<KeyRecord, 'owner'>,
  now: Date,
): Promise<KeyNotificationFields> {
  if (input === null) return { notification: null };
  if (input === undefined) {
    const defaults = await defaultsFor(deps, key, now);
    return defaults.length === 0 ? {} : { defaultNotifications: defaults };
  }
  return { notification: await resolveOwn(deps, caller, input, key, now) };
}

/**
 * The notification fields of an edited key; `after` already carries the new expiry. A
 * notification the edit replaces or removes moves to `notificationHistory` (canceled, unless it
 * had fired), so the key's details keep its record.
 */
export async function notificationsForEdit(
  deps: Deps,
  caller: Caller,
  input: NotificationInput | undefined,
  before: KeyRecord & KeyNotificationFields,
  after: Expiry,
  now: Date,
): Promise<KeyNotificationFields> {
  const next = await nextNotifications(deps, caller, input, before, after, now);
  const history = historyAfterEdit(before, next, now);
  return history === undefined ? next : { ...next, notificationHistory: history };
}

async function nextNotifications(
  deps: Deps,
  caller: Caller,
  input: NotificationInput | undefined,
  before: KeyRecord & KeyNotificationFields,
  after: Expiry,
  now: Date,
): Promise<KeyNotificationFields> {
  if (input === null) return { notification: null, defaultNotifications: undefined };
  if (input !== undefined) return { notification: await resolveOwn(deps, caller, input, { ...after, owner: before.owner }, now, before.notification), defaultNotifications: undefined };
  const unchanged = { notification: before.notification, defaultNotifications: before.defaultNotifications };
  if (after.expiresAt === before.expiresAt) return unchanged;

  // The expiry was shortened: a relative notification follows it, an absolute one must still fit.
  const own = before.notification;
  if (own && isPending(own)) {
    if (own.before !== undefined) {
      const at = new Date(toScheduleTime(subtractDuration(new Date(after.expiresAt ?? own.at), own.before)));
      try {
        checkTime(at, after, now, `the notification ${own.before} before the new expiry,`);
      } catch (error) {
        throw invalid(`${(error as Error).message}; change or cancel the notification in the same request`);
      }
      return { notification: withRev({ at: at.toISOString(), channelId: own.channelId, before: own.before }, own), defaultNotifications: undefined };
    }
    try {
      checkTime(new Date(own.at), after, now, 'the notification at');
    } catch (error) {
      throw invalid(`${(error as Error).message}; change or cancel the notification in the same request`);
    }
    return unchanged;
  }
  if (before.defaultNotifications !== undefined) {
    const defaults = await defaultsFor(deps, { ...after, owner: before.owner }, now, before.defaultNotifications);
    return { notification: before.notification, defaultNotifications: defaults.length === 0 ? undefined : defaults };
  }
  return unchanged;
}

/**
 * The notification settings a rotation carries to the successor (`successor` already has its
 * expiry): a notification set relative to the expiry (`P7D`) counts back from the successor's;
 * one at a fixed time carries over while it lies ahead within the successor's lifetime; opted
 * out stays opted out; otherwise the successor gets the default reminders. The channel is the
 * key's setting, carried as set (not re-checked against the rotating caller, who may not see an
 * admin channel); the notifier drops a notification whose channel is gone or not allowed.
 */
export async function notificationsForSuccessor(deps: Deps, old: KeyRecord, successor: Expiry & Pick<KeyRecord, 'owner'>, now: Date): Promise<KeyNotificationFields> {
  if (old.notification === null) return { notification: null };
  const own = old.notification;
  if (own) {
    let at: Date | undefined;
    if (own.before === undefined) at = new Date(own.at);
    else if (successor.expiresAt !== null) at = new Date(toScheduleTime(subtractDuration(new Date(successor.expiresAt), own.before)));
    if (at !== undefined && at.getTime() > now.getTime() && at.getTime() < Date.parse(limitOf(successor))) {
      const before = own.before === undefined ? {} : { before: own.before };
      return { notification: { at: at.toISOString(), channelId: own.channelId, ...before, rev: newRev() } };
    }
  }
  const defaults = await defaultsFor(deps, successor, now);
  return defaults.length === 0 ? {} : { defaultNotifications: defaults };
}
