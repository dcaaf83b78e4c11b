import { type AuditedCaller, changeCommitted, changeEntry } from '../audit/audit-service.js';
import { auditEntryPut } from '../audit/audit-store.js';
import type { Policy } from '../deployment-config.js';
import { expandGrants, type Grants, missingGrants, normalizeGrants } from '../permissions/grants.js';
import { mayManage } from '../permissions/ownership.js';
import { actorOf, type Principal } from '../permissions/principal.js';
import type { Deps } from '../runtime/deps.js';
import { addDuration, parseDuration } from '../shared/durations.js';
import { AuthenticationError, ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../shared/errors.js';
import { verifyWithKnownKeys } from '../signing/jwks-source.js';
import { inactiveAtFrom, type KeyDetails, keyDetails, type KeyRecord, keyStatus, ttlFor } from './key-model.js';
import { findKey, findKeys, insertKey, queryKeys, recordUse, writeKeyEdit } from './key-store.js';
import type { StoredNotification } from './key-notifications.js';
import { notificationsForEdit, notificationsForNewKey } from './key-reminders.js';
import { InvalidKeyJwtError, isKeyJwt, MAX_KEY_JWT_LENGTH, signKeyJwt, verifyKeyJwt } from './key-jwt.js';
import { keyJwtSigner, keyJwtTrust } from './key-jwt-keys.js';
import { hashSecret, type IssuedSecret, issueSecret, newSecret, parseKeyString, secretMatches } from './key-string.js';
import { newKeyId } from '../shared/ids.js';
import type { CreateKeyInput, ListKeysInput, ResetKeyInput, UpdateKeyInput } from './schemas.js';

const MINUTE = 60_000;

/** A conditional write that lost a race is retried this often before the caller is told. */
const MAX_NAME_CLAIMS = 3;


function auditedCaller(principal: Principal): AuditedCaller {
  return { actor: actorOf(principal), request: principal.request };
}

/** The fields whose edits the audit log shows, before and after (never a secret or a hash). */
const AUDITED_EDIT_FIELDS = ['name', 'description', 'roles', 'permissions', 'expiresAt'] as const;

/** A notification as the audit log shows it: when and where, not its internal revision. */
function auditedNotification(n: StoredNotification | null | undefined) {
  return n ? { at: n.at, channelId: n.channelId, before: n.before ?? null } : null;
}

function editedFields(before: KeyRecord, after: KeyRecord): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  const compare = (field: string, from: unknown, to: unknown) => {
    if (JSON.stringify(from) !== JSON.stringify(to)) changes[field] = { from, to };
  };
  for (const field of AUDITED_EDIT_FIELDS) compare(field, before[field], after[field]);
  compare('notification', auditedNotification(before.notification), auditedNotification(after.notification));
  compare('defaultNotifications', (before.defaultNotifications ?? []).map(auditedNotification), (after.defaultNotifications ?? []).map(auditedNotification));
  return changes;
}

/* ---- expiry policy ---- */

/**
 * Turns `expiresAt` / `expiresIn` into the stored expiry, enforcing the policy bounds:
 * at least a minute from now, at most the max lifetime from now.
 */
export function resolveExpiry(
  policy: Policy,
  now: Date,
  input: { expiresAt?: string | null | undefined; expiresIn?: string | undefined },
): string | null | undefined {
  if (input.expiresAt !== undefined && input.expiresIn !== undefined) {
    throw new ValidationError('give expiresAt or expiresIn, not both', 'invalid_expiry');
  }
  let at: Date;
  if (input.expiresIn !== undefined) {
    at = addDuration(now, parseDuration(input.expiresIn, 'expiresIn'));
  } else if (input.expiresAt === null) {
    if (policy.requireExpiry) throw new ValidationError('this deployment requires every key to expire: give expiresAt or expiresIn', 'invalid_expiry');
    return null;
  } else if (input.expiresAt !== undefined) {
    at = new Date(input.expiresAt);
  } else {
    return undefined;
  }
  if (at.getTime() < now.getTime() + MINUTE) {
    throw new ValidationError(`expiry ${at.toISOString()} is too soon: it must be at least one minute from now`, 'invalid_expiry');
  }
  const latest = addDuration(now, policy.maxLifetime);
  if (at > latest) {
    throw new ValidationError(
      `expiry ${at.toISOString()} is beyond the maximum lifetime of ${policy.maxLifetime}: it must be no later than ${latest.toISOString()}`,
      'invalid_expiry',
    );
  }
  return at.toISOString();
}

