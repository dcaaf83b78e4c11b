import * as z from 'zod';
import { deploymentConfig } from '../deployment-config.js';
import { systemClock } from '../shared/clock.js';
import type { Deps } from './deps.js';
import { readEnvironment } from './read-environment.js';
import { documentClient } from '../shared/dynamodb.js';
import { dynamoKeyStore } from '../keys/key-store.js';

const tableEnvironment = z.object({
  TABLE_NAME: z.string().min(1),
  /** Only the local run sets it (DynamoDB Local). */
  DYNAMODB_ENDPOINT: z.url().optional(),
});

let cached: Deps | undefined;

/** The table, its client, the key store over it, the clock and the deployment config: what every function gets. */
export function baseDeps(): Deps {
  if (cached) return cached;
  const env = readEnvironment(tableEnvironment);
  cached = {
    ddb: documentClient(env.DYNAMODB_ENDPOINT === undefined ? {} : { endpoint: env.DYNAMODB_ENDPOINT }),
    tableName: env.TABLE_NAME,
    clock: systemClock,
    config: deploymentConfig,
  };
  cached.keys = dynamoKeyStore(cached);
  return cached;
}
