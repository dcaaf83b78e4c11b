import type { AuthenticationFailure } from '../shared/errors.js';

/**
 * What the audit log records (PRODUCT §2): every lifecycle action, in the same transaction as
 * the change, and failed authentications. Who (the caller's owner and key id), what (action and
 * details), when, on which key, the outcome, and from where (source IP, user agent, request id).
 * Never a secret: details are built field by field from an allow-list (see the builders in
 * audit-entries.ts), never by copying a record, and the user agent is scrubbed of anything
 * shaped like a credential (the caller chooses that header).
 */
export const auditActions = [
  'key.create',
  'key.update',
  'key.reset',
  'key.delete',
  /** A key was rotated: entry about the old key, naming its successor (the successor's own entry is a key.create). */
  'key.rotate',
  'key.suspend',
  'key.resume',
  'channel.create',
  'channel.delete',
  /** A channel was made (details.default true) or stopped being (false) its owner's default channel. */
  'channel.default',
  /** The notifier's outcome for a key's notification (a change to the key item it records). */
  'notification.sent',
  'notification.failed',
  'notification.dropped',
  /** A notification's schedule was deleted outside keygate (the AWS console, say): it is canceled, not sent. */
  'notification.canceled',
  'operator-message.acknowledge',
  /** GitHub secret scanning reported this key's string in public: what keygate did (revoked, or nothing left to do). */
  'key.leaked',
  /** A signed GitHub secret scanning report: how many strings it named, and those that are no keygate key. */
  'leak.report',
  /** A well-formed credential was refused (malformed ones are counted, not written: audit-service.ts). */
  'auth.failed',
] as const;
export type AuditAction = (typeof auditActions)[number];

export interface AuditActor {
  owner: string;
  /** Absent for callers that are not keys (the bootstrap, the notifier, a signed-in person). */
  keyId?: string;
  /** A person signed in with OpenID Connect (the console): who they are at their issuer. */
  person?: PersonIdentity;
}

/** A signed-in person: the issuer and subject identify them; the email is for reading. */
export interface PersonIdentity {
  issuer: string;
  subject: string;
  email?: string;
}

/** Where a request came from. API Gateway sets the source IP from the connection: it cannot be forged by a header. */
export interface RequestOrigin {
  requestId: string;
  sourceIp: string | null;
  userAgent: string | null;
}

export interface AuditEntry {
  id: string;
  /** ISO 8601 UTC, milliseconds. For failed-authentication aggregates: the start of their minute. */
  at: string;
  action: AuditAction;
  outcome: 'success' | 'failure';
  /** Null when nobody was authenticated (a failed authentication). */
  actor: AuditActor | null;
  /** The key the action is about (for a failed authentication: the key the credential names). */
  keyId: string | null;
  /** What else the action is about, when it is not a key (a channel, a signing key). */
  target: { type: string; id: string } | null;
  /** Why a failed authentication failed. */
  reason: AuthenticationFailure | null;
  requestId: string | null;
  sourceIp: string | null;
  userAgent: string | null;
  /** What changed: allow-listed, non-secret fields only. */
  details: Record<string, unknown>;
  /** Failed authentications are counted per key, reason, source IP and minute (audit-service.ts). */
  attempts?: number;
  lastAttemptAt?: string;
}

const MAX_USER_AGENT = 256;
/** A JWS compact serialization (an access token) or anything shaped like a key string of any prefix. */
const CREDENTIAL_SHAPES = [/[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g, /\b[a-z0-9]{2,10}_[0-9A-Za-z]{22}_[0-9A-Za-z]{20,}/g];

/** Callers choose their User-Agent: one that carries a credential must not put it in the log. */
export function scrubUserAgent(userAgent: string | undefined | null): string | null {
  if (userAgent === undefined || userAgent === null || userAgent === '') return null;
  let text = userAgent.slice(0, MAX_USER_AGENT * 4);
  for (const shape of CREDENTIAL_SHAPES) text = text.replace(shape, '[redacted]');
  return text.slice(0, MAX_USER_AGENT);
}
