import { setTimeout as sleep } from 'node:timers/promises';
import { changeCommitted, changeEntry } from '../audit/audit-service.js';
import { missingGrants } from '../permissions/grants.js';
import { actorOf, type Principal } from '../permissions/principal.js';
import type { Deps } from '../runtime/deps.js';
import { addDuration, parseDuration } from '../shared/durations.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../shared/errors.js';
import { newKeyId } from '../shared/ids.js';
import { resolveExpiry } from './key-expiry-policy.js';
import { issueKeyString } from './key-issuing.js';
import { auditedCaller, detailsWithQuota, type IssuedKey, loadChangeableKey } from './key-lifecycle.js';
import { inactiveAtFrom, isLive, type KeyDetails, keyChanges, type KeyRecord, type KeyStatus, keyStatus } from './key-model.js';
import { notificationsForSuccessor } from './key-reminders.js';
import { resumeKey, revokeKey, suspendKey } from './key-state.js';
import { keyStore } from './key-store.js';
import type { KeyStateInput, RotateKeyInput } from './schemas.js';
import { settleAll } from '../shared/settled.js';

/**
 * Operating keys day to day and in incidents, as the routes offer it: rotate a key to a
 * successor, suspend and resume it, and suspend or revoke every key of one owner. Each checks
 * the caller (the same rules as edits: key-lifecycle.ts's loadChangeableKey), then calls the
 * plain state changes of key-state.ts or the store's rotation.
 */

/* ---- rotation ---- */

/** Concurrent rotations of one key: a loser reads the key again (and then sees the winner's successor). */
const MAX_ROTATION_ATTEMPTS = 5;

function assertRotatable(key: KeyRecord, status: KeyStatus): void {
  if (key.successorId !== undefined) {
    const message = `key ${key.id} was already rotated to ${key.successorId} at ${key.rotatedAt}; rotate the successor instead`;
    throw new ConflictError(message, 'key_rotated');
  }
  if (status === 'revoked') throw new ConflictError(`key ${key.id} was deleted at ${key.revokedAt}; create a new key`, 'key_revoked');
  if (status === 'suspended') {
    throw new ConflictError(`key ${key.id} is suspended: resume it before rotating it, or create a new key`, 'key_suspended');
  }
  if (status !== 'active') {
    throw new ConflictError(`key ${key.id} has ${status === 'expired' ? 'expired' : 'expired for inactivity'}; create a new key`, 'key_not_active');
  }
}

/** When the old key stops working: now (no overlap), or after the overlap, never later than its own expiry. */
function overlapEnd(deps: Deps, now: Date, overlap: string | undefined): Date | undefined {
  if (overlap === undefined) return undefined;
  const until = addDuration(now, parseDuration(overlap, 'overlap'));
  const max = deps.config.policy.maxRotationOverlap;
  if (until.getTime() <= now.getTime()) {
    throw new ValidationError('overlap must be a positive duration; leave it out to revoke the old key at once', 'invalid_overlap');
  }
  if (until > addDuration(now, max)) throw new ValidationError(`overlap may be at most ${max}`, 'invalid_overlap');
  return until;
}

/**
 * Rotates a key to a successor (GitLab's rotate): a new key (new id and secret) with the old
 * one's owner, name, description, grants, format, IP allowlist and notification settings, and a
 * new expiry within the policy (the default lifetime unless given). The old key is revoked at
 * once, or keeps working for `overlap` (at most the policy's maxRotationOverlap) and then ends:
 * its fixed expiry becomes the earlier of its own and the overlap's end, so every expiry check
 * and the TTL end it without anything running later, and its expiry is never extended. The name
 * passes to the successor in the same transaction; each names the other (predecessorId,
 * successorId). Of concurrent rotations of one key exactly one succeeds; the others are a 409.
 */