/* ---- authorization ---- */

/** Reads a key the principal may manage. Keys of other owners look absent: no probing for ids. */
async function loadManagedKey(deps: Deps, principal: Principal, id: string): Promise<KeyRecord> {
  const key = await findKey(deps, id);
  if (!key || !mayManage(principal, key.owner)) throw new NotFoundError(`no key with id ${id}`);
  return key;
}

/**
 * Reads a key the principal may change (edit, reset or delete): besides the owner rule, the
 * principal must hold everything the key holds. Otherwise a key with keys:write could reset a
 * stronger key of its owner (an admin key, say) and take its new secret, or strip or revoke it.
 */
async function loadChangeableKey(deps: Deps, principal: Principal, id: string): Promise<KeyRecord> {
  const key = await loadManagedKey(deps, principal, id);
  const missing = missingGrants(deps.config.catalog, principal.expanded, key);
  if (missing.length > 0) {
    throw new ForbiddenError(`you cannot change key ${id}: it holds grants you do not hold yourself: ${missing.join(', ')}`);
  }
  return key;
}

function assertEditable(key: KeyRecord, now: Date): void {
  const status = keyStatus(key, now);
  if (status === 'revoked') throw new ConflictError(`key ${key.id} was deleted at ${key.revokedAt}; create a new key`, 'key_revoked');
  if (status !== 'active') throw new ConflictError(`key ${key.id} has ${status === 'expired' ? 'expired' : 'expired for inactivity'}; create a new key`, 'key_not_active');
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

export interface IssuedKey {
  /** The full key string (or JWT). Shown to the caller once; keygate keeps only a hash. */
  key: string;
  details: KeyDetails;
}

/**
 * The string a caller gets for a key (at creation and at every reset), and the hash keygate
 * keeps. A JWT-format key is signed now, naming the key as it stands (grants, expiry) and a new
 * random `jti`. Its stored hash is a SHA-256 of the whole compact JWT, not of a secret claim in
 * it: then the exact bytes keygate issued are the only ones that work (no re-encoded or
 * malleated signature, no payload re-signed by someone who got hold of a signing key), the
 * 256-bit `jti` gives the string full entropy (so, as for key strings, a fast hash is enough),
 * and every place that compares or fingerprints a secret (authenticateKey, the access tokens'
 * kg_sfp) works on JWT-format keys unchanged.
 */
async function issueKeyString(deps: Deps, key: Pick<KeyRecord, 'id' | 'owner' | 'roles' | 'permissions' | 'expiresAt' | 'format'>, now: Date): Promise<IssuedSecret> {
  if (key.format !== 'jwt') return issueSecret(deps.config.keyPrefix, key.id);
  if (key.expiresAt === null) {
    throw new ValidationError('a JWT-format key must expire (its exp claim is its expiry): give expiresAt or expiresIn', 'invalid_expiry');
  }
  const { issuer, signer } = await keyJwtSigner(deps, now);
  const jwt = await signKeyJwt(signer, {
    iss: issuer,
    sub: key.owner,
    key_id: key.id,
    grants: { roles: key.roles, permissions: key.permissions },
    iat: Math.floor(now.getTime() / 1000),
    // Never before the key: the stored expiry, which can only be shortened, decides anyway.
    exp: Math.ceil(new Date(key.expiresAt).getTime() / 1000),
    jti: newSecret(),
  });
  if (jwt.length > MAX_KEY_JWT_LENGTH) {
    throw new ValidationError(
      `as a JWT this key would be ${jwt.length} characters long, more than the ${MAX_KEY_JWT_LENGTH} keygate issues: use "format": "key", or fewer grants`,
      'key_too_long',
    );
  }
  return { keyString: jwt, secretHash: hashSecret(jwt) };
}

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
    version: 1,
  };
  Object.assign(record, await notificationsForNewKey(deps, principal, input.notification, record, now));
  const audit = changeEntry(deps, auditedCaller(principal), 'key.create', {
    keyId: id,
    details: { name: record.name, owner, format, roles: record.roles, permissions: record.permissions, expiresAt, notification: auditedNotification(record.notification) },
  });
  await claimNameAndWrite(deps, record, (staleHolder) =>
    insertKey(deps, record, ttlFor(record, policy), nameLockTtl(record, policy), auditEntryPut(deps, audit), staleHolder),
  );
  changeCommitted(audit);
  return { key: keyString, details: keyDetails(record, now) };
}

