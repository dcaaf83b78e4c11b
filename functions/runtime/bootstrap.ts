import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import type { Deps } from './deps.js';
import { baseDeps } from './environment.js';

/** The bootstrap function's dependencies: the table, and the admin-key secret it writes (ADMIN_SECRET_ARN). */
const environmentSchema = z.object({ ADMIN_SECRET_ARN: z.string().startsWith('arn:') });

let cached: { deps: Deps; secrets: SecretsManagerClient; secretArn: string } | undefined;

export function bootstrapRuntime(): { deps: Deps; secrets: SecretsManagerClient; secretArn: string } {
  if (cached) return cached;
  const env = environmentSchema.safeParse(process.env);
  if (!env.success) throw new Error('keygate bootstrap is misconfigured: ADMIN_SECRET_ARN must be the ARN of the admin-key secret');
  cached = { deps: baseDeps(), secrets: new SecretsManagerClient({}), secretArn: env.data.ADMIN_SECRET_ARN };
  return cached;
}
