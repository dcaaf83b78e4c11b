import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { AuditAction } from '../audit/audit-model.js';
import { type AuthenticationFailure, authenticationFailures } from '../shared/errors.js';
import { logger } from './logger.js';
import { METRICS_NAMESPACE, METRICS_SERVICE, metricNames, type NotificationOutcome, type VerificationOutcome } from './metric-names.js';

/**
 * Small helpers that count what keygate does, as CloudWatch metrics in the Embedded Metric
 * Format (Powertools Metrics): one JSON line on stdout per event, which CloudWatch Logs turns
 * into metrics. Each helper emits a single metric at once, with its own dimensions, so no
 * handler has to remember to flush a buffer, and a function that is not an API route (the
 * authorizer, the notifier) calls them the same way. POWERTOOLS_METRICS_DISABLED=true silences
 * them (the local run does).
 */
class KeygateMetrics extends Metrics {
  /** Off when POWERTOOLS_METRICS_DISABLED (or POWERTOOLS_DEV) says so, as Powertools decides. */
  enabled(): boolean {
    return !this.isDisabled();
  }
}

const metrics = new KeygateMetrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE });

/**
 * One single-metric instance serves every count: its addMetric publishes the line at once and
 * clears the dimensions. (A singleMetric() per count built a Metrics and a Console each time:
 * about 7% of a token exchange's CPU, found with npm run bench and --cpu-prof.)
 */
const single = metrics.singleMetric();

/** `base` joins the service dimension; each of `sets` adds one more dimension set on top of service. */
function count(name: string, base: Record<string, string>, sets: Record<string, string>[] = [], value = 1): void {
  try {
    for (const [dimension, value] of Object.entries(base)) single.addDimension(dimension, value);
    for (const set of sets) single.addDimensions(set);
    single.addMetric(name, MetricUnit.Count, value);
  } finally {
    single.clearDimensions(); // also when a dimension was refused, so none leaks into the next count
  }
}

export type VerificationReason = AuthenticationFailure | 'insufficient_permissions' | 'unavailable';

/** A presented key or access token was checked: allowed, or refused and why (a credential that works but lacks the permission: `insufficient_permissions`). */
export function countVerification(outcome: { allowed: true } | { allowed: false; reason: VerificationReason }): void {
  if (!metrics.enabled()) return;
  const line = outcome.allowed ? ALLOWED_LINE : REFUSAL_LINES[outcome.reason];
  process.stdout.write(`${line.head}${Date.now()}${line.tail}`);
}

/**
 * The Verifications line of one outcome (and reason), as Powertools writes it for
 * count(verifications, { outcome }, [{ reason }]): the same JSON, byte for byte, but for the
 * timestamp, which is filled in per line (test/unit/observability.test.ts compares the two for
 * every outcome and reason). Built once per outcome and reason: a verification is on every
 * request's path, and Powertools' stores, checks and serializer cost more than the request's own
 * judgement of the key (npm run bench, --cpu-prof).
 */
interface PrebuiltLine {
  /** Up to the timestamp's value. */
  head: string;
  /** After it, the newline included. */
  tail: string;
}

function verificationLine(outcome: VerificationOutcome, reason?: VerificationReason): PrebuiltLine {
  const line = {
    _aws: {
      Timestamp: 0,
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: reason === undefined ? [['service', 'outcome']] : [['service', 'outcome'], ['service', 'reason']],
          Metrics: [{ Name: metricNames.verifications, Unit: MetricUnit.Count }],
        },
      ],
    },
    service: METRICS_SERVICE,
    outcome,
    ...(reason === undefined ? {} : { reason }),
    [metricNames.verifications]: 1,
  };
  const text = JSON.stringify(line);
  const at = text.indexOf('"Timestamp":0') + '"Timestamp":'.length;
  return { head: text.slice(0, at), tail: `${text.slice(at + 1)}\n` };
}

const ALLOWED_LINE = verificationLine('allowed');
const REFUSAL_LINES = Object.fromEntries(
  ([...authenticationFailures, 'insufficient_permissions', 'unavailable'] as const).map((reason) => [
    reason,
    // A key over its rate limit or quota worked: `limited`, not `refused`, so a client that runs into
    // its limit does not raise the refused-authentications alarm (which points at guessing and revoked keys).
    verificationLine(reason === 'rate_limited' || reason === 'quota_exhausted' ? 'limited' : 'refused', reason),
  ]),
) as Record<VerificationReason, PrebuiltLine>;

