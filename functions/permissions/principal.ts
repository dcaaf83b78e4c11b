import type { RequestOrigin } from '../audit/audit-model.js';
import type { Expanded, Grants } from './grants.js';

/** Who is calling: resolved from a keygate credential. */
export interface Principal {
  keyId?: string;
  owner: string;
  grants: Grants;
  expanded: Expanded;
  /** The key's fixed expiry (null: none); absent for credentials that are not keys. */
  expiresAt?: string | null;
  /** The request it made, for the audit log; absent outside HTTP requests (the bootstrap). */
  request?: RequestOrigin;
}

/** Who did something, as stored on keys, channels, operator messages and audit entries. */
export interface Actor {
  owner: string;
  /** Absent for the bootstrap admin credential, which no key created. */
  keyId?: string;
}
