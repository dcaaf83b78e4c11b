import * as z from 'zod';
import { join } from 'node:path';
import { personTrust } from '../access/person-credential.js';
import { deploymentConfig } from '../deployment-config.js';
import { systemClock } from '../shared/clock.js';
import type { Deps } from '../shared/deps.js';
import { documentClient } from '../shared/dynamodb.js';

/**
 * Runtime configuration comes from the environment (set by the CDK stack, or by the local
 * run), validated once at cold start: a missing variable fails loudly, never defaults.
 */
const environmentSchema = z.object({
  TABLE_NAME: z.string().min(1),
  /** Only the local run sets it (DynamoDB Local). */
  DYNAMODB_ENDPOINT: z.url().optional(),
  /** The OpenID Connect issuer people sign in with (the stack's Cognito user pool, or the deployment's own). */
  PEOPLE_ISSUER: z.url().optional(),
  /** The console's client id at that issuer: the audience its ID tokens must name. */
  PEOPLE_CLIENT_ID: z.string().min(1).optional(),
  /** Set by Lambda: where the function's bundle is. */
  LAMBDA_TASK_ROOT: z.string().min(1).optional(),
}).refine((env) => (env.PEOPLE_ISSUER === undefined) === (env.PEOPLE_CLIENT_ID === undefined), {
  message: 'PEOPLE_ISSUER and PEOPLE_CLIENT_ID go together: set both, or neither',
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
    ...(env.data.PEOPLE_ISSUER === undefined || env.data.PEOPLE_CLIENT_ID === undefined
      ? {}
      : { people: personTrust(env.data.PEOPLE_ISSUER, env.data.PEOPLE_CLIENT_ID, deploymentConfig.people) }),
    // The console's built files travel in the function's bundle (infra/api.ts), next to its code.
    ...(env.data.LAMBDA_TASK_ROOT === undefined ? {} : { consoleAssets: join(env.data.LAMBDA_TASK_ROOT, 'console') }),
  };
  return cached;
}
