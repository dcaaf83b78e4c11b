import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { collectBody } from '../shared/aws-http.js';
import type { Deps } from './deps.js';
import { baseDeps } from './environment.js';
import { readEnvironment } from './read-environment.js';

/** The bootstrap function's dependencies: the table, and the admin-key secret it writes (ADMIN_SECRET_ARN). */
const environmentSchema = z.object({ ADMIN_SECRET_ARN: z.string().startsWith('arn:', 'must be the ARN of the admin-key secret') });

let cached: { deps: Deps; secrets: SecretsManagerClient; secretArn: string } | undefined;

export function bootstrapRuntime(): { deps: Deps; secrets: SecretsManagerClient; secretArn: string } {
  if (cached) return cached;
  const env = readEnvironment(environmentSchema, 'keygate bootstrap is misconfigured');
  cached = { deps: baseDeps(), secrets: new SecretsManagerClient({ streamCollector: collectBody }), secretArn: env.ADMIN_SECRET_ARN };
  return cached;
}
