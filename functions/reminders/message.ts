import type { ExpiringPayload, NotificationMessage } from '../channels/channel-message.js';
import type { Channel } from '../channels/channel-store.js';
import { effectiveExpiry, type KeyRecord, keyStatus } from '../keys/key-model.js';
import type { StoredNotification } from '../keys/key-notifications.js';
import { notificationMessageId } from '../shared/ids.js';

function span(from: Date, to: Date): string {
  const minutes = Math.max(0, Math.round((to.getTime() - from.getTime()) / 60_000));
  if (minutes < 90) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} hours`;
  return `${Math.round(hours / 24)} days`;
}

export function expiryMessage(key: KeyRecord, notification: StoredNotification, channel: Channel, now: Date): NotificationMessage {
  const expiry = effectiveExpiry(key);
  const inWords = span(now, new Date(expiry.at));
  const subject = `keygate: API key "${key.name}" of ${key.owner} expires in ${inWords}`;
  const why =
    expiry.reason === 'expires_at'
      ? 'Why: it reaches its fixed expiry date (expiresAt). An expiry can be shortened, never extended.'
      : `Why: it has not been used since ${key.lastUsedAt ?? key.createdAt}, and keygate expires keys that stay unused that long (inactivity expiry). Using the key before then moves that date.`;
  const text = [
    `The keygate API key "${key.name}" (id ${key.id}, owner ${key.owner}) expires at ${expiry.at} (UTC), in ${inWords}.`,
    why,
    '',
    'What to do:',
    `- Still needed? Create a replacement key (POST /v1/keys), move the integration to it, then delete this one (DELETE /v1/keys/${key.id}).`,
    ...(expiry.reason === 'inactivity' ? ['- Or keep this one alive by using it: every use pushes the inactivity expiry back.'] : []),
    `- No longer needed? Let it expire, or delete it now (DELETE /v1/keys/${key.id}).`,
    '',
    `Key details: GET /v1/keys/${key.id}`,
    `You get this message because the key has a notification for ${notification.at} on the channel "${channel.name}".`,
    'It contains no key or secret.',
  ].join('\n');
  return message(key, notification, channel, now, subject, text, {
    type: 'key.expiring',
    data: {
      expiresAt: expiry.at,
      expiryReason: expiry.reason,
      fixedExpiresAt: key.expiresAt,
      inactivityExpiresAt: key.inactiveAt,
    },
  });
}

type Payload = NotificationMessage['payload'];
type Specific<P extends Payload> = P extends Payload ? { type: P['type']; data: Omit<P['data'], keyof MessageData> } : never;
type MessageData = Pick<ExpiringPayload['data'], 'notificationId' | 'key' | 'notificationAt' | 'channel' | 'subject' | 'text'>;

/** A message of either kind: what every message says of its key, notification and channel, and what its kind adds. */
function message(
  key: KeyRecord,
  notification: StoredNotification,
  channel: Channel,
  now: Date,
  subject: string,
  text: string,
  specific: Specific<Payload>,
): NotificationMessage {
  const id = notificationMessageId(notification.rev);
  const common: MessageData = {
    notificationId: id,
    key: { id: key.id, name: key.name, owner: key.owner },
    notificationAt: notification.at,
    channel: { id: channel.id, name: channel.name },
    subject,
    text,
  };
  return { id, subject, text, payload: { type: specific.type, timestamp: now.toISOString(), data: { ...common, ...specific.data } } as Payload };
}

/**
 * The alert that a key was reported leaked and suspended (leaks.action `suspend`): what happened,
 * that every use is refused now, and what to do. Like every message, it holds no key or secret.
 */
export function leakMessage(key: KeyRecord, notification: StoredNotification, channel: Channel, now: Date): NotificationMessage {
  const status = keyStatus(key, now);
  const subject = `keygate: API key "${key.name}" of ${key.owner} was found in public and suspended`;
  const text = [
    `GitHub secret scanning found the string of the keygate API key "${key.name}" (id ${key.id}, owner ${key.owner}) in public, and keygate suspended the key at ${key.suspendedAt ?? notification.at} (UTC).`,
    ...(key.suspendedReason === undefined ? [] : [`Reason recorded: ${key.suspendedReason}`]),
    status === 'suspended' ? 'Every use of it is refused now: management API, token endpoint, verify and the authorizer.' : `Its status is now ${status}.`,
    '',
    'What to do:',
    '- Treat the key string as known to strangers. Remove it from where it was published.',
    `- Create a replacement key (POST /v1/keys), move the integration to it, then delete this one (DELETE /v1/keys/${key.id}).`,
    `- Only if you are sure the string was never usable by anyone else: resume it (POST /v1/keys/${key.id}/resume).`,
    '',
    `Key details: GET /v1/keys/${key.id}; the audit log has the report (action key.leaked).`,
    `You get this message on the channel "${channel.name}" because it carries the key owner's notifications.`,
    'It contains no key or secret.',
  ].join('\n');
  return message(key, notification, channel, now, subject, text, {
    type: 'key.leaked',
    data: { status, suspendedAt: key.suspendedAt ?? null, suspendedReason: key.suspendedReason ?? null },
  });
}