export async function rotateKey(deps: Deps, principal: Principal, id: string, input: RotateKeyInput): Promise<IssuedKey> {
  const policy = deps.config.policy;
  const now = deps.clock();
  const until = overlapEnd(deps, now, input.overlap);
  const resolved = resolveExpiry(policy, now, input);
  const expiresAt = resolved ?? addDuration(now, policy.defaultLifetime).toISOString();
  const caller = auditedCaller(principal);

  for (let attempt = 1; ; attempt++) {
    const key = await loadChangeableKey(deps, principal, id);
    assertRotatable(key, keyStatus(key, now));
    const successorId = newKeyId();
    const format = key.format ?? 'key';
    const claims = { id: successorId, owner: key.owner, roles: key.roles, permissions: key.permissions, expiresAt, format };
    const issued = await issueKeyString(deps, claims, now);
    const nowIso = now.toISOString();
    const successor: KeyRecord = {
      id: successorId,
      name: key.name,
      description: key.description,
      owner: key.owner,
      roles: key.roles,
      permissions: key.permissions,
      format,
      secretHash: issued.secretHash,
      createdAt: nowIso,
      createdBy: actorOf(principal),
      updatedAt: nowIso,
      expiresAt,
      inactiveAt: inactiveAtFrom(now, policy),
      predecessorId: key.id,
      version: 1,
      ...(key.allowedIps === undefined ? {} : { allowedIps: key.allowedIps }),
      ...(key.tags === undefined ? {} : { tags: key.tags }),
      ...(key.meta === undefined ? {} : { meta: key.meta }),
      // Limits carry over, counted on the predecessor's counters: a rotation neither refills the
      // quota nor doubles a rate limit while both keys work. Who may change them carries over too.
      ...(key.rateLimits === undefined ? {} : { rateLimits: key.rateLimits }),
      ...(key.quota === undefined ? {} : { quota: key.quota }),
      ...(key.rateLimits === undefined && key.quota === undefined ? {} : { limitsCountedOn: key.limitsCountedOn ?? key.id }),
      ...(key.limitsSetByAdmin === undefined ? {} : { limitsSetByAdmin: key.limitsSetByAdmin }),
    };
    Object.assign(successor, await notificationsForSuccessor(deps, key, successor, now));

    // The old key's reminders are cancelled: it ends within the overlap, and its successor has its own.
    const old: KeyRecord = { ...key, successorId, rotatedAt: nowIso, updatedAt: nowIso, version: key.version + 1, notification: null };
    delete old.defaultNotifications;
    if (until === undefined) {
      old.revokedAt = nowIso;
      old.revokedBy = actorOf(principal);
      delete old.previousSecretHash;
      delete old.previousSecretValidUntil;
    } else if (key.expiresAt === null || until.toISOString() < key.expiresAt) {
      old.expiresAt = until.toISOString();
    }
    const endsAt = old.revokedAt ?? (old.expiresAt as string);
    const audits = [
      changeEntry(deps, caller, 'key.rotate', { keyId: key.id, details: { successorId, overlap: input.overlap ?? null, endsAt } }),
      changeEntry(deps, caller, 'key.create', {
        keyId: successorId,
        details: {
          name: successor.name,
          owner: successor.owner,
          format,
          roles: successor.roles,
          permissions: successor.permissions,
          expiresAt,
          rotatedFrom: key.id,
          ...(successor.allowedIps === undefined ? {} : { allowedIps: successor.allowedIps }),
        },
      }),
    ];
    const outcome = await keyStore(deps).rotateKey(key, keyChanges(key, old), successor, audits);
    if (outcome.ok) {
      audits.forEach(changeCommitted);
      return { key: issued.keyString, details: await detailsWithQuota(deps, successor, now) };
    }
    if (outcome.reason === 'name_moved') {
      throw new ConflictError(`the name "${key.name}" of key ${key.id} is no longer held by it; read the key again`, 'concurrent_update');
    }
    if (attempt === MAX_ROTATION_ATTEMPTS) {
      throw new ConflictError(`key ${key.id} was changed by other requests meanwhile; retry`, 'concurrent_update');
    }
    // Read again: the winner's successor then answers 409; a plain edit meanwhile is retried over.
    if (outcome.reason === 'conflict') await sleep(5 + Math.random() * 20 * attempt);
  }
}

/* ---- suspend and resume one key ---- */

