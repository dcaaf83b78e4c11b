import { expandGrants } from '../permissions/grants.js';
import type { Principal } from '../permissions/principal.js';
import { countUseRecordFailed } from '../observability/metrics.js';
import type { Deps } from '../runtime/deps.js';
import { AuthenticationError } from '../shared/errors.js';
import { verifyWithKnownKeys } from '../signing/jwks-source.js';
import { inactiveAtFrom, type KeyRecord, keyStatus } from './key-model.js';
import { keyStore } from './key-store.js';
import { InvalidKeyJwtError, isKeyJwt, verifyKeyJwt } from './key-jwt.js';
import { keyJwtTrust } from './key-jwt-keys.js';
import { addressAllowed } from './key-ip-allowlist.js';
import { parseKeyString, secretMatches } from './key-string.js';
import { countAgainstLimits } from '../usage/limit-enforcement.js';
import { limitsClaim } from '../usage/limit-model.js';
import { countedUse } from '../usage/usage-counts.js';
import { BoundedMap } from '../shared/bounded-map.js';

/**
 * Authentication of a presented key: the offline checks (shape and checksum, or a JWT-format
 * key's signature), one strongly consistent read, the judgement (judgeKey, no I/O), and the
 * once-a-minute use record. access/, tokens/ and the authorizer all end here.
 */

const MINUTE = 60_000;

/**
 * lastUsedAt writes this process has sent in the last minute, by table and key. Concurrent
 * authentications of one key all read the same stale lastUsedAt; without this each would send
 * the conditional write (one succeeds, the rest fail and still cost write capacity). Across
 * processes the write's condition remains the rule.
 */
const sentUseWrites = new BoundedMap<number>(10_000);

function claimUseWrite(deps: Deps, keyId: string, now: Date): boolean {
  const id = `${deps.tableName}\0${keyId}`;
  const at = now.getTime();
  const sent = sentUseWrites.get(id);
  if (sent !== undefined && at >= sent && at - sent < MINUTE) return false;
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
  return { keyId: parsed.keyId, secret: parsed.secret, expired: false };
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
  return 'refused' in checked ? checked : { presented: checked.presented, record: await keyStore(deps).findKey(checked.presented.keyId) };
}

/**
 * Where a use of a key comes from, for its IP allowlist: `ip` is the client's address as API
 * Gateway saw the connection (null: not known, which an allowlist refuses), or `unchecked`: the
 * address is not known and not asked for (POST /v1/keys/verify when the service does not pass
 * the client's address). Callers that say nothing get UNKNOWN_ADDRESS: an allowlisted key is
 * then refused, never waved through.
 */
export type ClientAddress = { ip: string | null } | 'unchecked';
export const UNKNOWN_ADDRESS: ClientAddress = { ip: null };

/**
 * The judgement of a presented key against its stored record (undefined: none), with no I/O:
 * the hash, then the IP allowlist, then the status; returns the record when the key works, or
 * throws an AuthenticationError whose `reason` says why. For both formats the record decides (a
 * JWT's own claims are never used). State (expired, revoked, suspended, allowlist) is only
 * revealed to a caller who holds the right secret; one using it from outside the allowlist
 * learns nothing of the key's state.
 */
export function judgeKey(presented: PresentedKey, key: KeyRecord | undefined, now: Date, address: ClientAddress = UNKNOWN_ADDRESS): KeyRecord {
  const nowIso = now.toISOString();
  const current = secretMatches(presented.secret, key?.secretHash);
  const previous = secretMatches(presented.secret, key?.previousSecretHash);
  const graceOpen = key?.previousSecretValidUntil !== undefined && key.previousSecretValidUntil > nowIso;
  if (!key || !(current || (previous && graceOpen))) {
    throw new AuthenticationError('invalid', 'the key is not valid', { keyId: presented.keyId, known: key !== undefined });
  }
  if (key.allowedIps !== undefined && address !== 'unchecked' && !addressAllowed(key.allowedIps, address.ip)) {
    const from = address.ip === null ? 'from an unknown address' : `from ${address.ip}`;
    const message = `the key may not be used ${from}: its IP allowlist does not include it`;
    throw new AuthenticationError('ip_not_allowed', message, { keyId: key.id, known: true }, address.ip);
  }
  let status = keyStatus(key, now);
  // The record governs; this only keeps a JWT from working past its own exp, whatever the record says.
  if ((status === 'active' || status === 'suspended') && presented.expired) status = 'expired';
  if (status !== 'active') {
    const why =
      status === 'revoked'
        ? 'was deleted'
        : status === 'suspended'
          ? `is suspended (since ${key.suspendedAt}); it works again once resumed`
          : status === 'expired'
            ? `expired at ${key.expiresAt}`
            : `expired for inactivity at ${key.inactiveAt}`;
    throw new AuthenticationError(status, `the key ${why}`, { keyId: key.id, known: true });
  }
  return key;
}

