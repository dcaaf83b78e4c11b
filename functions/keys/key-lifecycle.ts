import { type AuditedCaller, changeCommitted, changeEntry } from '../audit/audit-service.js';
import { type Grants, missingGrants, normalizeGrants } from '../permissions/grants.js';
import { mayManage } from '../permissions/ownership.js';
import { actorOf, type Principal } from '../permissions/principal.js';
import type { Deps } from '../runtime/deps.js';
import { addDuration, parseDuration } from '../shared/durations.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../shared/errors.js';
import { newKeyId } from '../shared/ids.js';
import { resolveExpiry } from './key-expiry-policy.js';
import { type IssuedKey, issueKeyString } from './key-issuing.js';
import { normalizeAllowedIps } from './key-ip-allowlist.js';
import { metadataFields } from './key-metadata.js';
import { inactiveAtFrom, isLive, type KeyDetails, keyChanges, keyDetails, type KeyRecord, keyStatus } from './key-model.js';
import { revokeKey } from './key-state.js';
import type { StoredNotification } from './key-notifications.js';
import { notificationsForEdit, notificationsForNewKey } from './key-reminders.js';
import { keyStore } from './key-store.js';
import { normalizeQuota, normalizeRateLimits } from '../usage/limit-model.js';
import { quotaRemaining } from '../usage/quotas.js';
import type { CreateKeyInput, ListKeysInput, ResetKeyInput, UpdateKeyInput } from './schemas.js';
import { settleAll } from '../shared/settled.js';

/**
 * A key's lifecycle: create, read, list, edit, reset and delete, with the rules that govern them
 * (who may manage and change a key, what may be granted, the expiry policy, name claims). The
 * table is reached through the key store (deps.keys); authentication is key-authentication.ts.
 */

export type { IssuedKey } from './key-issuing.js';

/** A conditional write that lost a race is retried this often before the caller is told. */
const MAX_NAME_CLAIMS = 3;

export function auditedCaller(principal: Principal): AuditedCaller {
  return { actor: actorOf(principal), request: principal.request };
}

/** The fields whose edits the audit log shows, before and after (never a secret or a hash). */
const AUDITED_EDIT_FIELDS = ['name', 'description', 'roles', 'permissions', 'expiresAt', 'tags', 'meta', 'allowedIps', 'rateLimits', 'quota'] as const;

/** A notification as the audit log shows it: when and where, not its internal revision. */
function auditedNotification(n: StoredNotification | null | undefined) {
  return n ? { at: n.at, channelId: n.channelId, before: n.before ?? null } : null;
}

function editedFields(before: KeyRecord, after: KeyRecord): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  const compare = (field: string, from: unknown, to: unknown) => {
    if (JSON.stringify(from) !== JSON.stringify(to)) changes[field] = { from, to };
  };
  // Optional fields (tags, meta) show as null when absent, so a removal reads "to: null".
  for (const field of AUDITED_EDIT_FIELDS) compare(field, before[field] ?? null, after[field] ?? null);
  compare('notification', auditedNotification(before.notification), auditedNotification(after.notification));
  compare('defaultNotifications', (before.defaultNotifications ?? []).map(auditedNotification), (after.defaultNotifications ?? []).map(auditedNotification));
  return changes;
}

/* ---- authorization ---- */

/** Reads a key the principal may manage. Keys of other owners look absent: no probing for ids. */
export async function loadManagedKey(deps: Deps, principal: Principal, id: string): Promise<KeyRecord> {
  const key = await keyStore(deps).findKey(id);
  if (!key || !mayManage(principal, key.owner)) throw new NotFoundError(`no key with id ${id}`);
  return key;
}

/**
 * Reads a key the principal may change (edit, reset or delete): besides the owner rule, the
 * principal must hold everything the key holds. Otherwise a key with keys:write could reset a
 * stronger key of its owner (an admin key, say) and take its new secret, or strip or revoke it.
 */
export async function loadChangeableKey(deps: Deps, principal: Principal, id: string): Promise<KeyRecord> {
  const key = await loadManagedKey(deps, principal, id);
  const missing = missingGrants(deps.config.catalog, principal.expanded, key);
  if (missing.length > 0) {
    throw new ForbiddenError(`you cannot change key ${id}: it holds grants you do not hold yourself: ${missing.join(', ')}`);
  }
  return key;
}

