import * as z from 'zod';
import { deploymentConfig } from '../deployment-config.js';
import { systemClock } from '../shared/clock.js';
import type { Deps } from '../shared/deps.js';
import { documentClient } from '../shared/dynamodb.js';
import { dynamoKeyStore } from '../keys/key-store.js';

/**
 * Runtime configuration comes from the environment (set by the CDK stack, or by the local
 * run), validated once at cold start: a missing variable fails loudly, never defaults.
 */
const environmentSchema = z.object({
  TABLE_NAME: z.string().min(1),
  /** Only the local run sets it (DynamoDB Local). */
  DYNAMODB_ENDPOINT: z.url().optional(),
});

let cached: Deps | undefined;

export function depsFromEnvironment(): Deps {
  if (cached) return cached;
  const env = environmentSchema.safeParse(process.env);
  if (!env.success) throw new Error(`keygate is misconfigured: ${env.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  cached = {
    ddb: documentClient(env.data.DYNAMODB_ENDPOINT === undefined ? {} : { endpoint: env.data.DYNAMODB_ENDPOINT }),
    tableName: env.data.TABLE_NAME,
    clock: systemClock,
    config: deploymentConfig,
  };
  cached.keys = dynamoKeyStore(cached);
  return cached;
}
