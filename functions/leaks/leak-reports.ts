import { createHash } from 'node:crypto';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { changeCommitted, changeEntry } from '../audit/audit-service.js';
import type { AuditEntry, RequestOrigin } from '../audit/audit-model.js';
import { auditEntryPut } from '../audit/audit-store.js';
import { findAdminChannelByName } from '../channels/channel-store.js';
import { findOwnerDefaultChannel } from '../channels/owner-default-channel.js';
import type { LeakReportPolicy } from '../deployment-config.js';
import { keyChanges, type KeyRecord, keyStatus } from '../keys/key-model.js';
import { isPending, MAX_NOTIFICATION_HISTORY, newRev, toScheduleTime } from '../keys/key-notifications.js';
import { MAX_REASON_LENGTH } from '../keys/key-state.js';
import { keyStore } from '../keys/key-store.js';
import { parseKeyString, secretMatches } from '../keys/key-string.js';
import { logger } from '../observability/logger.js';
import type { Actor } from '../permissions/principal.js';
import type { Deps } from '../runtime/deps.js';
import { addDuration } from '../shared/durations.js';
import { AuthenticationError, ValidationError } from '../shared/errors.js';
import { githubSigningKeys, verifyGitHubSignature } from './github-signature.js';
import { type LeakLabel, type LeakMatch, leakReportSchema, MAX_LEAK_MATCHES } from './schemas.js';
import { settleAll } from '../shared/settled.js';

/**
 * What keygate does with a signed GitHub secret scanning report (the signature is checked before
 * this runs: functions/leaks/github-signature.ts). Each reported string is parsed as a key string
 * of this deployment (prefix and checksum, no I/O); the ids of those that parse are read in
 * consistent BatchGetItems; a string is a real key when its secret hashes to the key's stored
 * hash (or to the previous secret's, after a reset), compared in constant time. A real key that
 * still works is then handled as the deployment chose (`leaks.action`):
 *
 *   revoke   the key is revoked at once, as DELETE /v1/keys/{id} does (name released, schedules
 *            deleted by the stream), by the actor `github-secret-scanning`, with a `key.leaked`
 *            audit entry in the same transaction. A suspended key is revoked too.
 *   suspend  the key is suspended at once, as POST /v1/keys/{id}/suspend does (refused on every
 *            path, until someone resumes it), and gets leak alerts (`leakAlerts`): one per channel
 *            of its owner's (leakAlertChannels), sent by the notifier a minute later, like a
 *            reminder. Same actor, same audit entry in the same transaction, naming the channels.
 *
 * A real key with nothing left to do (revoked, expired, already suspended when suspending, or the
 * leaked string is a previous secret whose grace period ended) is audited (`key.leaked`, action
 * `none`) and left alone. Strings that are no key of this deployment are listed (never the
 * string itself) in one `leak.report` entry.
 * The answer labels each match `true_positive` (a real keygate key string) or `false_positive`.
 */
export const LEAK_REPORTER = 'github-secret-scanning';
const REPORTER: Actor = { owner: LEAK_REPORTER };

/** BatchGetItem reads at most 100 items. */
const READ_CHUNK = 100;
/** Keys are revoked or suspended this many at a time: a large report must finish well inside the function's timeout. */
const PARALLEL_ACTIONS = 8;
/** An action that loses a race with an edit re-reads the key and tries again this often. */
const MAX_ATTEMPTS = 3;
/** A suspended key's leak alerts go to at most this many channels. */
const MAX_LEAK_ALERTS = 5;
/**
 * Leak alerts fire this long after the report: a one-shot schedule (made by the schedule sync
 * from the table stream, within seconds) must name a time still ahead, and the Scheduler invokes
 * within the minute anyway.
 */
const ALERT_DELAY_MS = 60_000;
/** The `leak.report` entry lists at most this many false positives (and counts the rest). */
const LISTED_FALSE_POSITIVES = 50;

export type LeakAction = LeakReportPolicy['action'];
export type LeakOutcome = 'revoked' | 'suspended' | 'already_revoked' | 'already_suspended' | 'expired' | 'secret_no_longer_valid';

function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Where a match was found, as the audit log keeps it (never the string; long fields cut, to bound the entry). */
function foundAt(match: LeakMatch) {
  return { type: match.type.slice(0, 128), url: match.url?.slice(0, 512) ?? null, source: match.source?.slice(0, 64) ?? null };
}

/** Which of the key's secrets the string carries, if any. Both comparisons always run: constant time either way. */
function matchedSecret(key: KeyRecord, secret: string): 'current' | 'previous' | undefined {
  const current = secretMatches(secret, key.secretHash);
  const previous = secretMatches(secret, key.previousSecretHash);
  if (current) return 'current';
  return previous ? 'previous' : undefined;
}

/**
 * Whether the deployment's action still has something to do, and if not, why not. A suspended
 * key is still acted on when the action is `revoke` (it could be resumed); a leaked previous
 * secret only while its grace period runs.
 */