/**
 * Edits and resets need a key that is active or suspended (suspend, reset, resume is how an
 * incident is handled) and not replaced by a rotation: a rotated key only runs out its overlap.
 */
function assertEditable(key: KeyRecord, now: Date): void {
  const status = keyStatus(key, now);
  if (status === 'revoked') throw new ConflictError(`key ${key.id} was deleted at ${key.revokedAt}; create a new key`, 'key_revoked');
  if (!isLive(status)) {
    throw new ConflictError(`key ${key.id} has ${status === 'expired' ? 'expired' : 'expired for inactivity'}; create a new key`, 'key_not_active');
  }
  if (key.successorId !== undefined) {
    throw new ConflictError(`key ${key.id} was rotated to ${key.successorId} at ${key.rotatedAt}: change the successor instead`, 'key_rotated');
  }
}

function checkGrants(deps: Deps, principal: Principal, grants: Grants): Grants {
  const normalized = normalizeGrants(deps.config.catalog, grants);
  if (normalized.roles.length === 0 && normalized.permissions.length === 0) {
    throw new ValidationError('a key needs at least one role or permission (GET /v1/catalog lists them)', 'invalid_grant');
  }
  const missing = missingGrants(deps.config.catalog, principal.expanded, normalized);
  if (missing.length > 0) {
    throw new ForbiddenError(`you cannot grant what you do not hold yourself: ${missing.join(', ')}`);
  }
  return normalized;
}

/* ---- lifecycle ---- */

export async function createKey(deps: Deps, principal: Principal, input: CreateKeyInput): Promise<IssuedKey> {
  const now = deps.clock();
  const policy = deps.config.policy;
  const owner = input.owner ?? principal.owner;
  if (!mayManage(principal, owner)) {
    throw new ForbiddenError(`you may create keys only for your own owner "${principal.owner}"`);
  }
  const grants = checkGrants(deps, principal, { roles: input.roles, permissions: input.permissions });
  const resolved = resolveExpiry(policy, now, input);
  const expiresAt = resolved === undefined ? addDuration(now, policy.defaultLifetime).toISOString() : resolved;
  const format = input.format ?? 'key';

  const id = newKeyId();
  const { keyString, secretHash } = await issueKeyString(deps, { id, owner, ...grants, expiresAt, format }, now);
  const createdAt = now.toISOString();
  const record: KeyRecord = {
    id,
    name: input.name,
    description: input.description,
    owner,
    ...grants,
    format,
    secretHash,
    createdAt,
    createdBy: actorOf(principal),
    updatedAt: createdAt,
    expiresAt,
    inactiveAt: inactiveAtFrom(now, policy),
    ...metadataFields(input),
    version: 1,
  };
  const allowedIps = input.allowedIps === undefined ? undefined : normalizeAllowedIps(input.allowedIps);
  if (allowedIps !== undefined) record.allowedIps = allowedIps;
  const rateLimits = normalizeRateLimits(input.rateLimits);
  if (rateLimits !== undefined) record.rateLimits = rateLimits;
  const quota = normalizeQuota(input.quota, now);
  if (quota !== undefined) record.quota = quota;
  if (principal.expanded.admin && (rateLimits !== undefined || quota !== undefined)) record.limitsSetByAdmin = true;
  Object.assign(record, await notificationsForNewKey(deps, principal, input.notification, record, now));
  const audit = changeEntry(deps, auditedCaller(principal), 'key.create', {
    keyId: id,
    details: {
      name: record.name,
      owner,
      format,
      roles: record.roles,
      permissions: record.permissions,
      expiresAt,
      notification: auditedNotification(record.notification),
      ...(record.tags === undefined ? {} : { tags: record.tags }),
      ...(record.meta === undefined ? {} : { meta: record.meta }),
      ...(allowedIps === undefined ? {} : { allowedIps }),
      ...(rateLimits === undefined ? {} : { rateLimits }),
      ...(quota === undefined ? {} : { quota }),
    },
  });
  await claimNameAndWrite(deps, record, (staleHolder) => keyStore(deps).insertKey(record, audit, staleHolder));
  changeCommitted(audit);
  return { key: keyString, details: keyDetails(record, now, quota?.remaining) };
}

