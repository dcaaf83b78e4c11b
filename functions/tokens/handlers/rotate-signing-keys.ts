import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { deploymentConfig } from '../../deployment-config.js';
import { collectBody } from '../../shared/aws-http.js';
import { logger } from '../../observability/logger.js';
import { systemClock } from '../../shared/clock.js';
import { settingsFor } from '../../signing/token-settings.js';
import { checkRotation, rotationSteps, runRotationStep } from '../../signing/signing-key-rotation.js';
import { recordRotationCheck } from '../../observability/metrics.js';

/**
 * The Secrets Manager rotation function of the signing-key secret (infra/signing-keys.ts):
 * invoked by the rotation schedule, once per step. It logs key ids, never key material. A daily
 * EventBridge rule also invokes it with `{"action": "check-rotation", "secretId"}`: it then counts
 * whether the rotation is overdue (SigningKeyRotationOverdue, and its alarm).
 */
const checkEventSchema = z.strictObject({ action: z.literal('check-rotation'), secretId: z.string().min(1) });
const rotationEventSchema = z.object({
  Step: z.enum(rotationSteps),
  SecretId: z.string().min(1),
  ClientRequestToken: z.string().min(1),
});

const client = new SecretsManagerClient({ streamCollector: collectBody });
const settings = settingsFor(deploymentConfig.tokens);

export async function handler(event: unknown): Promise<void> {
  const check = checkEventSchema.safeParse(event);
  if (check.success) {
    const result = await checkRotation(client, check.data.secretId, systemClock(), settings);
    recordRotationCheck(result.overdue);
    if (result.overdue) logger.error('signing-key rotation is overdue', { secretId: check.data.secretId, reason: result.reason, lastRotatedAt: result.lastRotatedAt });
    else logger.info('signing-key rotation is on time', { secretId: check.data.secretId, lastRotatedAt: result.lastRotatedAt });
    return;
  }
  const parsed = rotationEventSchema.safeParse(event);
  if (!parsed.success) throw new Error(`not a Secrets Manager rotation event: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  const outcome = await runRotationStep(client, parsed.data, systemClock, settings);
  logger.info('signing-key rotation step done', { secretId: parsed.data.SecretId, version: parsed.data.ClientRequestToken, ...outcome });
}
