import type { RequestOrigin } from '../audit/audit-model.js';
import { auditFailedAuthentication } from '../audit/audit-service.js';
import type { Catalog } from '../permissions/catalog.js';
import { hasPermission, parsePermission } from '../permissions/grants.js';
import type { Deps } from '../runtime/deps.js';
import { countVerification } from '../observability/metrics.js';
import { AuthenticationError, ForbiddenError, ValidationError } from '../shared/errors.js';
import { type CredentialHeader, type Headers, readCredential } from './credentials.js';
import { type ClientAddress, type KeyLookup, UNKNOWN_ADDRESS } from '../keys/key-authentication.js';
import { type Caller, type TokenTrust, verifyCredentialAlongside } from './verify-credential.js';
import { recountAsRefused } from '../usage/usage-counts.js';

/**
 * "May this credential do this": the one implementation, used by keygate's own routes
 * (functions/http), the Lambda authorizer in front of other teams' APIs and /v1/keys/verify.
 */

/**
 * What a route requires: `authenticated` (any valid credential) or a `resource:access`
 * permission, held on every instance, or on `instance` when the route names one (e.g. a cloud
 * account id from the path, which a role scoped to that account covers).
 */
export interface Requirement {
  permission: string;
  instance?: string | undefined;
}

export const AUTHENTICATED = 'authenticated';

export function permits(catalog: Catalog, caller: Pick<Caller, 'expanded'>, requirement: Requirement): boolean {
  if (requirement.permission === AUTHENTICATED) return true;
  return hasPermission(catalog, caller.expanded, requirement.permission, requirement.instance);
}

export function describeRequirement(requirement: Requirement): string {
  return requirement.instance === undefined ? requirement.permission : `${requirement.permission} on ${requirement.instance}`;
}

export interface AcceptedCredentials {
  headers: readonly CredentialHeader[];
  /** Undefined: keys only. */
  tokens?: TokenTrust | undefined;
  /** People signed in with OpenID Connect, from the issuer the deps name (`deps.people`). */
  people?: boolean;
}

/**
 * Reads and verifies the request's credential and checks the requirement; throws AuthenticationError or ForbiddenError.
 * Every decision is counted (the Verifications metric: allowed, or refused by reason).
 */
export async function authorize(
  deps: Deps,
  headers: Headers,
  requirement: Requirement,
  accepted: AcceptedCredentials,
  address: ClientAddress = UNKNOWN_ADDRESS,
): Promise<Caller> {
  return (await authorizeAlongside(deps, headers, requirement, accepted, undefined, address)).caller;
}

/**
 * keygate's own routes take a keygate key as a bearer token, or a signed-in person's ID token
 * (the console; when the deployment names an issuer). Access tokens are for the APIs that keygate
 * protects: on the management API a deleted key's token would keep working until it expired.
 */
export const MANAGEMENT_CREDENTIALS: AcceptedCredentials = { headers: ['authorization'], people: true };

/** A request to one of keygate's own routes, as far as authorizing its caller goes. */
export interface CallerRequest {
  headers: Headers;
  origin: RequestOrigin;
  /** The route (its id), named in the audit entry of a failed authentication. */
  where: string;
}

/**
 * authorize for a request to one of keygate's routes: a failed authentication is audited
 * (audit-service.ts decides what is worth an entry) before it is thrown. `alongside`: see
 * authorizeAlongside (only verifyKeyForCaller, in verify-key.ts, names one).
 */
export async function authorizeRequest(
  deps: Deps,
  request: CallerRequest,
  requirement: Requirement,
  accepted: AcceptedCredentials,
  alongside?: string,
): Promise<{ caller: Caller; alongside?: KeyLookup }> {
  try {
    return await authorizeAlongside(deps, request.headers, requirement, accepted, alongside, { ip: request.origin.sourceIp });
  } catch (error) {
    if (error instanceof AuthenticationError) await auditFailedAuthentication(deps, error, request.origin, request.where);
    throw error;
  }
}

/**
 * authorize, reading the key `alongside` names in the same request as the caller's key
 * (verifyCredentialAlongside). It comes back looked up, not judged, and only to an authorized
 * caller: judging it is verify-key.ts's business.
 */
async function authorizeAlongside(
  deps: Deps,
  headers: Headers,
  requirement: Requirement,
  accepted: AcceptedCredentials,
  alongside: string | undefined,
  address: ClientAddress,
): Promise<{ caller: Caller; alongside?: KeyLookup }> {
  let verified: { caller: Caller; alongside?: KeyLookup };
  try {
    const credential = readCredential(headers, accepted.headers);
    verified = await verifyCredentialAlongside(deps, credential, accepted.tokens, alongside, accepted.people ? deps.people : undefined, address);
  } catch (error) {
    if (error instanceof AuthenticationError) countVerification({ allowed: false, reason: error.reason });
    throw error;
  }
  const { caller } = verified;
  if (!permits(deps.config.catalog, caller, requirement)) {
    countVerification({ allowed: false, reason: 'insufficient_permissions' });
    recountAsRefused(deps, caller);
    throw new ForbiddenError(`this route needs the permission ${describeRequirement(requirement)}, which this ${caller.credential} does not hold`);
  }
  countVerification({ allowed: true });
  return verified;
}

/**
 * Checks a route's permission where the route is declared (synth, cold start), so a typo is an
 * error there and not a route that refuses everybody. Returns it canonical (aliases resolved).
 */
export function routePermission(catalog: Catalog, permission: string): string {
  if (permission === AUTHENTICATED) return permission;
  try {
    const { resource, access } = parsePermission(catalog, permission);
    return `${resource}:${access}`;
  } catch (error) {
    if (error instanceof ValidationError) throw new Error(`route permission ${error.message} (or use "${AUTHENTICATED}")`);
    throw error;
  }
}
