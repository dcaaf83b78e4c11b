import { describe, expect, it } from 'vitest';
import { scrubUserAgent } from '../../functions/audit/audit-model.js';
import { AUDIT_SHARDS, shardOf } from '../../functions/audit/audit-store.js';
import { newEntryId } from '../../functions/shared/ids.js';
import { METRICS_NAMESPACE, metricNames } from '../../functions/observability/metric-names.js';
import { countLifecycleAction, countNotification, countTokenIssued, countVerification } from '../../functions/observability/metrics.js';
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
