import type { PersonIdentity, RequestOrigin } from '../audit/audit-model.js';
import type { Expanded, Grants } from './grants.js';

/** Who is calling: resolved from a keygate credential. */
export interface Principal {
  keyId?: string;
  owner: string;
  grants: Grants;
  expanded: Expanded;
  /** The key's fixed expiry (null: none); absent for credentials that are not keys. */
  expiresAt?: string | null;
  /** The key's metadata (functions/keys/key-metadata.ts); absent for keys without any and for other credentials. */
  meta?: Record<string, unknown>;
  /** The request it made, for the audit log; absent outside HTTP requests (the bootstrap). */
  request?: RequestOrigin;
  /** A person signed in to the console (OpenID Connect), rather than a key. */
  person?: PersonIdentity;
  /** A key's IP allowlist (normalized CIDR ranges), carried into the access tokens it mints; absent: anywhere. */
  allowedIps?: string[];
  /**
   * When this use of a key or token was counted `allowed` (functions/usage/usage-counts.ts), so that
   * a refusal for a missing permission recounts it in the same buckets; absent: not counted.
   */
  usageCountedAt?: Date;
}

/** Who did something, as stored on keys, channels, operator messages and audit entries. */
export interface Actor {
  owner: string;
  /** Absent for the bootstrap admin credential, which no key created, and for a signed-in person. */
  keyId?: string;
  /** A person signed in to the console: issuer, subject and email. */
  person?: PersonIdentity;
}

/** Who a principal is, as records and the audit log keep it: its owner, and its key or the signed-in person. */
export function actorOf(principal: Pick<Principal, 'owner' | 'keyId' | 'person'>): Actor {
  return {
    owner: principal.owner,
    ...(principal.keyId === undefined ? {} : { keyId: principal.keyId }),
    ...(principal.person === undefined ? {} : { person: { ...principal.person } }),
  };
}
