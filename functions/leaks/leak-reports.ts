import { createHash } from 'node:crypto';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { changeCommitted, changeEntry } from '../audit/audit-service.js';
import type { AuditEntry, RequestOrigin } from '../audit/audit-model.js';
import { auditEntryPut } from '../audit/audit-store.js';
import { keyChanges, type KeyRecord, keyStatus } from '../keys/key-model.js';
import { keyStore } from '../keys/key-store.js';
import { parseKeyString, secretMatches } from '../keys/key-string.js';
import { logger } from '../observability/logger.js';
import type { Actor } from '../permissions/principal.js';
import type { Deps } from '../runtime/deps.js';
import { addDuration } from '../shared/durations.js';
import { AuthenticationError, ValidationError } from '../shared/errors.js';
import { githubSigningKeys, verifyGitHubSignature } from './github-signature.js';
import { type LeakLabel, type LeakMatch, leakReportSchema, MAX_LEAK_MATCHES } from './schemas.js';

/**
 * What keygate does with a signed GitHub secret scanning report (the signature is checked before
 * this runs: functions/leaks/github-signature.ts). Each reported string is parsed as a key string
 * of this deployment (prefix and checksum, no I/O); the ids of those that parse are read in
 * consistent BatchGetItems; a string is a real key when its secret hashes to the key's stored
 * hash (or to the previous secret's, after a reset), compared in constant time. A real key that
 * still works is then handled as the deployment chose (`leaks.action`):
 *
 *   revoke  the key is revoked at once, as DELETE /v1/keys/{id} does (name released, schedules
 *           deleted by the stream), by the actor `github-secret-scanning`, with a `key.leaked`
 *           audit entry in the same transaction.
 *
 * A real key that no longer works (revoked, expired, or the leaked string is a previous secret
 * whose grace period ended) is audited (`key.leaked`, action `none`) and left alone. Strings that
 * are no key of this deployment are listed (never the string itself) in one `leak.report` entry.
 * The answer labels each match `true_positive` (a real keygate key string) or `false_positive`.
 */
export const LEAK_REPORTER = 'github-secret-scanning';
const REPORTER: Actor = { owner: LEAK_REPORTER };

/** BatchGetItem reads at most 100 items. */
const READ_CHUNK = 100;
/** Revocations run this many at a time: a large report must finish well inside the function's timeout. */
const PARALLEL_REVOCATIONS = 8;
/** A revocation that loses a race with an edit re-reads the key and tries again this often. */
const MAX_REVOKE_ATTEMPTS = 3;
/** The `leak.report` entry lists at most this many false positives (and counts the rest). */
const LISTED_FALSE_POSITIVES = 50;

export type LeakOutcome = 'revoked' | 'already_revoked' | 'expired' | 'secret_no_longer_valid';

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

/** Whether the leaked string still opens the key, and if not, why not. */
function stillWorks(key: KeyRecord, which: 'current' | 'previous', now: Date): true | Exclude<LeakOutcome, 'revoked'> {
  const status = keyStatus(key, now);
  if (status === 'revoked') return 'already_revoked';
  if (status !== 'active') return 'expired';
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

/** Revokes a leaked key (the key item and its audit entry in one transaction), re-reading it after a lost race. */
async function revokeLeakedKey(deps: Deps, confirmed: Confirmed, request: RequestOrigin): Promise<LeakOutcome> {
  let key: KeyRecord | undefined = confirmed.key;
  for (let attempt = 0; attempt < MAX_REVOKE_ATTEMPTS && key; attempt++) {
    const now = deps.clock();
    const which = matchedSecret(key, confirmed.secret);
    const works = which === undefined ? 'secret_no_longer_valid' : stillWorks(key, which, now);
    const details = { ...foundAt(confirmed.match), secret: confirmed.which, name: key.name, owner: key.owner };
    if (works !== true) {
      const entry = changeEntry(deps, { actor: REPORTER, request }, 'key.leaked', {
        keyId: key.id,
        details: { ...details, action: 'none', outcome: works },
      });
      await writeAudit(deps, entry);
      return works;
    }
    const revoked: KeyRecord = { ...key, revokedAt: now.toISOString(), revokedBy: REPORTER, updatedAt: now.toISOString(), version: key.version + 1 };
    delete revoked.previousSecretHash;
    delete revoked.previousSecretValidUntil;
    const audit = changeEntry(deps, { actor: REPORTER, request }, 'key.leaked', {
      keyId: key.id,
      details: { ...details, action: 'revoke', outcome: 'revoked' },
    });
    const outcome = await keyStore(deps).editKey(key, keyChanges(key, revoked), audit, { releaseName: true });
    if (outcome.ok) {
      changeCommitted(audit);
      return 'revoked';
    }
    key = await keyStore(deps).findKey(key.id);
  }
  // Still racing after every attempt (or the key vanished): the report is answered, GitHub may send it again.
  throw new Error(`could not revoke leaked key ${confirmed.key.id}: it kept changing`);
}

async function readKeys(deps: Deps, ids: string[]): Promise<Map<string, KeyRecord>> {
  const found = new Map<string, KeyRecord>();
  for (let i = 0; i < ids.length; i += READ_CHUNK) {
    for (const [id, key] of await keyStore(deps).findKeys(ids.slice(i, i + READ_CHUNK))) found.set(id, key);
  }
  return found;
}

async function inBatches<T>(items: T[], size: number, run: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(run));
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
  await inBatches([...byKey.values()], PARALLEL_REVOCATIONS, async (item) => {
    outcomes.set(item.key.id, await revokeLeakedKey(deps, item, request));
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