/** The lock outlives every state of its key in which the name is still held. */
function nameLockTtl(key: KeyRecord, policy: Policy): number | undefined {
  return key.expiresAt === null ? undefined : Math.ceil(addDuration(new Date(key.expiresAt), policy.retention).getTime() / 1000);
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
    const holder = outcome.holder === undefined ? undefined : await findKey(deps, outcome.holder);
    if (holder && holder.id !== key.id && keyStatus(holder, deps.clock()) === 'active') {
      throw new ConflictError(`owner "${key.owner}" already has a key named "${holder.name}" (id ${holder.id})`, 'name_taken');
    }
    staleHolder = outcome.holder;
  }
  throw new ConflictError(`the name "${key.name}" is being claimed by another request; retry`, 'name_taken');
}

export async function getKey(deps: Deps, principal: Principal, id: string): Promise<KeyDetails> {
  return keyDetails(await loadManagedKey(deps, principal, id), deps.clock());
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
  const page = await queryKeys(deps, { owner, status: input.status, limit: input.limit, cursor: input.cursor }, now);
  return { items: page.items.map((k) => keyDetails(k, now)), nextCursor: page.nextCursor };
}

export async function updateKey(deps: Deps, principal: Principal, id: string, input: UpdateKeyInput): Promise<KeyDetails> {
  const now = deps.clock();
  const policy = deps.config.policy;
  const key = await loadChangeableKey(deps, principal, id);
  assertEditable(key, now);

  const updated: KeyRecord = { ...key, updatedAt: now.toISOString(), version: key.version + 1 };
  if (input.name !== undefined) updated.name = input.name;
  if (input.description !== undefined) updated.description = input.description;
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
  await claimNameAndWrite(deps, updated, (staleHolder) =>
    writeKeyEdit(deps, key, updated, auditEntryPut(deps, audit), { lockTtl: nameLockTtl(updated, policy), staleHolder }),
  );
  changeCommitted(audit);
  return keyDetails(updated, now);
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
  const outcome = await writeKeyEdit(deps, key, updated, auditEntryPut(deps, audit));
  if (!outcome.ok) throw new ConflictError(`key ${key.id} was changed by another request meanwhile; retry`, 'concurrent_update');
  changeCommitted(audit);
  return { key: keyString, details: keyDetails(updated, now) };
}

export async function deleteKey(deps: Deps, principal: Principal, id: string): Promise<void> {
  const now = deps.clock();
  const key = await loadChangeableKey(deps, principal, id);
  if (key.revokedAt !== undefined) throw new ConflictError(`key ${key.id} was already deleted at ${key.revokedAt}`, 'key_revoked');
  const revoked: KeyRecord = { ...key, revokedAt: now.toISOString(), revokedBy: actorOf(principal), updatedAt: now.toISOString(), version: key.version + 1 };
  delete revoked.previousSecretHash;
  delete revoked.previousSecretValidUntil;
  const audit = changeEntry(deps, auditedCaller(principal), 'key.delete', { keyId: key.id, details: { name: key.name, owner: key.owner } });
  const outcome = await writeKeyEdit(deps, key, revoked, auditEntryPut(deps, audit), { releaseName: true });
  if (!outcome.ok) throw new ConflictError(`key ${key.id} was changed by another request meanwhile; retry`, 'concurrent_update');
  changeCommitted(audit);
}

