import * as z from 'zod';
import { KmsSecretBox } from '../channels/secret-box.js';
import type { Deps } from './deps.js';
import { readEnvironment } from './read-environment.js';

/**
 * WEBHOOK_SECRETS_KEY_ARN: the KMS key webhook signing secrets are sealed under (infra/stateful.ts).
 * The stack sets it on the routes whose contract says `webhookSecrets: 'seal'` and on the
 * notifier; only their bundles import the KMS client (their handlers pass this to lambdaHandler).
 */
export const webhookSecretsEnvironment = z.object({ WEBHOOK_SECRETS_KEY_ARN: z.string().startsWith('arn:') });

export function kmsWebhookSecrets(): Pick<Deps, 'webhookSecrets'> {
  return { webhookSecrets: new KmsSecretBox(readEnvironment(webhookSecretsEnvironment).WEBHOOK_SECRETS_KEY_ARN) };
}
