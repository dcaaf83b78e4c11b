import * as z from 'zod';
import { deploymentConfig } from '../deployment-config.js';
import { systemClock } from '../shared/clock.js';
import type { Deps } from './deps.js';
import { documentClient } from '../shared/dynamodb.js';
import { dynamoKeyStore } from '../keys/key-store.js';

/**
 * The one place that reads process.env. Each Lambda function's entry asks functions/runtime/ for
 * its dependencies; the variables it needs (set by the CDK stack, never by hand) are validated
 * once per cold start with a schema, and a missing or malformed one fails loudly: no defaults.
 */
export function readEnvironment<S extends z.ZodType>(
  schema: S,
  misconfigured = 'keygate is misconfigured',
  /** Values compiled into the bundle (the authorizer's route rules); they take the variable's place. */
  bundled: Record<string, string> = {},
): z.output<S> {
  const env = schema.safeParse({ ...process.env, ...bundled });
  if (!env.success) throw new Error(`${misconfigured}: ${env.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  return env.data;
}

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
