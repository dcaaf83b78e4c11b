import { join } from 'node:path';
import * as z from 'zod';
import { personTrust } from '../access/person-credential.js';
import { type RouteContract, tokenAccess } from '../contract/route-contract.js';
import { deploymentConfig } from '../deployment-config.js';
import type { Deps } from './deps.js';
import { issuerUrlSchema } from '../signing/issuer.js';
import { remoteKeyJwtTrust } from '../signing/key-jwt-trust.js';
import { readEnvironment } from './read-environment.js';

/**
 * A route function's dependencies, from its route-table entry (what tokenAccess() says it
 * needs; infra/signing-keys.ts sets the same variables from the same entry):
 *   signing-keys  the signing keys: nothing here; the route's handler passes
 *                 runtime/secret-signing-keys.ts secretSigningKeys to lambdaHandler, so that only
 *                 these routes' bundles carry the Secrets Manager client;
 *   issuer        ISSUER_URL: JWT-format keys are verified with the key JWKS fetched from the
 *                 issuer (on first need), so no function reads private keys only to verify;
 *   none          neither (public routes that need no issuer).
 */
const issuerEnvironment = z.object({ ISSUER_URL: issuerUrlSchema });

/**
 * A route whose contract reads the signing keys gets them only from its handler, passed to its
 * Lambda entry (`entry`) as `more` (see secret-signing-keys.ts): refused at start-up without them.
 */
export function requireSigningKeysPassed(route: RouteContract, more: unknown, entry: string): void {
  if (tokenAccess(route) === 'signing-keys' && more === undefined) {
    throw new Error(`route ${route.id} reads the signing keys: its handler must pass secretSigningKeys (functions/runtime/secret-signing-keys.ts) to ${entry}`);
  }
}

/** The token part of a route's dependencies (see above); the rest is baseDeps(). */
export function routeTokenDeps(route: RouteContract): Pick<Deps, 'tokens' | 'issuer' | 'keyJwts'> {
  if (tokenAccess(route) === 'issuer') {
    const { ISSUER_URL } = readEnvironment(issuerEnvironment);
    return { issuer: ISSUER_URL, keyJwts: remoteKeyJwtTrust(ISSUER_URL) };
  }
  return {};
}

/**
 * Where people sign in (infra/api.ts connectSignIn sets both on every function that authenticates
 * a caller, and on the console's own): the issuer (the stack's Cognito user pool, or the
 * deployment's own) and the console's client id there, the audience its ID tokens must name.
 */
const peopleEnvironment = z
  .object({
    PEOPLE_ISSUER: z.url().optional(),
    PEOPLE_CLIENT_ID: z.string().min(1).optional(),
  })
  .refine((env) => (env.PEOPLE_ISSUER === undefined) === (env.PEOPLE_CLIENT_ID === undefined), {
    message: 'PEOPLE_ISSUER and PEOPLE_CLIENT_ID go together: set both, or neither',
  });
/** Set by Lambda: where the function's bundle is; the console's files travel in it (infra/api.ts). */
const bundleEnvironment = z.object({ LAMBDA_TASK_ROOT: z.string().min(1) });

/** The sign-in part of a route's dependencies: the people's issuer, and the console's files for its own routes. */
export function routePeopleDeps(route: RouteContract): Pick<Deps, 'people' | 'consoleAssets'> {
  const env = readEnvironment(peopleEnvironment);
  return {
    ...(env.PEOPLE_ISSUER === undefined || env.PEOPLE_CLIENT_ID === undefined
      ? {}
      : { people: personTrust(env.PEOPLE_ISSUER, env.PEOPLE_CLIENT_ID, deploymentConfig.people) }),
    ...(route.assets === 'console' ? { consoleAssets: join(readEnvironment(bundleEnvironment).LAMBDA_TASK_ROOT, 'console') } : {}),
  };
}
