import { Logger } from '@aws-lambda-powertools/logger';
import { PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { bootstrapRuntime } from '../runtime/bootstrap.js';
import type { Deps } from '../runtime/deps.js';
import { mintAdminKey } from './admin-key.js';

/**
 * Puts an admin key into the admin-key secret on AWS. Two ways in:
 *
 * 1. The stack's custom resource (CDK Provider framework, onEvent). On Create it mints the
 *    first admin key. Update and Delete do nothing: the table and the secret are retained,
 *    and a redeploy must not replace a credential someone relies on.
 * 2. By hand, when the admin key is lost or about to expire (keys live at most P6M, and expire
 *    after P3M unused):
 *
 *      aws lambda invoke --function-name <BootstrapFunctionName> \
 *        --cli-binary-format raw-in-base64-out --payload '{"action":"mint-admin-key"}' /dev/stdout
 *
 *    It mints a new admin key into the same secret and answers with the new key's id; delete
 *    the old key through the API once the new one works.
 *
 * The key string goes to Secrets Manager and nowhere else: never to the log, never into the
 * custom resource's Data (CloudFormation shows it) and never into the invoke response.
 */
const logger = new Logger({ serviceName: 'keygate-bootstrap' });

const customResourceEvent = z.object({
  RequestType: z.enum(['Create', 'Update', 'Delete']),
  RequestId: z.string(),
  LogicalResourceId: z.string(),
  PhysicalResourceId: z.string().optional(),
});
const manualEvent = z.object({ action: z.literal('mint-admin-key') }).strict();
const bootstrapEvent = z.union([customResourceEvent, manualEvent]);
export type BootstrapEvent = z.infer<typeof bootstrapEvent>;

/** Stable, so CloudFormation never reads an Update as a replacement. */
export const PHYSICAL_RESOURCE_ID = 'keygate-admin-key-bootstrap';

export interface CustomResourceResult {
  PhysicalResourceId: string;
  Data?: { KeyId: string };
}

export interface MintResult {
  keyId: string;
  expiresAt: string | null;
  secretArn: string;
}

export interface BootstrapDeps {
  deps: Deps;
  secrets: Pick<SecretsManagerClient, 'send'>;
  secretArn: string;
}

async function mintIntoSecret({ deps, secrets, secretArn }: BootstrapDeps): Promise<MintResult> {
  const issued = await mintAdminKey(deps);
  // A failure here leaves a minted key nobody holds; it expires on its own, and the next
  // invocation mints another. The key string is never part of what is logged.
  await secrets.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: issued.key }));
  const result = { keyId: issued.details.id, expiresAt: issued.details.expiresAt, secretArn };
  logger.info('admin key minted into the secret', { ...result });
  return result;
}

export async function handleBootstrap(event: unknown, bootstrap: BootstrapDeps): Promise<CustomResourceResult | MintResult> {
  const parsed = bootstrapEvent.safeParse(event);
  if (!parsed.success) {
    throw new Error('unknown event: invoke with {"action":"mint-admin-key"} to mint a new admin key into the secret');
  }
  const input = parsed.data;
  if ('action' in input) return mintIntoSecret(bootstrap);

  logger.info('custom resource event', { requestType: input.RequestType, logicalResourceId: input.LogicalResourceId });
  if (input.RequestType === 'Create') {
    const minted = await mintIntoSecret(bootstrap);
    return { PhysicalResourceId: PHYSICAL_RESOURCE_ID, Data: { KeyId: minted.keyId } };
  }
  // Update and Delete: the secret and the table are retained, and so is the key in them.
  return { PhysicalResourceId: input.PhysicalResourceId ?? PHYSICAL_RESOURCE_ID };
}

/** Dependencies from the composition root (functions/runtime/bootstrap.ts), once per cold start. */
export const handler = (event: unknown) => handleBootstrap(event, bootstrapRuntime());
