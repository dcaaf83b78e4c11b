import type { PersonIdentity } from '../audit/audit-model.js';
import type { Policy } from '../deployment-config.js';
import { addDuration } from '../shared/durations.js';
import type { RoleGrant } from '../permissions/grants.js';
import type { Actor } from '../permissions/principal.js';
import type { Quota, RateLimit } from '../usage/limit-model.js';
import type { KeyMeta } from './key-metadata.js';
import { type KeyNotificationFields, notificationDetails } from './key-notifications.js';

export const keyStatuses = ['active', 'expired', 'expired_inactive', 'revoked', 'suspended'] as const;
/** `key`: a `kg_<id>_<secret><checksum>` string; `jwt`: a signed JWT (functions/keys/key-jwt.ts). */
export const keyFormats = ['key', 'jwt'] as const;
export type KeyFormat = (typeof keyFormats)[number];
export type KeyStatus = (typeof keyStatuses)[number];
export type ExpiryReason = 'expires_at' | 'inactivity';

/**
 * A key as stored, minus the table's own attributes. Times are ISO 8601 UTC strings. Its expiry
 * notifications (`notification`, `defaultNotifications`) are part of it: see key-notifications.ts.
 */
export interface KeyRecord extends KeyNotificationFields {
  id: string;
  name: string;
  description: string;
  owner: string;
  roles: RoleGrant[];
  permissions: string[];
  /** Absent on keys stored before JWT-format keys existed: those are `key`. */
  format?: KeyFormat;
  /** SHA-256 of the key string's secret, or of the whole JWT of a JWT-format key. */
  secretHash: string;
  /** After a reset with a grace period: the old secret's hash and until when it still works. */
  previousSecretHash?: string;
  previousSecretValidUntil?: string;
  createdAt: string;
  createdBy: Actor;
  updatedAt: string;
  lastUsedAt?: string;
  secretResetAt?: string;
  /** Null only where the policy allows keys without a fixed expiry. */
  expiresAt: string | null;
  /** Last use (or creation) plus the not-accessed period in force when it was written. */
  inactiveAt: string;
  revokedAt?: string;
  revokedBy?: Actor;
  /** Labels such as `team:payments`, sorted, unique (key-metadata.ts); absent: none. Listings filter on them. */
  tags?: string[];
  /** A small JSON object the owner attaches (key-metadata.ts): returned by verify, passed by the authorizer. No secrets, by convention. */
  meta?: KeyMeta;
  /** While set, the key is refused everywhere (status `suspended`) until resumed; its expiry keeps running. */
  suspendedAt?: string;
  suspendedBy?: Actor;
  /** Why it was suspended (free text of whoever suspended it, or a leak report's). */
  suspendedReason?: string;
  /**
   * Normalized CIDR ranges (IPv4 and IPv6) the key may be used from; absent: anywhere. See
   * key-ip-allowlist.ts.
   */
  allowedIps?: string[];
  /** Rate limits (functions/usage/rate-limits.ts); absent: none, and no counter is ever touched. */
  rateLimits?: RateLimit[];
  /** Remaining uses with an optional refill (functions/usage/quotas.ts); absent: none. */
  quota?: Quota;
  /**
   * Set when an admin gave the key its rate limits or quota: then only an admin may change or
   * remove them (an owner lifting a limit an admin set would grant itself more than it holds).
   */
  limitsSetByAdmin?: true;
  /**
   * The key whose LIMIT#/QUOTA# counters this key's uses move (absent: its own). A rotation's
   * successor counts on its predecessor's, so rotating neither refills a quota nor doubles a rate
   * limit while both keys work.
   */
  limitsCountedOn?: string;
  /** Set by a rotation: the key that replaced this one (written once, in the rotation's transaction). */
  successorId?: string;
  rotatedAt?: string;
  /** The key this one replaced, when a rotation made it. */
  predecessorId?: string;
  /** Bumped by every edit; edits are conditional on it (optimistic concurrency). */
  version: number;
}

export interface EffectiveExpiry {
  at: string;
  reason: ExpiryReason;
}

/** The earlier of the fixed expiry and the inactivity expiry; ties go to the fixed one. */
export function effectiveExpiry(key: Pick<KeyRecord, 'expiresAt' | 'inactiveAt'>): EffectiveExpiry {
  if (key.expiresAt !== null && key.expiresAt <= key.inactiveAt) return { at: key.expiresAt, reason: 'expires_at' };
  return { at: key.inactiveAt, reason: 'inactivity' };
}

/**
 * Computed on every read from the stored times: never trusts DynamoDB TTL to have run. A
 * suspended key's expiry keeps running: once it passes, the key is expired, suspended or not.
 */
export function keyStatus(key: Pick<KeyRecord, 'expiresAt' | 'inactiveAt' | 'revokedAt' | 'suspendedAt'>, now: Date): KeyStatus {
  if (key.revokedAt !== undefined) return 'revoked';
  const expiry = effectiveExpiry(key);
  if (expiry.at <= now.toISOString()) return expiry.reason === 'expires_at' ? 'expired' : 'expired_inactive';
  return key.suspendedAt === undefined ? 'active' : 'suspended';
}

