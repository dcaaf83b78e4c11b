import { type AuditedCaller, changeCommitted, changeEntry } from '../audit/audit-service.js';
import type { Actor } from '../permissions/principal.js';
import type { Deps } from '../runtime/deps.js';
import { ConflictError, NotFoundError } from '../shared/errors.js';
import { keyChanges, type KeyRecord, keyStatus } from './key-model.js';
import { keyStore } from './key-store.js';

/**
 * A key's state changes that need no new secret: suspend, resume and revoke. Plain service
 * functions over a key id (or a key already read) and who does it, with no authorization of
 * their own: the routes check the caller first (key-operations.ts, key-lifecycle.ts), and so
 * does anything else that calls them (a leak report, a bulk action). Each writes its audit entry
 * in the change's own transaction, conditional on the version it read.
 */

/** What a state change did: the key as written. */
export interface StateChange {
  key: KeyRecord;
}

/** A suspend, resume or revoke reason: free text for the audit log and the key's details. */
export const MAX_REASON_LENGTH = 256;

async function current(deps: Deps, key: KeyRecord | string): Promise<KeyRecord> {
  if (typeof key !== 'string') return key;
  const found = await keyStore(deps).findKey(key);
  if (!found) throw new NotFoundError(`no key with id ${key}`);
  return found;
}

function actorOfCaller(caller: AuditedCaller): Actor {
  const { owner, keyId, person } = caller.actor;
  return { owner, ...(keyId === undefined ? {} : { keyId }), ...(person === undefined ? {} : { person: { ...person } }) };
}

function concurrent(key: KeyRecord): ConflictError {
  return new ConflictError(`key ${key.id} was changed by another request meanwhile; retry`, 'concurrent_update');
}

/**
 * Suspends a key: from the next request on it is refused everywhere (management API, token
 * endpoint, verify, authorizer, introspection of its tokens) with status and code `suspended`,
 * until resumed. Nothing else changes: its secret, grants and expiry stay (the expiry keeps
 * running). A key that is not active (revoked, expired, already suspended) is a 409.
 */
export async function suspendKey(
  deps: Deps,
  keyOrId: KeyRecord | string,
  caller: AuditedCaller,
  reason?: string,
  details: Record<string, unknown> = {},
): Promise<StateChange> {
  const key = await current(deps, keyOrId);
  const now = deps.clock();
  const status = keyStatus(key, now);
  if (status === 'suspended') throw new ConflictError(`key ${key.id} is already suspended (since ${key.suspendedAt})`, 'key_suspended');
  assertNotEnded(key, status);
  const suspended: KeyRecord = {
    ...key,
    suspendedAt: now.toISOString(),
    suspendedBy: actorOfCaller(caller),
    updatedAt: now.toISOString(),
    version: key.version + 1,
  };
  if (reason === undefined) delete suspended.suspendedReason;
  else suspended.suspendedReason = reason;
  const audit = changeEntry(deps, caller, 'key.suspend', { keyId: key.id, details: { reason: reason ?? null, ...details } });
  const outcome = await keyStore(deps).editKey(key, keyChanges(key, suspended), audit);
  if (!outcome.ok) throw concurrent(key);
  changeCommitted(audit);
  return { key: suspended };
}

/** Resumes a suspended key: it works again at once (if it has not expired meanwhile: then 409). */
export async function resumeKey(deps: Deps, keyOrId: KeyRecord | string, caller: AuditedCaller, reason?: string): Promise<StateChange> {
  const key = await current(deps, keyOrId);
  const now = deps.clock();
  const status = keyStatus(key, now);
  if (status === 'active') throw new ConflictError(`key ${key.id} is not suspended`, 'key_not_suspended');
  assertNotEnded(key, status);
  const resumed: KeyRecord = { ...key, updatedAt: now.toISOString(), version: key.version + 1 };
  delete resumed.suspendedAt;
  delete resumed.suspendedBy;
  delete resumed.suspendedReason;
  const audit = changeEntry(deps, caller, 'key.resume', {
    keyId: key.id,
    details: { reason: reason ?? null, suspendedAt: key.suspendedAt ?? null, suspendedReason: key.suspendedReason ?? null },
  });
  const outcome = await keyStore(deps).editKey(key, keyChanges(key, resumed), audit);
  if (!outcome.ok) throw concurrent(key);
  changeCommitted(audit);
  return { key: resumed };
}

/**
 * Revokes a key for good (DELETE /v1/keys/{id}, and bulk or leak-report revocation): it never
 * works again, gives up its name, and stays listed as `revoked` for the retention period. Only an
 * already revoked key is a 409; an expired or suspended one may be revoked.
 */
export async function revokeKey(
  deps: Deps,
  keyOrId: KeyRecord | string,
  caller: AuditedCaller,
  reason?: string,
  details: Record<string, unknown> = {},
): Promise<StateChange> {
  const key = await current(deps, keyOrId);
  const now = deps.clock();
  if (key.revokedAt !== undefined) throw new ConflictError(`key ${key.id} was already deleted at ${key.revokedAt}`, 'key_revoked');
  const nowIso = now.toISOString();
  const revoked: KeyRecord = { ...key, revokedAt: nowIso, revokedBy: actorOfCaller(caller), updatedAt: nowIso, version: key.version + 1 };
  delete revoked.previousSecretHash;
  delete revoked.previousSecretValidUntil;
  const audit = changeEntry(deps, caller, 'key.delete', {
    keyId: key.id,
    details: { name: key.name, owner: key.owner, ...(reason === undefined ? {} : { reason }), ...details },
  });
  const outcome = await keyStore(deps).editKey(key, keyChanges(key, revoked), audit, { releaseName: true });
  if (!outcome.ok) throw concurrent(key);
  changeCommitted(audit);
  return { key: revoked };
}

function assertNotEnded(key: KeyRecord, status: ReturnType<typeof keyStatus>): void {
  if (status === 'revoked') throw new ConflictError(`key ${key.id} was deleted at ${key.revokedAt}`, 'key_revoked');
  if (status === 'expired' || status === 'expired_inactive') {
    throw new ConflictError(`key ${key.id} has ${status === 'expired' ? 'expired' : 'expired for inactivity'}; create a new key`, 'key_not_active');
  }
}
