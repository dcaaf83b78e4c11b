import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { collectBody } from '../../shared/aws-http.js';
import { logger } from '../../observability/logger.js';
import { systemClock } from '../../shared/clock.js';
import { hasSigningKey, startFirstRotation } from '../../signing/first-signing-key.js';

/**
 * The custom resource that keeps a deploy from finishing before the first token signing key
 * exists (infra/signing-keys.ts). One function serves both of the CDK provider's calls:
 * onEvent (a CloudFormation request: start the rotation) and isComplete (the same request plus
 * what onEvent returned, marked by Data.FirstRotation: is there a key yet?). It logs key ids
 * and outcomes, never key material.
 */
const eventSchema = z.object({
  RequestType: z.enum(['Create', 'Update', 'Delete']),
  ResourceProperties: z.object({ SecretId: z.string().min(1) }),
  PhysicalResourceId: z.string().optional(),
  Data: z.object({ FirstRotation: z.string() }).partial().optional(),
});

const PHYSICAL_ID = 'keygate-first-signing-key';
const client = new SecretsManagerClient({ streamCollector: collectBody });

export async function handler(event: unknown): Promise<{ PhysicalResourceId?: string; Data?: Record<string, string>; IsComplete?: boolean }> {
  const parsed = eventSchema.safeParse(event);
  if (!parsed.success) throw new Error(`not a custom resource event: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  const { RequestType: type, ResourceProperties: props, Data: data } = parsed.data;
  const polling = data?.FirstRotation !== undefined;
  // Nothing to undo: the secret and its keys are retained. Both calls answer "done".
  if (type === 'Delete') return { PhysicalResourceId: parsed.data.PhysicalResourceId ?? PHYSICAL_ID, IsComplete: true };
  if (polling) {
    const ready = await hasSigningKey(client, props.SecretId, systemClock());
    logger.info('first signing key', { secretId: props.SecretId, ready });
    return { IsComplete: ready };
  }
  const started = await startFirstRotation(client, props.SecretId, systemClock());
  logger.info('first signing key', { secretId: props.SecretId, started });
  return { PhysicalResourceId: PHYSICAL_ID, Data: { FirstRotation: started } };
}
