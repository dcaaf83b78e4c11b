import { Webhook } from 'standardwebhooks';
import { logger } from '../observability/logger.js';
import type { Deps } from '../runtime/deps.js';
import type { Channel } from './channel-store.js';
import type { NotificationMessage } from './channel-message.js';
import { storeOperatorMessage } from './operator-messages.js';
import { AddressNotAllowedError, postPinned, type ResolvedAddress, resolveWebhookTarget, WebhookTimeoutError } from './webhook-target.js';

/** Webhook attempts within one notifier run, and the wait before each retry. */
const WEBHOOK_RETRY_DELAYS_MS = [1_000, 4_000];
const WEBHOOK_TIMEOUT_MS = 10_000;

export class DeliveryError extends Error {}

/** What a key's notification `detail` (GET /v1/keys/{id}) may say of a failed webhook: never a host, port or socket error. */
const CONNECTION_FAILED = 'webhook delivery failed: connection error';
const ADDRESS_REFUSED = 'webhook delivery refused: address not allowed';

/** A resolver, socket or TLS error, for the log only. */
function describe(error: unknown): string {
  if (error instanceof WebhookTimeoutError) return `timed out: ${error.message}`;
  const { code, name, message } = error as Error & { code?: string };
  return `${code ?? name}: ${message}`;
}

const SECRET_UNAVAILABLE = 'webhook delivery failed: the signing secret could not be opened';

/** The channel's signing secret, opened from its sealed form (or, on a channel older than sealing, as stored). */
async function signingSecretOf(deps: Deps, channel: Extract<Channel, { type: 'webhook' }>): Promise<string> {
  if (channel.sealedSecret === undefined) {
    if (channel.signingSecret !== undefined) return channel.signingSecret;
    throw new DeliveryError(SECRET_UNAVAILABLE);
  }
  if (!deps.webhookSecrets) throw new Error('the notifier cannot open webhook secrets (deps.webhookSecrets)');
  try {
    return await deps.webhookSecrets.open(channel.sealedSecret, { channelId: channel.id });
  } catch (error) {
    // KMS refused (access, a disabled or deleted key, a ciphertext of another channel): the log
    // says which; the key's notification shows only that the secret could not be opened.
    logger.error('webhook signing secret could not be opened', { channelId: channel.id, error: describe(error) });
    throw new DeliveryError(SECRET_UNAVAILABLE);
  }
}

/**
 * Sends a webhook signed by the Standard Webhooks scheme: HMAC-SHA256 with the channel's secret
 * over `<webhook-id>.<webhook-timestamp>.<body>`. Receivers verify with any Standard Webhooks
 * library, which also refuses a timestamp older than 5 minutes (replays) and lets them drop a
 * repeated webhook-id. Each attempt is signed afresh, so a retry carries a current timestamp.
 *
 * Each attempt resolves the host, refuses it if any address is not public (webhook-target.ts),
 * and connects to an address it vetted. The key's notification keeps only a generic reason
 * (`detail` is shown to whoever reads the key: specific socket errors would make webhooks a
 * port and host scanner); the specifics go to the log, with the URL's origin and never its path
 * (some webhook URLs carry a token there).
 */
async function sendWebhook(deps: Deps, channel: Extract<Channel, { type: 'webhook' }>, message: NotificationMessage): Promise<void> {
  const url = new URL(channel.url);
  const policy = deps.notifications ?? {};
  const logged = { channelId: channel.id, origin: url.origin, webhookId: message.id };
  const body = JSON.stringify(message.payload);
  const signer = new Webhook(await signingSecretOf(deps, channel));
  let failure = CONNECTION_FAILED;
  for (let attempt = 0; attempt <= WEBHOOK_RETRY_DELAYS_MS.length; attempt++) {
    if (attempt > 0) await new Promise((done) => setTimeout(done, WEBHOOK_RETRY_DELAYS_MS[attempt - 1]));
    let addresses: ResolvedAddress[];
    try {
      addresses = await resolveWebhookTarget(policy, url);
    } catch (error) {
      if (error instanceof AddressNotAllowedError) {
        logger.warn('webhook refused: its host is not a public address', { ...logged, reason: error.message });
        throw new DeliveryError(ADDRESS_REFUSED);
      }
      logger.warn('webhook host could not be resolved', { ...logged, attempt, error: describe(error) });
      failure = CONNECTION_FAILED;
      continue;
    }
    const timestamp = deps.clock();
    try {
      const status = await postPinned(url, addresses, {
        headers: {
          'content-type': 'application/json',
          'user-agent': 'keygate-notifier',
          'webhook-id': message.id,
          'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
          'webhook-signature': signer.sign(message.id, timestamp, body),
        },
        body,
        timeoutMs: WEBHOOK_TIMEOUT_MS,
      });
      if (status >= 200 && status < 300) return;
      failure = `webhook delivery failed: HTTP ${status}`;
      logger.warn('webhook answered with an error', { ...logged, attempt, status });
      // A redirect (never followed: it could lead where the address check would refuse to go)
      // or a 4xx other than 408/429 will not change on a retry.
      if (status >= 300 && status < 500 && status !== 408 && status !== 429) break;
    } catch (error) {
      logger.warn('webhook could not be reached', { ...logged, attempt, error: describe(error) });
      failure = CONNECTION_FAILED;
    }
  }
  throw new DeliveryError(failure);
}

/** Delivers a message on a channel; a DeliveryError says why it could not, in words for people. */
export async function deliver(deps: Deps, channel: Channel, key: { id: string; owner: string }, message: NotificationMessage): Promise<void> {
  if (channel.type === 'operator') return storeOperatorMessage(deps, channel, key, message);
  if (channel.type === 'webhook') return sendWebhook(deps, channel, message);
  const email = deps.notifications?.email;
  // A deployment without an SES sender (the stack's emailSender): the notification fails visibly.
  if (!email) throw new DeliveryError('email is not set up in this deployment: no SES sender (the stack setting emailSender)');
  try {
    await email.send({ to: channel.addresses, subject: message.subject, text: message.text });
  } catch (error) {
    throw new DeliveryError(`the email could not be sent: ${(error as Error).name}: ${(error as Error).message}`);
  }
}