/* ---- authentication ---- */

/**
 * lastUsedAt writes this process has sent in the last minute, by table and key. Concurrent
 * authentications of one key all read the same stale lastUsedAt; without this each would send
 * the conditional write (one succeeds, the rest fail and still cost write capacity). Across
 * processes the write's condition remains the rule.
 */
const sentUseWrites = new Map<string, number>();
const MAX_TRACKED_USE_WRITES = 10_000;

function claimUseWrite(deps: Deps, keyId: string, now: Date): boolean {
  const id = `${deps.tableName}\0${keyId}`;
  const at = now.getTime();
  const sent = sentUseWrites.get(id);
  if (sent !== undefined && at >= sent && at - sent < MINUTE) return false;
  if (sentUseWrites.size >= MAX_TRACKED_USE_WRITES) sentUseWrites.clear();
  sentUseWrites.set(id, at);
  return true;
}

function releaseUseWrite(deps: Deps, keyId: string): void {
  sentUseWrites.delete(`${deps.tableName}\0${keyId}`);
}

/** A presented key, checked as far as it can be without reading the table. */
export interface PresentedKey {
  keyId: string;
  /** What the stored hash is a hash of: a key string's secret, or a JWT-format key's whole JWT. */
  secret: string;
  /** A JWT-format key whose `exp` has passed. */
  expired: boolean;
}

/** jose's code when a JWT names a key the verifier does not hold (a rotation a cached copy predates). */
const UNKNOWN_SIGNING_KEY = 'ERR_JWKS_NO_MATCHING_KEY';

/**
 * Reads a presented key with no table I/O: a key string by its shape and checksum, a JWT-format
 * key by its signature, type and issuer (functions/keys/key-jwt.ts). Anything else is refused here.
 */
export async function readPresentedKey(deps: Deps, presented: string): Promise<PresentedKey> {
  if (isKeyJwt(presented)) {
    const trust = keyJwtTrust(deps);
    const now = deps.clock();
    try {
      const { claims, expired } = await verifyWithKnownKeys(
        trust,
        now,
        (jwks) => verifyKeyJwt(presented, { issuer: [trust.issuer, ...deps.config.tokens.earlierKeyIssuers], jwks, now }),
        (error) => error instanceof InvalidKeyJwtError && error.reason === UNKNOWN_SIGNING_KEY,
      );
      return { keyId: claims.key_id, secret: presented, expired };
    } catch (error) {
      if (error instanceof InvalidKeyJwtError) throw new AuthenticationError('invalid', 'the key is not valid: keygate did not sign this JWT');
      throw error;
    }
  }
  const parsed = parseKeyString(deps.config.keyPrefix, presented);
  if (!parsed) throw new AuthenticationError('malformed', 'not a keygate key: the string is malformed or its checksum is wrong');
  return { ...parsed, expired: false };
}

/**
 * A presented key and what the table holds under its id (`record` undefined: nothing), read but
 * not yet judged; or `refused` before any read (malformed, bad checksum, badly signed: what
 * readPresentedKey threw), kept to be thrown when the key is judged.
 */
export type KeyLookup = { presented: PresentedKey; record: KeyRecord | undefined } | { refused: unknown };

/** readPresentedKey, keeping a refusal instead of throwing it. */
async function checkPresentedKey(deps: Deps, presented: string): Promise<{ presented: PresentedKey } | { refused: unknown }> {
  try {
    return { presented: await readPresentedKey(deps, presented) };
  } catch (error) {
    return { refused: error };
  }
}

/** A presented key's lookup on its own: the offline checks, then one read unless they refused it. */
export async function lookUpKey(deps: Deps, presented: string): Promise<KeyLookup> {
  const checked = await checkPresentedKey(deps, presented);
  return 'refused' in checked ? checked : { ...checked, record: await findKey(deps, checked.presented.keyId) };
}

/**
 * The judgement of a presented key against its stored record (undefined: none), with no I/O:
 * the hash, then the status; returns the record when the key works, or throws an
 * AuthenticationError whose `reason` says why. For both formats the record decides (a JWT's own
 * claims are never used). State (expired, revoked) is only revealed to a caller who holds the
 * right secret.
 */