/**
 * Runs a write that claims `key.name` for `key.owner`. If the name is held by a key that is no
 * longer active, the write is retried as a takeover of that stale lock (conditional on the
 * holder, so concurrent claimants cannot both win). An active holder means 409.
 */
async function claimNameAndWrite(
  deps: Deps,
  key: KeyRecord,
  write: (staleHolder?: string) => Promise<{ ok: true } | { ok: false; holder?: string | undefined; reason?: string }>,
): Promise<void> {
  let staleHolder: string | undefined;
  for (let attempt = 0; attempt < MAX_NAME_CLAIMS; attempt++) {
    const outcome = await write(staleHolder);
    if (outcome.ok) return;
    if (outcome.reason === 'changed') {
      throw new ConflictError(`key ${key.id} was changed by another request meanwhile; read it again and retry`, 'concurrent_update');
    }
    const holder = outcome.holder === undefined ? undefined : await keyStore(deps).findKey(outcome.holder);
    // A suspended holder keeps its name: it may be resumed.
    if (holder && holder.id !== key.id && isLive(keyStatus(holder, deps.clock()))) {
      throw new ConflictError(`owner "${key.owner}" already has a key named "${holder.name}" (id ${holder.id})`, 'name_taken');
    }
    staleHolder = outcome.holder;
  }
  throw new ConflictError(`the name "${key.name}" is being claimed by another request; retry`, 'name_taken');
}

/**
 * An edit's rate limits and quota (as given: [] or null removes them). Limits an admin set only an
 * admin may change: an owner lifting them, or re-setting a quota to refill it, would grant itself
 * more than it holds (a 403). An admin's limits are marked so; a key left with none loses the mark
 * and counts on its own counters again. Every field is returned, undefined where removed.
 */
function editedLimits(principal: Principal, key: KeyRecord, input: UpdateKeyInput, now: Date): Partial<KeyRecord> {
  if (key.limitsSetByAdmin && !principal.expanded.admin) {
    throw new ForbiddenError(`the rate limits and quota of key ${key.id} were set by an admin: only an admin may change them`);
  }
  const rateLimits = input.rateLimits === undefined ? key.rateLimits : normalizeRateLimits(input.rateLimits);
  const quota = input.quota === undefined ? key.quota : normalizeQuota(input.quota, now);
  if (rateLimits === undefined && quota === undefined) {
    return { rateLimits, quota, limitsSetByAdmin: undefined, limitsCountedOn: undefined };
  }
  return { rateLimits, quota, limitsSetByAdmin: principal.expanded.admin ? true : undefined, limitsCountedOn: key.limitsCountedOn };
}

/** A key's details with the uses left in its quota (one read of the quota's current period, for keys that have one). */
export async function detailsWithQuota(deps: Deps, key: KeyRecord, now: Date): Promise<KeyDetails> {
  return keyDetails(key, now, key.quota === undefined ? undefined : await quotaRemaining(deps, key.limitsCountedOn ?? key.id, key.quota));
}

export async function getKey(deps: Deps, principal: Principal, id: string): Promise<KeyDetails> {
  return detailsWithQuota(deps, await loadManagedKey(deps, principal, id), deps.clock());
}

export async function listKeys(deps: Deps, principal: Principal, input: ListKeysInput) {
  let owner = input.owner;
  if (!principal.expanded.admin) {
    if (owner !== undefined && owner !== principal.owner) {
      throw new ForbiddenError(`you may list only keys of your own owner "${principal.owner}"`);
    }
    owner = principal.owner;
  }
  const now = deps.clock();
  const { status, tag, namePrefix, expiringBefore, unusedSince, limit, cursor } = input;
  const page = await keyStore(deps).queryKeys({ owner, status, tag, namePrefix, expiringBefore, unusedSince, limit, cursor }, now);
  return { items: await settleAll(page.items.map((k) => detailsWithQuota(deps, k, now))), nextCursor: page.nextCursor };
}