/**
 * An access token was issued, to a key that was verified for it: both counts in one EMF line
 * (two directives, each with its own dimension set, as the EMF specification allows), not two
 * lines per token. Powertools writes one directive per line, so this line is written here.
 */
export function countTokenIssued(): void {
  if (!metrics.enabled()) return;
  const directive = (dimensions: string[], name: string) => ({ Namespace: METRICS_NAMESPACE, Dimensions: [dimensions], Metrics: [{ Name: name, Unit: MetricUnit.Count }] });
  const line = {
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [directive(['service', 'outcome'], metricNames.verifications), directive(['service'], metricNames.tokensIssued)],
    },
    service: METRICS_SERVICE,
    outcome: 'allowed',
    [metricNames.verifications]: 1,
    [metricNames.tokensIssued]: 1,
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** A lifecycle change was committed (with its audit entry). */
export function countLifecycleAction(action: AuditAction): void {
  count(metricNames.lifecycleActions, {}, [{}, { action }]);
}

/** An expiry notification was sent, dropped (its key changed or went away) or failed to send. */
export function countNotification(outcome: NotificationOutcome, channelType: string): void {
  count(NOTIFICATION_METRICS[outcome], {}, [{}, { channelType }]);
}

const NOTIFICATION_METRICS: Record<NotificationOutcome, string> = {
  sent: metricNames.notificationsSent,
  dropped: metricNames.notificationsDropped,
  failed: metricNames.notificationsFailed,
};

/**
 * Recording a key's use (lastUsedAt) failed: a throttle, a transaction conflict, a timeout. It is
 * best effort, so the request goes on; this logs the error's name and message (never the key
 * string) and counts it, so a table that keeps refusing these writes shows on the dashboard.
 */
export function countUseRecordFailed(keyId: string, error: unknown): void {
  const name = error instanceof Error ? error.name : 'unknown';
  logger.warn('could not record a key use (lastUsedAt); the request goes on', { keyId, errorName: name, errorMessage: error instanceof Error ? error.message : String(error) });
  count(metricNames.useRecordsFailed, {}, [{}, { error: name }]);
}

/**
 * A rate-limit or quota counter could not be moved (throttle, timeout, an error): the request was
 * refused (503), never let through. Counted by counter kind and error name; the caller logs it.
 */
export function countLimitCounterFailed(counter: 'rate_limit' | 'quota', error: unknown): void {
  const name = error instanceof Error ? error.name : 'unknown';
  count(metricNames.limitCounterFailures, {}, [{}, { counter }, { error: name }]);
}

/**
 * Some writes of a usage flush failed (functions/usage/usage-counts.ts): their counts stay in memory
 * for the next flush. Logs the first error's name and message (no key string ever reaches a
 * usage write) and counts the failed writes.
 */
export function countUsageFlushFailed(failed: number, of: number, error: unknown): void {
  const name = error instanceof Error ? error.name : 'unknown';
  logger.warn('could not write usage counts; they are kept for the next flush', {
    failedWrites: failed,
    writes: of,
    errorName: name,
    errorMessage: error instanceof Error ? error.message : String(error),
  });
  count(metricNames.usageFlushesFailed, {}, [{}, { error: name }], failed);
}

let lastDropLogged = Number.NEGATIVE_INFINITY;

/** A usage count was dropped: the process already held usage.maxBufferedEntries pending writes. Logged at most once a minute. */
export function countUsageDropped(keyId: string): void {
  if (performance.now() - lastDropLogged >= 60_000) {
    lastDropLogged = performance.now();
    logger.warn('usage counts dropped: this process holds its most pending usage writes (usage.maxBufferedEntries)', { keyId });
  }
  count(metricNames.usageCountsDropped, {});
}

/** The daily signing-key rotation check (functions/signing/signing-key-rotation.ts): 1 overdue, 0 on time. */
export function recordRotationCheck(overdue: boolean): void {
  try {
    single.addMetric(metricNames.signingKeyRotationOverdue, MetricUnit.Count, overdue ? 1 : 0);
  } finally {
    single.clearDimensions();
  }
}
