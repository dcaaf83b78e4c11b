import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { describe, expect, it } from 'vitest';
import { scrubUserAgent } from '../../functions/audit/audit-model.js';
import { AUDIT_SHARDS, shardOf } from '../../functions/audit/audit-store.js';
import { authenticationFailures } from '../../functions/shared/errors.js';
import { newEntryId } from '../../functions/shared/ids.js';
import { METRICS_NAMESPACE, METRICS_SERVICE, metricNames } from '../../functions/observability/metric-names.js';
import { countLifecycleAction, countNotification, countTokenIssued, countVerification, type VerificationReason } from '../../functions/observability/metrics.js';
import { issueSecret } from '../../functions/keys/key-string.js';
import { capturedOutput } from '../support/capture-logs.js';

/** The EMF lines emitted since `mark`, parsed. */
function emfSince(mark: number) {
  return capturedOutput()
    .slice(mark)
    .split('\n')
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] } } & Record<string, unknown>);
}

describe('metrics helpers', () => {
  it('count a refusal under [service, outcome] (what the alarm reads) and [service, reason]', () => {
    const mark = capturedOutput().length;
    countVerification({ allowed: false, reason: 'revoked' });
    const [line] = emfSince(mark);
    expect(line?._aws.CloudWatchMetrics).toEqual([{ Namespace: METRICS_NAMESPACE, Dimensions: [['service', 'outcome'], ['service', 'reason']], Metrics: [{ Name: metricNames.verifications, Unit: 'Count' }] }]);
    expect(line).toMatchObject({ service: 'keygate', outcome: 'refused', reason: 'revoked', Verifications: 1 });
  });

  it('write each verification line byte for byte as Powertools writes it, but for the timestamp', () => {
    const powertools = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE }).singleMetric();
    // The line Powertools publishes for one verification: what countVerification wrote through it before its lines were prebuilt.
    const throughPowertools = (outcome: string, reason?: string) => {
      const mark = capturedOutput().length;
      powertools.addDimension('outcome', outcome);
      if (reason !== undefined) powertools.addDimensions({ reason });
      powertools.addMetric(metricNames.verifications, MetricUnit.Count, 1);
      return capturedOutput().slice(mark);
    };
    const written = (outcome: Parameters<typeof countVerification>[0]) => {
      const mark = capturedOutput().length;
      const before = Date.now();
      countVerification(outcome);
      const line = capturedOutput().slice(mark);
      const stamp = Number(/"Timestamp":(\d+)/.exec(line)?.[1]);
      expect(stamp).toBeGreaterThanOrEqual(before);
      expect(stamp).toBeLessThanOrEqual(Date.now());
      return line;
    };
    const withoutTime = (line: string) => line.replace(/"Timestamp":\d+/, '"Timestamp":0');
    const reasons: VerificationReason[] = [...authenticationFailures, 'insufficient_permissions', 'unavailable'];
    expect(withoutTime(written({ allowed: true }))).toBe(withoutTime(throughPowertools('allowed')));
    for (const reason of reasons) {
      const outcome = reason === 'rate_limited' || reason === 'quota_exhausted' ? 'limited' : 'refused';
      const line = written({ allowed: false, reason });
      expect(withoutTime(line)).toBe(withoutTime(throughPowertools(outcome, reason)));
      expect(line.split('\n')).toHaveLength(2); // one line, newline-terminated
    }
  });

  it('count an issued token and its key’s verification in one line, each under its own dimension set', () => {
    const mark = capturedOutput().length;
    countTokenIssued();
    const lines = emfSince(mark);
    expect(lines).toHaveLength(1);
    expect(lines[0]?._aws.CloudWatchMetrics).toEqual([
      { Namespace: METRICS_NAMESPACE, Dimensions: [['service', 'outcome']], Metrics: [{ Name: metricNames.verifications, Unit: 'Count' }] },
      { Namespace: METRICS_NAMESPACE, Dimensions: [['service']], Metrics: [{ Name: metricNames.tokensIssued, Unit: 'Count' }] },
    ]);
    expect(lines[0]).toMatchObject({ service: 'keygate', outcome: 'allowed', Verifications: 1, TokensIssued: 1 });
  });

  it('count lifecycle actions and notifications in total and by action or channel type', () => {
    const mark = capturedOutput().length;
    countLifecycleAction('key.reset');
    countNotification('dropped', 'webhook');
    const [action, notification] = emfSince(mark);
    expect(action?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service'], ['service', 'action']]);
    expect(action).toMatchObject({ action: 'key.reset', LifecycleActions: 1 });
    expect(notification).toMatchObject({ channelType: 'webhook', NotificationsDropped: 1 });
  });
});

describe('audit entries', () => {
  it('spread over every shard', () => {
    const counts = new Array(AUDIT_SHARDS).fill(0);
    for (let i = 0; i < 8000; i++) counts[shardOf(newEntryId())]++;
    for (const count of counts) expect(count).toBeGreaterThan(800);
  });

  it('keep a user agent, but never a credential inside one, and at most 256 characters of it', () => {
    expect(scrubUserAgent('curl/8.5.0')).toBe('curl/8.5.0');
    expect(scrubUserAgent(undefined)).toBeNull();
    const key = issueSecret('kg', 'A'.repeat(22)).keyString;
    const jwt = `eyJhbGciOiJFUzI1NiJ9.${'eyJzdWIiOiJhIn0'.repeat(2)}.${'s'.repeat(40)}`;
    expect(scrubUserAgent(`tool/1 (${key}) ${jwt}`)).toBe('tool/1 ([redacted]) [redacted]');
    expect(scrubUserAgent('x'.repeat(1000))).toHaveLength(256);
  });
});
