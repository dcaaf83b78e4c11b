import { Webhook } from 'standardwebhooks';
import type { Deps } from '../shared/deps.js';
import type { Channel } from './channel-store.js';
import type { NotificationMessage } from './message.js';
import { storeOperatorMessage } from './operator-messages.js';

/** Webhook attempts within one notifier run, and the wait before each retry. */
const WEBHOOK_RETRY_DELAYS_MS = [1_000, 4_000];
const WEBHOOK_TIMEOUT_MS = 10_000;

export class DeliveryError extends Error {}

/**
 * Sends a webhook signed by the Standard Webhooks scheme: HMAC-SHA256 with the channel's secret
 * over `<webhook-id>.<webhook-timestamp>.<body>`. Receivers verify with any Standard Webhooks
 * library, which also refuses a timestamp older than 5 minutes (replays) and lets them drop a
 * repeated webhook-id. Each attempt is signed afresh, so a retry carries a current timestamp.
 */
async function sendWebhook(deps: Deps, channel: Extract<Channel, { type: 'webhook' }>, message: NotificationMessage): Promise<void> {
  const body = JSON.stringify(message.payload);
  const signer = new Webhook(channel.signingSecret);
  let lastError = '';
  for (let attempt = 0; attempt <= WEBHOOK_RETRY_DELAYS_MS.length; attempt++) {
    if (attempt > 0) await new Promise((done) => setTimeout(done, WEBHOOK_RETRY_DELAYS_MS[attempt - 1]));
    const timestamp = deps.clock();
    try {
      const response = await fetch(channel.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'keygate-notifier',
          'webhook-id': message.id,
          'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
          'webhook-signature': signer.sign(message.id, timestamp, body),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      await response.body?.cancel();
      if (response.status >= 200 && response.status < 300) return;
      lastError = `the webhook answered HTTP ${response.status}`;
      // A 4xx other than 408/429 will not change on a retry.
      if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) break;
    } catch (error) {
      lastError = `the webhook could not be reached: ${(error as Error).name === 'TimeoutError' ? 'timed out' : ((error as Error).cause as Error | undefined)?.message ?? (error as Error).message}`;
    }
  }
  throw new DeliveryError(lastError);
}

/** Delivers a message on a channel; a DeliveryError says why it could not, in words for people. */
export async function deliver(deps: Deps, channel: Channel, keyId: string, message: NotificationMessage): Promise<void> {
  if (channel.type === 'operator') return storeOperatorMessage(deps, channel, keyId, message);
  if (channel.type === 'webhook') return sendWebhook(deps, channel, message);
  const email = deps.notifications?.email;
  if (!email) throw new Error('keygate is misconfigured: no email sender for email channels');
  try {
    await email.send({ to: channel.addresses, subject: message.subject, text: message.text });
  } catch (error) {
    throw new DeliveryError(`the email could not be sent: ${(error as Error).name}: ${(error as Error).message}`);
  }
}
