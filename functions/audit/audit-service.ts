import { logger } from '../observability/logger.js';
import { countLifecycleAction } from '../observability/metrics.js';
import type { Deps } from '../runtime/deps.js';
import { type AuthenticationError, ForbiddenError, LimitRefusalError } from '../shared/errors.js';
import { digestEntryId, newEntryId } from '../shared/ids.js';
import { type AuditAction, type AuditActor, type AuditEntry, type RequestOrigin, scrubUserAgent } from './audit-model.js';
import { addFailedAttempt, type AuditPage, queryAuditEntries } from './audit-store.js';
import type { ListAuditInput } from './schemas.js';

/** Who did it, from where: what every lifecycle change hands to `changeEntry`. */
export interface AuditedCaller {
  actor: AuditActor;
  /** Absent when the change did not come from an HTTP request (the bootstrap, the notifier). */
  request?: RequestOrigin | undefined;
}

function originFields(request: RequestOrigin | undefined) {
  return {
    requestId: request?.requestId ?? null,
    sourceIp: request?.sourceIp ?? null,
    userAgent: scrubUserAgent(request?.userAgent),
  };
}

/**
 * The audit entry of a change, to be written by the change's own transaction (auditEntryPut).
 * `details` must be allow-listed fields: never a secret, a hash or a whole record.
 */
export function changeEntry(
  deps: Deps,
  caller: AuditedCaller,
  action: AuditAction,
  about: { keyId?: string; target?: { type: string; id: string }; details: Record<string, unknown> },
): AuditEntry {
  const { owner, keyId, person } = caller.actor;
  const actor: AuditActor = { owner, ...(keyId === undefined ? {} : { keyId }), ...(person === undefined ? {} : { person: { ...person } }) };
  return {
    id: newEntryId(),
    at: deps.clock().toISOString(),
    action,
    outcome: 'success',
    actor,
    keyId: about.keyId ?? null,
    target: about.target ?? null,
    reason: null,
    ...originFields(caller.request),
    details: about.details,
  };
}

/** After the change's transaction committed: one log line and one metric. */
export function changeCommitted(entry: AuditEntry): void {
  logger.info('audited change', {
    requestId: entry.requestId ?? undefined,
    action: entry.action,
    keyId: entry.keyId ?? undefined,
    target: entry.target ?? undefined,
    actor: entry.actor ?? undefined,
    auditEntryId: entry.id,
  });
  countLifecycleAction(entry.action);
}

/**
 * A failed authentication at the management API or the token endpoint. A failed authentication
 * changes nothing, so its entry is a plain write, and a cheap request must not be able to buy an
 * unbounded number of them:
 *
 * - no credential, or one that is malformed (wrong shape, prefix or checksum): no entry. These
 *   cost an attacker nothing, name no key, and are refused before any I/O by design (PRODUCT
 *   §1); they are counted (Verifications, outcome refused, by reason) and logged with the source
 *   IP, and the refused-authentications alarm watches that count.
 * - a well-formed credential: one entry per (key, reason, source IP, minute), counting
 *   `attempts`. A key id the table does not know is folded into one entry per reason, source IP
 *   and minute, since an attacker can mint such ids freely. So the number of entries grows only
 *   with real keys and source addresses (which API Gateway takes from the connection), and a
 *   flood from one address grows a counter. The write rate stays bounded by the stage throttle.
 *
 * An audit write that fails is logged and swallowed: the caller gets its 401 either way.
 */
export async function auditFailedAuthentication(deps: Deps, error: AuthenticationError, request: RequestOrigin, where: string): Promise<void> {
  const subject = error.subject;
  const keyId = subject?.known ? subject.keyId : null;
  // An IP allowlist's refusal names the address it refused (at verify: the client's, which the service passed).
  const address = error.reason === 'ip_not_allowed' ? (error.address ?? null) : undefined;
  logger.warn('authentication refused', {
    requestId: request.requestId,
    where,
    reason: error.reason,
    keyId: subject?.keyId,
    sourceIp: request.sourceIp ?? undefined,
    ...(address === undefined ? {} : { address }),
  });
  // Over a rate limit or out of quota: the key worked, so no failed authentication is audited (and a
  // flood of refused uses costs no audit write each); the usage counts and the log line record it.
  if (subject === undefined || error instanceof LimitRefusalError) return;
  const now = deps.clock();
  const minute = new Date(Math.floor(now.getTime() / 60_000) * 60_000).toISOString();
  const entry: AuditEntry = {
    id: digestEntryId('auth.failed', keyId ?? '', error.reason, request.sourceIp ?? '', minute, ...(address === undefined ? [] : [address ?? ''])),
    at: minute,
    action: 'auth.failed',
    outcome: 'failure',
    actor: null,
    keyId,
    target: null,
    reason: error.reason,
    ...originFields(request),
    details: { where, ...(address === undefined ? {} : { address }) },
  };
  try {
    await addFailedAttempt(deps, entry, now.toISOString());
  } catch (failure) {
    logger.error('could not write the audit entry of a failed authentication', { requestId: request.requestId, error: failure as Error });
  }
}

/** The audit log spans every owner's keys: admins only. */
export async function listAuditEntries(deps: Deps, caller: { expanded: { admin: boolean } }, input: ListAuditInput): Promise<AuditPage> {
  if (!caller.expanded.admin) throw new ForbiddenError('the audit log covers every owner: only an admin may read it');
  return queryAuditEntries(deps, input);
}