function stillActionable(key: KeyRecord, which: 'current' | 'previous', action: LeakAction, now: Date): true | Exclude<LeakOutcome, 'revoked' | 'suspended'> {
  const status = keyStatus(key, now);
  if (status === 'revoked') return 'already_revoked';
  if (status === 'suspended' && action === 'suspend') return 'already_suspended';
  if (status !== 'active' && status !== 'suspended') return 'expired';
  const graceRuns = key.previousSecretValidUntil !== undefined && key.previousSecretValidUntil > now.toISOString();
  if (which === 'previous' && !graceRuns) return 'secret_no_longer_valid';
  return true;
}

interface Confirmed {
  match: LeakMatch;
  key: KeyRecord;
  secret: string;
  which: 'current' | 'previous';
}

async function writeAudit(deps: Deps, entry: AuditEntry): Promise<void> {
  await deps.ddb.send(new TransactWriteCommand({ TransactItems: [auditEntryPut(deps, entry)] }));
  changeCommitted(entry);
}

/**
 * Where a suspended key's leak alerts go: the channels its notifications already use (its own
 * and its default reminders), the owner's default channel, and the deployment's admin channel
 * when the deployment sends defaults there too or when nothing else would hear of it.
 */
async function leakAlertChannels(deps: Deps, key: KeyRecord): Promise<string[]> {
  const ids = new Set([key.notification?.channelId, ...(key.defaultNotifications ?? []).map((n) => n.channelId)].filter((id) => id !== undefined));
  const own = await findOwnerDefaultChannel(deps, key.owner);
  if (own) ids.add(own.id);
  const { defaultChannel, defaultsAlsoToAdminChannel } = deps.config.notifications;
  if (defaultChannel !== null && (defaultsAlsoToAdminChannel || ids.size === 0)) {
    const admin = await findAdminChannelByName(deps, defaultChannel);
    if (admin) ids.add(admin.id);
  }
  return [...ids].slice(0, MAX_LEAK_ALERTS);
}

/** The key as the deployment's action leaves it, and what its audit entry says of that. */
async function leakedKeyAfter(deps: Deps, key: KeyRecord, match: LeakMatch, action: LeakAction, now: Date) {
  const nowIso = now.toISOString();
  const changed: KeyRecord = { ...key, updatedAt: nowIso, version: key.version + 1 };
  if (action === 'revoke') {
    changed.revokedAt = nowIso;
    changed.revokedBy = REPORTER;
    delete changed.previousSecretHash;
    delete changed.previousSecretValidUntil;
    return { changed, outcome: 'revoked' as const, details: {} };
  }
  const channels = await leakAlertChannels(deps, key);
  const at = toScheduleTime(new Date(now.getTime() + ALERT_DELAY_MS));
  changed.suspendedAt = nowIso;
  changed.suspendedBy = REPORTER;
  changed.suspendedReason = `GitHub secret scanning found the key string in public${match.url ? ` at ${match.url}` : ''}`.slice(0, MAX_REASON_LENGTH);
  // Alerts of an earlier report (the key was resumed since) move to the history, canceled if still pending.
  const earlier = (key.leakAlerts ?? []).map((n) => (isPending(n) ? { ...n, canceledAt: nowIso, detail: 'canceled: the key was reported leaked again' } : n));
  if (earlier.length > 0) changed.notificationHistory = [...(key.notificationHistory ?? []), ...earlier].slice(-MAX_NOTIFICATION_HISTORY);
  if (channels.length === 0) delete changed.leakAlerts;
  else changed.leakAlerts = channels.map((channelId) => ({ at, channelId, rev: newRev() }));
  return { changed, outcome: 'suspended' as const, details: { alerts: channels } };
}

/**
 * Revokes or suspends a leaked key, as the deployment chose (the key item and its audit entry in
 * one transaction), re-reading it after a lost race.
 */
async function actOnLeakedKey(deps: Deps, confirmed: Confirmed, request: RequestOrigin): Promise<LeakOutcome> {
  const { action } = deps.config.leaks;
  let key: KeyRecord | undefined = confirmed.key;
  for (let attempt = 0; attempt < MAX_ATTEMPTS && key; attempt++) {
    const now = deps.clock();
    const which = matchedSecret(key, confirmed.secret);
    const actionable = which === undefined ? 'secret_no_longer_valid' : stillActionable(key, which, action, now);
    const details = { ...foundAt(confirmed.match), secret: confirmed.which, name: key.name, owner: key.owner };
    if (actionable !== true) {
      const entry = changeEntry(deps, { actor: REPORTER, request }, 'key.leaked', {
        keyId: key.id,
        details: { ...details, action: 'none', outcome: actionable },
      });
      await writeAudit(deps, entry);
      return actionable;
    }
    const after = await leakedKeyAfter(deps, key, confirmed.match, action, now);
    const audit = changeEntry(deps, { actor: REPORTER, request }, 'key.leaked', {
      keyId: key.id,
      details: { ...details, action, outcome: after.outcome, ...after.details },
    });
    const outcome = await keyStore(deps).editKey(key, keyChanges(key, after.changed), audit, { releaseName: action === 'revoke' });
    if (outcome.ok) {
      changeCommitted(audit);
      return after.outcome;
    }
    key = await keyStore(deps).findKey(key.id);
  }
  // Still racing after every attempt (or the key vanished): the report is answered, GitHub may send it again.
  throw new Error(`could not ${action} leaked key ${confirmed.key.id}: it kept changing`);
}

