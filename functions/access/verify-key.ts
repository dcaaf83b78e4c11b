import type { RequestOrigin } from '../audit/audit-model.js';
import { auditFailedAuthentication } from '../audit/audit-service.js';
import { authenticateLookup, type KeyLookup, lookUpKey } from '../keys/key-authentication.js';
import type { VerifyKeyInput } from '../keys/schemas.js';
import { countVerification } from '../observability/metrics.js';
import { type HeldPermissions, heldPermissions, parsePermission } from '../permissions/grants.js';
import type { Principal } from '../permissions/principal.js';
import type { Deps } from '../runtime/deps.js';
import { AuthenticationError, type AuthenticationFailure } from '../shared/errors.js';
import type { Settled } from '../shared/settled.js';
import { recountAsRefused } from '../usage/usage-counts.js';
import { authorizeRequest, type CallerRequest, MANAGEMENT_CREDENTIALS, permits, type Requirement } from './authorize.js';

/**
 * POST /v1/keys/verify, for services that are not behind API Gateway: the same judgement as the
 * authorizer (authenticateLookup, then the one permission check), as data. A key that does not
 * work is an answer (valid: false, with the reason), not an error. Like a use of the key at the
 * service, a successful verification counts as use (lastUsedAt, once a minute).
 */
export type VerificationCode = 'valid' | Exclude<AuthenticationFailure, 'missing'> | 'insufficient_permissions';

export interface KeyVerification {
  valid: boolean;
  code: VerificationCode;
  /** Known only when the presented secret is right; null otherwise, so nothing leaks to a guesser. */
  keyId: string | null;
  owner: string | null;
  permissions: HeldPermissions | null;
  /** The key's fixed expiry (null: none, or not known). */
  expiresAt: string | null;
  /** The key's metadata (null: none, or not known). */
  meta: Record<string, unknown> | null;
}

const UNKNOWN = { keyId: null, owner: null, permissions: null, expiresAt: null, meta: null };

/**
 * `origin`: the verifying service's request. A refused key is audited like one refused at keygate's
 * own routes (where: VerifyKey); its source IP is the service's, and the client's address (when the
 * service passed it as `clientIp` and the key's IP allowlist refused it) is in the entry's `address`.
 * `lookup`: `input.key` already looked up (read with the service's own key: verifyKeyForCaller); absent, it is read here.
 */
export async function verifyKey(deps: Deps, input: VerifyKeyInput, origin: RequestOrigin, lookup?: KeyLookup): Promise<KeyVerification> {
  // A permission that is not in the catalog is the service's mistake: a 400 (ValidationError).
  let requirement: Requirement | undefined;
  if (input.permission !== undefined) {
    const { resource, access } = parsePermission(deps.config.catalog, input.permission);
    requirement = { permission: `${resource}:${access}`, instance: input.instance };
  }
  let principal: Principal;
  try {
    // The client's address, when the service passes it, is what the key's IP allowlist is checked against.
    const address = input.clientIp === undefined ? 'unchecked' : { ip: input.clientIp };
    principal = await authenticateLookup(deps, lookup ?? (await lookUpKey(deps, input.key)), address);
  } catch (error) {
    if (!(error instanceof AuthenticationError)) throw error;
    countVerification({ allowed: false, reason: error.reason });
    await auditFailedAuthentication(deps, error, origin, 'VerifyKey');
    return { valid: false, code: error.reason === 'missing' ? 'malformed' : error.reason, ...UNKNOWN };
  }
  const details = {
    keyId: principal.keyId ?? null,
    owner: principal.owner,
    permissions: heldPermissions(principal.expanded),
    expiresAt: principal.expiresAt ?? null,
    meta: principal.meta ?? null,
  };
  if (requirement && !permits(deps.config.catalog, principal, requirement)) {
    countVerification({ allowed: false, reason: 'insufficient_permissions' });
    recountAsRefused(deps, principal);
    return { valid: false, code: 'insufficient_permissions', ...details };
  }
  countVerification({ allowed: true });
  return { valid: true, code: 'valid', ...details };
}

/**
 * POST /v1/keys/verify as a whole: authorizes the calling service (`requirement`, its key in the
 * request's Authorization header) and verifies the key it asks about. Both keys are read in one
 * consistent request (one BatchGetItem; authenticateKeyAlongside), but the asked-about key is
 * judged (its use recorded, a refusal audited) only once the caller is authorized: a refused
 * caller causes nothing about that key and learns nothing of it. `input` is the request body as
 * parsed, or its parse error, thrown only once the caller is authorized (without a valid
 * credential a request is a 401 whatever its body).
 */
export async function verifyKeyForCaller(
  deps: Deps,
  request: CallerRequest,
  requirement: Requirement,
  input: Settled<VerifyKeyInput>,
): Promise<KeyVerification> {
  const asked = 'value' in input ? input.value.key : undefined;
  const { alongside } = await authorizeRequest(deps, request, requirement, MANAGEMENT_CREDENTIALS, asked);
  if ('error' in input) throw input.error;
  return verifyKey(deps, input.value, request.origin, alongside);
}