export async function suspendManagedKey(deps: Deps, principal: Principal, id: string, input: KeyStateInput): Promise<KeyDetails> {
  const key = await loadChangeableKey(deps, principal, id);
  return detailsWithQuota(deps, (await suspendKey(deps, key, auditedCaller(principal), input.reason)).key, deps.clock());
}

export async function resumeManagedKey(deps: Deps, principal: Principal, id: string, input: KeyStateInput): Promise<KeyDetails> {
  const key = await loadChangeableKey(deps, principal, id);
  return detailsWithQuota(deps, (await resumeKey(deps, key, auditedCaller(principal), input.reason)).key, deps.clock());
}

/* ---- every key of one owner ---- */

export type OwnerAction = 'suspend' | 'revoke';

export interface OwnerActionResult {
  owner: string;
  action: OwnerAction;
  /** Keys suspended (or revoked) by this call, one audit entry each. */
  count: number;
  /** Keys that could not be changed (changed by another request twice, or holding grants the caller lacks). */
  failed: number;
  /** False when the time budget ran out first: call again, it continues with the keys still left. */
  complete: boolean;
}

/**
 * One call's time budget: the function's timeout is 10 s and one DynamoDB call may take up to 3 s
 * (shared/bounded-calls.ts), so no new key is started after this much time.
 */
export const OWNER_ACTION_BUDGET_MS = 4_000;
const OWNER_ACTION_PAGE = 25;
const OWNER_ACTION_PARALLEL = 4;

/**
 * Suspends (or revokes) every key of one owner that is still live: admins only. It pages through
 * the owner's keys on the byOwner index (status filter: keys already suspended or revoked drop out,
 * so a second call continues where a first one stopped), changes each with its own conditional
 * write and audit entry, a few at a time, and stops starting new ones after the time budget.
 * Revoking takes active and suspended keys; expired ones are left to expire.
 */
export async function actOnOwnerKeys(
  deps: Deps,
  principal: Principal,
  owner: string,
  action: OwnerAction,
  input: KeyStateInput,
): Promise<OwnerActionResult> {
  if (!principal.expanded.admin) {
    // Another owner's keys look absent, as everywhere; for its own, the caller learns it needs an admin.
    if (owner !== principal.owner) throw new NotFoundError(`no keys of owner "${owner}"`);
    throw new ForbiddenError(`only an admin may ${action} every key of an owner; ${action} keys one by one`);
  }
  const started = performance.now();
  const caller = auditedCaller(principal);
  const statuses: KeyStatus[] = action === 'suspend' ? ['active'] : ['active', 'suspended'];
  let count = 0;
  let failed = 0;

  const act = async (found: KeyRecord): Promise<void> => {
    let key: KeyRecord | undefined = found;
    for (let attempt = 1; key !== undefined && attempt <= 2; attempt++) {
      if (missingGrants(deps.config.catalog, principal.expanded, key).length > 0) break;
      const status = keyStatus(key, deps.clock());
      if (!isLive(status) || (action === 'suspend' && status === 'suspended')) return;
      try {
        if (action === 'suspend') await suspendKey(deps, key, caller, input.reason, { bulk: true });
        else await revokeKey(deps, key, caller, input.reason, { bulk: true });
        count++;
        return;
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        // Suspended, resumed or revoked by someone else meanwhile: read it again and judge it afresh.
        key = await keyStore(deps).findKey(found.id);
      }
    }
    if (key !== undefined) failed++;
  };

  for (const status of statuses) {
    let cursor: string | undefined;
    do {
      if (performance.now() - started > OWNER_ACTION_BUDGET_MS) return { owner, action, count, failed, complete: false };
      const page = await keyStore(deps).queryKeys({ owner, status, limit: OWNER_ACTION_PAGE, cursor }, deps.clock());
      for (let i = 0; i < page.items.length; i += OWNER_ACTION_PARALLEL) {
        if (performance.now() - started > OWNER_ACTION_BUDGET_MS) return { owner, action, count, failed, complete: false };
        await settleAll(page.items.slice(i, i + OWNER_ACTION_PARALLEL).map(act));
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }
  return { owner, action, count, failed, complete: true };
}