async function readKeys(deps: Deps, ids: string[]): Promise<Map<string, KeyRecord>> {
  const found = new Map<string, KeyRecord>();
  for (let i = 0; i < ids.length; i += READ_CHUNK) {
    for (const [id, key] of await keyStore(deps).findKeys(ids.slice(i, i + READ_CHUNK))) found.set(id, key);
  }
  return found;
}

async function inBatches<T>(items: T[], size: number, run: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await settleAll(items.slice(i, i + size).map(run));
}

export interface LeakReportResult {
  labels: LeakLabel[];
  /** Per real key reported: what was done. */
  outcomes: Map<string, LeakOutcome>;
}

export async function handleLeakReport(deps: Deps, matches: LeakMatch[], request: RequestOrigin): Promise<LeakReportResult> {
  const parsed = matches.map((match) => ({ match, key: parseKeyString(deps.config.keyPrefix, match.token) }));
  const ids = [...new Set(parsed.flatMap(({ key }) => (key ? [key.keyId] : [])))];
  const stored = ids.length === 0 ? new Map<string, KeyRecord>() : await readKeys(deps, ids);

  const confirmed = new Map<string, Confirmed>();
  const real = new Set<string>();
  for (const { match, key } of parsed) {
    const record = key && stored.get(key.keyId);
    const which = record && key ? matchedSecret(record, key.secret) : undefined;
    if (!record || !key || which === undefined) continue;
    real.add(match.token);
    // The same string reported twice is handled once.
    if (!confirmed.has(match.token)) confirmed.set(match.token, { match, key: record, secret: key.secret, which });
  }

  const outcomes = new Map<string, LeakOutcome>();
  // One string per key is acted on: two strings of one key (its secret and its previous one) would race each other.
  const byKey = new Map<string, Confirmed>();
  for (const item of confirmed.values()) if (!byKey.has(item.key.id) || item.which === 'current') byKey.set(item.key.id, item);
  await inBatches([...byKey.values()], PARALLEL_ACTIONS, async (item) => {
    outcomes.set(item.key.id, await actOnLeakedKey(deps, item, request));
  });

  const falsePositives = matches.filter((match) => !real.has(match.token));
  await writeAudit(
    deps,
    changeEntry(deps, { actor: REPORTER, request }, 'leak.report', {
      details: {
        matches: matches.length,
        keys: [...outcomes.entries()].map(([keyId, outcome]) => ({ keyId, outcome })),
        falsePositives: falsePositives.length,
        listed: falsePositives.slice(0, LISTED_FALSE_POSITIVES).map(foundAt),
      },
    }),
  );
  logger.info('leak report handled', {
    requestId: request.requestId,
    matches: matches.length,
    keys: outcomes.size,
    falsePositives: falsePositives.length,
  });

  const labels = matches.map((match) => ({
    token_hash: tokenHash(match.token),
    token_type: match.type,
    label: real.has(match.token) ? ('true_positive' as const) : ('false_positive' as const),
  }));
  return { labels, outcomes };
}

/** A report as it arrived: the raw body (the signature covers these bytes), the lower-cased headers, the origin. */
export interface RawLeakReport {
  body: Buffer;
  headers: Readonly<Record<string, string | undefined>>;
  origin: RequestOrigin;
}

function parseReport(body: Buffer): LeakMatch[] {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ValidationError('the report is not valid JSON', 'invalid_json');
  }
  const result = leakReportSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]?.message ?? '';
    throw new ValidationError(`the report must be a JSON array of 1 to ${MAX_LEAK_MATCHES} matches ({ token, type, url, source }): ${issue}`);
  }
  return result.data;
}

/**
 * A GitHub secret scanning report, from the route: the signature is verified over the raw body
 * before the body is even parsed, let alone a key read; only then is the report handled. An
 * unsigned or wrongly signed report is refused the same way whatever it contains.
 */
export async function receiveGitHubLeakReport(deps: Deps, report: RawLeakReport): Promise<LeakLabel[]> {
  const { githubKeysUrl, githubKeysMaxAge } = deps.config.leaks;
  const now = deps.clock();
  const maxAgeMs = addDuration(now, githubKeysMaxAge).getTime() - now.getTime();
  try {
    await verifyGitHubSignature(githubSigningKeys(githubKeysUrl, maxAgeMs), report.body, report.headers, now);
  } catch (error) {
    if (error instanceof AuthenticationError) {
      logger.warn('leak report refused: not signed by GitHub', { requestId: report.origin.requestId, sourceIp: report.origin.sourceIp ?? undefined });
    }
    throw error;
  }
  return (await handleLeakReport(deps, parseReport(report.body), report.origin)).labels;
}