/**
 * A key that may work again without a new key: active, or suspended (until resumed). It keeps
 * its name (the name lock may not be taken over) and its expiry reminders.
 */
export function isLive(status: KeyStatus): boolean {
  return status === 'active' || status === 'suspended';
}

export function inactiveAtFrom(activity: Date, policy: Policy): string {
  return addDuration(activity, policy.notAccessedPeriod).toISOString();
}

/** TTL (epoch seconds): the key is kept listed for the retention period after it ends. */
export function ttlFor(key: Pick<KeyRecord, 'expiresAt' | 'inactiveAt' | 'revokedAt'>, policy: Policy): number {
  const end = key.revokedAt ?? effectiveExpiry(key).at;
  return Math.ceil(addDuration(new Date(end), policy.retention).getTime() / 1000);
}

/**
 * What the API shows of a key. Never a secret or a hash. `quotaLeft`: the uses left in the quota's
 * current period, where the answer read it (functions/usage/quotas.ts quotaRemaining).
 */
export function keyDetails(key: KeyRecord, now: Date, quotaLeft?: number) {
  const expiry = effectiveExpiry(key);
  return {
    id: key.id,
    name: key.name,
    description: key.description,
    owner: key.owner,
    format: key.format ?? 'key',
    roles: key.roles,
    permissions: key.permissions,
    status: keyStatus(key, now),
    createdAt: key.createdAt,
    createdBy: key.createdBy,
    updatedAt: key.updatedAt,
    lastUsedAt: key.lastUsedAt ?? null,
    expiresAt: key.expiresAt,
    inactivityExpiresAt: key.inactiveAt,
    effectiveExpiresAt: expiry.at,
    expiryReason: expiry.reason,
    secretResetAt: key.secretResetAt ?? null,
    previousSecretValidUntil:
      key.previousSecretValidUntil !== undefined && key.previousSecretValidUntil > now.toISOString() ? key.previousSecretValidUntil : null,
    revokedAt: key.revokedAt ?? null,
    revokedBy: key.revokedBy ?? null,
    tags: key.tags ?? [],
    meta: key.meta ?? null,
    suspendedAt: key.suspendedAt ?? null,
    suspendedBy: key.suspendedBy ?? null,
    suspendedReason: key.suspendedReason ?? null,
    allowedIps: key.allowedIps ?? null,
    rateLimits: key.rateLimits ?? [],
    quota: key.quota ? { remaining: key.quota.remaining, refill: key.quota.refill ?? null, setAt: key.quota.setAt } : null,
    quotaRemaining: key.quota === undefined ? null : (quotaLeft ?? null),
    predecessorId: key.predecessorId ?? null,
    successorId: key.successorId ?? null,
    rotatedAt: key.rotatedAt ?? null,
    notification: key.notification ? notificationDetails(key.notification) : null,
    defaultNotifications: (key.defaultNotifications ?? []).map(notificationDetails),
    notificationHistory: (key.notificationHistory ?? []).map(notificationDetails),
    leakAlerts: (key.leakAlerts ?? []).map(notificationDetails),
  };
}

export type KeyDetails = ReturnType<typeof keyDetails>;

/** The name lock outlives every state of its key in which the name is still held. */
export function nameLockTtl(key: Pick<KeyRecord, 'expiresAt'>, policy: Policy): number | undefined {
  return key.expiresAt === null ? undefined : Math.ceil(addDuration(new Date(key.expiresAt), policy.retention).getTime() / 1000);
}

/**
 * What an edit changes on a key: the attributes it sets, and the optional ones it removes. The
 * store writes these (an edit never sends the key's other attributes as the edit's own).
 */
export interface KeyChanges {
  set: Partial<KeyRecord>;
  remove: (keyof KeyRecord)[];
}

/** The changes that turn `before` into `after` (attributes compared by value). */
export function keyChanges(before: KeyRecord, after: KeyRecord): KeyChanges {
  const set: Record<string, unknown> = {};
  const remove: (keyof KeyRecord)[] = [];
  const fields = new Set([...Object.keys(before), ...Object.keys(after)]) as Set<keyof KeyRecord>;
  for (const field of fields) {
    if (after[field] === undefined) {
      if (before[field] !== undefined) remove.push(field);
    } else if (JSON.stringify(before[field]) !== JSON.stringify(after[field])) {
      set[field] = after[field];
    }
  }
  return { set: set as Partial<KeyRecord>, remove };
}

/** The key an edit leaves: `before` with `changes` applied. */
export function applyKeyChanges(before: KeyRecord, changes: KeyChanges): KeyRecord {
  const after: KeyRecord = { ...before, ...changes.set };
  for (const field of changes.remove) delete (after as Partial<KeyRecord>)[field];
  return after;
}