export async function updateKey(deps: Deps, principal: Principal, id: string, input: UpdateKeyInput): Promise<KeyDetails> {
  const now = deps.clock();
  const policy = deps.config.policy;
  const key = await loadChangeableKey(deps, principal, id);
  assertEditable(key, now);

  const updated: KeyRecord = { ...key, updatedAt: now.toISOString(), version: key.version + 1 };
  if (input.name !== undefined) updated.name = input.name;
  if (input.description !== undefined) updated.description = input.description;
  if (input.tags !== undefined) {
    delete updated.tags;
    Object.assign(updated, metadataFields({ tags: input.tags }));
  }
  if (input.meta !== undefined) {
    delete updated.meta;
    Object.assign(updated, metadataFields({ meta: input.meta }));
  }
  if (input.allowedIps !== undefined) {
    const allowedIps = normalizeAllowedIps(input.allowedIps);
    if (allowedIps === undefined) delete updated.allowedIps;
    else updated.allowedIps = allowedIps;
  }
  if (input.rateLimits !== undefined || input.quota !== undefined) Object.assign(updated, editedLimits(principal, key, input, now));
  if (input.roles !== undefined || input.permissions !== undefined) {
    Object.assign(updated, checkGrants(deps, principal, { roles: input.roles ?? key.roles, permissions: input.permissions ?? key.permissions }));
  }
  const expiresAt = resolveExpiry(policy, now, input);
  if (expiresAt !== undefined && expiresAt !== null) {
    if (key.expiresAt !== null && expiresAt > key.expiresAt) {
      throw new ValidationError(`expiry can only be shortened: this key expires at ${key.expiresAt}; create a new key to get a later one`, 'invalid_expiry');
    }
    updated.expiresAt = expiresAt;
  }
  Object.assign(updated, await notificationsForEdit(deps, principal, input.notification, key, updated, now));
  const audit = changeEntry(deps, auditedCaller(principal), 'key.update', { keyId: key.id, details: { changes: editedFields(key, updated) } });
  await claimNameAndWrite(deps, updated, (staleHolder) => keyStore(deps).editKey(key, keyChanges(key, updated), audit, { staleHolder }));
  changeCommitted(audit);
  return detailsWithQuota(deps, updated, now);
}

export async function resetKeySecret(deps: Deps, principal: Principal, id: string, input: ResetKeyInput): Promise<IssuedKey> {
  const now = deps.clock();
  const policy = deps.config.policy;
  const key = await loadChangeableKey(deps, principal, id);
  assertEditable(key, now);

  const { keyString, secretHash } = await issueKeyString(deps, key, now);
  const updated: KeyRecord = { ...key, secretHash, secretResetAt: now.toISOString(), updatedAt: now.toISOString(), version: key.version + 1 };
  delete updated.previousSecretHash;
  delete updated.previousSecretValidUntil;
  if (input.gracePeriod !== undefined) {
    const until = addDuration(now, parseDuration(input.gracePeriod, 'gracePeriod'));
    if (until > addDuration(now, policy.maxResetGracePeriod)) {
      throw new ValidationError(`gracePeriod may be at most ${policy.maxResetGracePeriod}`, 'invalid_grace_period');
    }
    updated.previousSecretHash = key.secretHash;
    updated.previousSecretValidUntil = until.toISOString();
  }
  const audit = changeEntry(deps, auditedCaller(principal), 'key.reset', {
    keyId: key.id,
    details: { gracePeriod: input.gracePeriod ?? null, previousSecretValidUntil: updated.previousSecretValidUntil ?? null },
  });
  const outcome = await keyStore(deps).editKey(key, keyChanges(key, updated), audit);
  if (!outcome.ok) throw new ConflictError(`key ${key.id} was changed by another request meanwhile; retry`, 'concurrent_update');
  changeCommitted(audit);
  return { key: keyString, details: await detailsWithQuota(deps, updated, now) };
}

export async function deleteKey(deps: Deps, principal: Principal, id: string): Promise<void> {
  await revokeKey(deps, await loadChangeableKey(deps, principal, id), auditedCaller(principal));
}