/**
 * Judges a looked-up key (judgeKey; a refusal kept by the lookup is thrown here) and, when it
 * works, records the use (lastUsedAt, once a minute) and returns its principal. Every place that
 * authenticates a key ends here, so the key's usage is counted here, in one place: the principal
 * returned is `allowed`; an AuthenticationError thrown from anywhere inside judgeAndRecordUse about
 * a key the table holds is counted by its reason (functions/usage/usage-counts.ts useOutcomeOf:
 * `rate_limited` → rateLimited, any other → refused); a key the table does not hold is not counted.
 * Counting is in memory: no I/O here unless a flush is due, and that one is not awaited.
 */
export async function authenticateLookup(deps: Deps, lookup: KeyLookup, address: ClientAddress = UNKNOWN_ADDRESS): Promise<Principal> {
  return countedUse(deps, () => judgeAndRecordUse(deps, lookup, address));
}

/** authenticateLookup's judgement and use record, before its usage count. */
async function judgeAndRecordUse(deps: Deps, lookup: KeyLookup, address: ClientAddress): Promise<Principal> {
  if ('refused' in lookup) throw lookup.refused;
  const now = deps.clock();
  const key = judgeKey(lookup.presented, lookup.record, now, address);
  // Only a key with limits touches a counter (rate limits, then quota); one without costs nothing.
  // A refusal (LimitRefusalError) or a counter failure (UnavailableError) ends here, before the use record.
  if (key.rateLimits !== undefined || key.quota !== undefined) {
    await countAgainstLimits(deps, key.id, key, key.expiresAt === null ? undefined : Math.ceil(new Date(key.expiresAt).getTime() / 1000));
  }
  if ((key.lastUsedAt === undefined || key.lastUsedAt <= new Date(now.getTime() - MINUTE).toISOString()) && claimUseWrite(deps, key.id, now)) {
    try {
      await keyStore(deps).recordUse(key, now, inactiveAtFrom(now, deps.config.policy));
    } catch (error) {
      // Best effort: a throttle or a transaction conflict on the key item never refuses a key
      // that was judged valid. The next use (after the claim is released) tries again.
      releaseUseWrite(deps, key.id);
      countUseRecordFailed(key.id, error);
    }
  }
  return {
    keyId: key.id,
    owner: key.owner,
    grants: { roles: key.roles, permissions: key.permissions },
    expanded: expandGrants(deps.config.catalog, key),
    expiresAt: key.expiresAt,
    ...(key.meta === undefined ? {} : { meta: key.meta }),
    ...(key.allowedIps === undefined ? {} : { allowedIps: key.allowedIps }),
    ...(key.rateLimits === undefined && key.quota === undefined ? {} : { limits: limitsClaim(key) }),
  };
}

/**
 * Resolves a presented key (a key string or a JWT-format key) to its principal, or throws an
 * AuthenticationError whose `reason` says why. A malformed, bad-checksum or badly signed key is
 * refused before any I/O on the table; then one strongly consistent read, and authenticateLookup.
 */
export async function authenticateKey(deps: Deps, presented: string | PresentedKey, address: ClientAddress = UNKNOWN_ADDRESS): Promise<Principal> {
  if (typeof presented === 'string') return authenticateLookup(deps, await lookUpKey(deps, presented), address);
  return authenticateLookup(deps, { presented, record: await keyStore(deps).findKey(presented.keyId) }, address);
}

/**
 * authenticateKey for `presented`, reading the key `alongside` names in the same request (one
 * BatchGetItem, not two reads in turn; one GetItem when both name the same id, or when
 * `alongside` is refused offline and so not read). `alongside` is returned looked up, NOT judged:
 * its judgement and every side effect about it (use, audit, metrics) are for the caller to do
 * once `presented` is authorized, so a refused caller causes nothing about it and learns nothing
 * of it. A `presented` refused offline throws before any read.
 */
export async function authenticateKeyAlongside(
  deps: Deps,
  presented: string,
  alongside: string,
  address: ClientAddress = UNKNOWN_ADDRESS,
): Promise<{ principal: Principal; alongside: KeyLookup }> {
  const caller = await readPresentedKey(deps, presented);
  const other = await checkPresentedKey(deps, alongside);
  const records = await keyStore(deps).findKeys('refused' in other ? [caller.keyId] : [caller.keyId, other.presented.keyId]);
  const principal = await authenticateLookup(deps, { presented: caller, record: records.get(caller.keyId) }, address);
  return { principal, alongside: 'refused' in other ? other : { presented: other.presented, record: records.get(other.presented.keyId) } };
}