function judgeKey(presented: PresentedKey, key: KeyRecord | undefined, now: Date): KeyRecord {
  const nowIso = now.toISOString();
  const current = secretMatches(presented.secret, key?.secretHash);
  const previous = secretMatches(presented.secret, key?.previousSecretHash);
  const graceOpen = key?.previousSecretValidUntil !== undefined && key.previousSecretValidUntil > nowIso;
  if (!key || !(current || (previous && graceOpen))) {
    throw new AuthenticationError('invalid', 'the key is not valid', { keyId: presented.keyId, known: key !== undefined });
  }
  let status = keyStatus(key, now);
  // The record governs; this only keeps a JWT from working past its own exp, whatever the record says.
  if (status === 'active' && presented.expired) status = 'expired';
  if (status !== 'active') {
    const why = status === 'revoked' ? 'was deleted' : status === 'expired' ? `expired at ${key.expiresAt}` : `expired for inactivity at ${key.inactiveAt}`;
    throw new AuthenticationError(status, `the key ${why}`, { keyId: key.id, known: true });
  }
  return key;
}

/**
 * Judges a looked-up key (judgeKey; a refusal kept by the lookup is thrown here) and, when it
 * works, records the use (lastUsedAt, once a minute) and returns its principal. Every place that
 * authenticates a key ends here.
 */
export async function authenticateLookup(deps: Deps, lookup: KeyLookup): Promise<Principal> {
  if ('refused' in lookup) throw lookup.refused;
  const now = deps.clock();
  const key = judgeKey(lookup.presented, lookup.record, now);
  if ((key.lastUsedAt === undefined || key.lastUsedAt <= new Date(now.getTime() - MINUTE).toISOString()) && claimUseWrite(deps, key.id, now)) {
    const inactiveAt = inactiveAtFrom(now, deps.config.policy);
    try {
      await recordUse(deps, key.id, now, inactiveAt, ttlFor({ ...key, inactiveAt }, deps.config.policy));
    } catch (error) {
      releaseUseWrite(deps, key.id);
      throw error;
    }
  }
  return {
    keyId: key.id,
    owner: key.owner,
    grants: { roles: key.roles, permissions: key.permissions },
    expanded: expandGrants(deps.config.catalog, key),
    expiresAt: key.expiresAt,
  };
}

/**
 * Resolves a presented key (a key string or a JWT-format key) to its principal, or throws an
 * AuthenticationError whose `reason` says why. A malformed, bad-checksum or badly signed key is
 * refused before any I/O on the table; then one strongly consistent read, and authenticateLookup.
 */
export async function authenticateKey(deps: Deps, presented: string | PresentedKey): Promise<Principal> {
  if (typeof presented === 'string') return authenticateLookup(deps, await lookUpKey(deps, presented));
  return authenticateLookup(deps, { presented, record: await findKey(deps, presented.keyId) });
}

/**
 * authenticateKey for `presented`, reading the key `alongside` names in the same request (one
 * BatchGetItem, not two reads in turn; one GetItem when both name the same id, or when
 * `alongside` is refused offline and so not read). `alongside` is returned looked up, NOT judged:
 * its judgement and every side effect about it (use, audit, metrics) are for the caller to do
 * once `presented` is authorized, so a refused caller causes nothing about it and learns nothing
 * of it. A `presented` refused offline throws before any read.
 */
export async function authenticateKeyAlongside(deps: Deps, presented: string, alongside: string): Promise<{ principal: Principal; alongside: KeyLookup }> {
  const caller = await readPresentedKey(deps, presented);
  const other = await checkPresentedKey(deps, alongside);
  const records = await findKeys(deps, 'refused' in other ? [caller.keyId] : [caller.keyId, other.presented.keyId]);
  const principal = await authenticateLookup(deps, { presented: caller, record: records.get(caller.keyId) });
  return { principal, alongside: 'refused' in other ? other : { ...other, record: records.get(other.presented.keyId) } };
}
