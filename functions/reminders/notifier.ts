import { changeCommitted, changeEntry } from '../audit/audit-service.js';
import { auditEntryPut } from '../audit/audit-store.js';
import { logger } from '../observability/logger.js';
import { countNotification } from '../observability/metrics.js';
import { isLive, keyStatus } from '../keys/key-model.js';
import { claimNotification, findKey, recordNotificationOutcome } from '../keys/key-store.js';
import type { Deps } from '../runtime/deps.js';
import { type Channel, findChannel, mayCarry } from '../channels/channel-store.js';
import { DeliveryError, deliver } from '../channels/delivery.js';
import { expiryMessage, leakMessage } from './message.js';
import { isLeakAlert, notificationAt, slotPath } from '../keys/key-notifications.js';
import type { NotificationFire } from './schedules.js';

export type FireOutcome =
  | { result: 'sent' }
  | { result: 'failed'; detail: string }
  | { result: 'dropped'; detail: string };

/**
 * Runs when a schedule fires. The schedule only says which notification (key, slot, rev); the
 * key is re-read, strongly consistent, and the message is sent only if the key still holds that
 * very notification, unfired, and is active. So a schedule that is late, stale (the notification
 * changed or was cancelled) or outlived its key sends nothing. The claim is a conditional write:
 * of concurrent or repeated firings one sends, and a key deleted before it never gets a message.
 * A failed delivery is recorded on the key (its details show it), not retried forever.
 */
export async function fireNotification(deps: Deps, fire: NotificationFire): Promise<FireOutcome> {
  const seen: { channel?: Channel } = {};
  const outcome = await run(deps, fire, seen);
  logger.info('notification', { keyId: fire.keyId, slot: fire.slot, ...outcome });
  countNotification(outcome.result, seen.channel?.type ?? 'unknown');
  return outcome;
}

/** The notifier acts on its own, not for a caller: this is its name in the audit log. */
export const NOTIFIER_ACTOR = 'keygate-notifier';

/** Records the outcome on the key with its audit entry (notification.sent / failed / dropped), in one transaction. */
async function recordOutcome(deps: Deps, keyId: string, fire: NotificationFire, channelId: string, result: FireOutcome['result'], detail?: string) {
  const audit = changeEntry(deps, { actor: { owner: NOTIFIER_ACTOR } }, `notification.${result}`, {
    keyId,
    details: { slot: fire.slot, channelId, ...(detail === undefined ? {} : { detail }) },
  });
  await recordNotificationOutcome(deps, keyId, slotPath(fire.slot), fire.rev, result, auditEntryPut(deps, audit), detail);
  changeCommitted(audit);
}

async function run(deps: Deps, fire: NotificationFire, seen: { channel?: Channel }): Promise<FireOutcome> {
  const key = await findKey(deps, fire.keyId);
  if (!key) return { result: 'dropped', detail: 'the key no longer exists' };
  const notification = notificationAt(key, fire.slot);
  if (!notification || notification.rev !== fire.rev) return { result: 'dropped', detail: 'the notification was changed or cancelled after this schedule was made' };
  if (notification.firedAt !== undefined) return { result: 'dropped', detail: 'the notification has already fired' };
  if (notification.canceledAt !== undefined) return { result: 'dropped', detail: 'the notification was canceled' };
  const now = deps.clock();
  const status = keyStatus(key, now);
  if (!isLive(status)) return { result: 'dropped', detail: `the key is ${status}` };

  const slot = slotPath(fire.slot);
  if (!(await claimNotification(deps, key.id, slot, fire.rev, now))) {
    return { result: 'dropped', detail: 'the key was deleted or changed, or the notification fired, meanwhile' };
  }
  const channel = await findChannel(deps, notification.channelId);
  if (!channel) {
    const detail = `the channel ${notification.channelId} was deleted`;
    await recordOutcome(deps, key.id, fire, notification.channelId, 'dropped', detail);
    return { result: 'dropped', detail };
  }
  seen.channel = channel;
  // The rules at set time already keep a key's notifications off other owners' channels
  // (keys/key-reminders.ts); checked again here so no path can deliver one there.
  if (!mayCarry(channel, key.owner, true)) {
    const detail = `the channel ${channel.id} is neither of the key's owner nor an admin channel`;
    await recordOutcome(deps, key.id, fire, channel.id, 'dropped', detail);
    return { result: 'dropped', detail };
  }
  try {
    const message = isLeakAlert(fire.slot) ? leakMessage : expiryMessage;
    await deliver(deps, channel, key, message(key, notification, channel, now));
  } catch (error) {
    if (!(error instanceof DeliveryError)) throw error;
    await recordOutcome(deps, key.id, fire, channel.id, 'failed', error.message);
    return { result: 'failed', detail: error.message };
  }
  await recordOutcome(deps, key.id, fire, channel.id, 'sent');
  return { result: 'sent' };
}
