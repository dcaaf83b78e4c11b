import { App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { type RouteDefinition, routes } from '../../functions/routes.js';
import { DEFAULT_THROTTLES } from '../../functions/contract/throttles.js';
import { keygateSettings } from '../../infra/settings.js';
import { type SynthesizedKeygate, synthKeygate } from '../support/synth.js';

/**
 * Alarms, the dashboard, and the API stage's access logs and throttling, on the synthesized
 * template: the default stack (alarms without a destination) and one that sends alarms to an
 * e-mail address, with other thresholds and throttling. Bundling is skipped: none of this
 * depends on the bundles.
 */
const routeTable = routes as readonly RouteDefinition[];

let plain: SynthesizedKeygate;
let alerting: SynthesizedKeygate;

beforeAll(() => {
  plain = synthKeygate();
  alerting = synthKeygate({
    alarms: { email: 'oncall@example.com', refusedAuthenticationsPer5Minutes: 250 },
    throttles: { integration: { burstLimit: 20, rateLimit: 10 } },
  });
}, 120_000);

const ofType = (world: typeof plain, type: string) => Object.values(world.resources).filter((r) => r.Type === type);
const alarms = (world: typeof plain) => ofType(world, 'AWS::CloudWatch::Alarm').map((r) => r.Properties);
const functionRef = (world: typeof plain, fn: { node: { defaultChild?: unknown } }) => ({ Ref: world.stack.getLogicalId(fn.node.defaultChild as never) });

describe('alarms', () => {
  it('watch errors and throttles of every function: each route, the bootstrap, the notifier, the schedule sync and watch, and the rotation', () => {
    const fns = [
      ...routeTable.map((r) => plain.stack.api.functions.get(r.id)),
      plain.stack.notifications.notifier,
      plain.stack.notifications.scheduleSync,
      plain.stack.scheduleWatch.function,
      plain.stack.signingKeys.rotationFunction,
    ];
    const all = alarms(plain);
    for (const fn of fns) {
      expect(fn).toBeDefined();
      for (const metric of ['Errors', 'Throttles']) {
        const found = all.filter((a) => a.MetricName === metric && a.Namespace === 'AWS/Lambda' && JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'FunctionName', Value: functionRef(plain, fn as never) }]));
        expect(found, `${metric} of ${(fn as { node: { path: string } }).node.path}`).toHaveLength(1);
        expect(found[0]).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', Statistic: 'Sum', Period: 300, TreatMissingData: 'notBreaching' });
      }
    }
    // And the bootstrap function: every keygate function, i.e. every Lambda function but the provider framework's.
    const lambdaErrorAlarms = all.filter((a) => a.MetricName === 'Errors' && a.Namespace === 'AWS/Lambda');
    expect(lambdaErrorAlarms).toHaveLength(routeTable.length + 5);
  });

  it('raise when the notifier dead-letter queue is not empty', () => {
    const queueId = plain.stack.getLogicalId(plain.stack.notifications.deadLetterQueue.node.defaultChild as never);
    expect(alarms(plain)).toContainEqual(
      expect.objectContaining({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
        Statistic: 'Maximum',
        Threshold: 1,
      }),
    );
  });

  it('raise on a spike of refused authentications (keygate Verifications, outcome refused), with a configurable threshold', () => {
    const spike = (world: typeof plain) => alarms(world).find((a) => a.Namespace === 'keygate' && a.MetricName === 'Verifications');
    expect(spike(plain)?.Dimensions).toHaveLength(2);
    expect(spike(plain)?.Dimensions).toEqual(expect.arrayContaining([{ Name: 'service', Value: 'keygate' }, { Name: 'outcome', Value: 'refused' }]));
    expect(spike(plain)).toMatchObject({
      Statistic: 'Sum',
      Period: 300,
      Threshold: 100,
    });
    expect(spike(alerting)?.Threshold).toBe(250);
    expect(spike(plain)?.AlarmDescription).toContain('GET /v1/audit?action=auth.failed');
  });

  it('raise when an expiry notification could not be sent (keygate NotificationsFailed, any channel)', () => {
    const failed = alarms(plain).filter((a) => a.Namespace === 'keygate' && a.MetricName === 'NotificationsFailed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ Dimensions: [{ Name: 'service', Value: 'keygate' }], Statistic: 'Sum', Period: 300, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    expect(failed[0]?.AlarmDescription).toContain('action=notification.failed');
  });

  it('raise on Scheduler target errors, dropped invocations and dead-letter failures of keygate\'s schedule group', () => {
    // The group's name is fixed at synth (CDK's unique name), so the dimension names it as the group's Name does.
    const groupName = plain.resources[plain.stack.getLogicalId(plain.stack.notifications.scheduleGroup.node.defaultChild as never)]?.Properties.Name;
    expect(groupName).toMatch(/ScheduleGroup/);
    for (const metric of ['TargetErrorCount', 'InvocationDroppedCount', 'InvocationsFailedToBeSentToDeadLetterCount']) {
      const found = alarms(plain).filter((a) => a.Namespace === 'AWS/Scheduler' && a.MetricName === metric);
      expect(found, metric).toHaveLength(1);
      expect(found[0]).toMatchObject({ Dimensions: [{ Name: 'ScheduleGroup', Value: groupName }], Statistic: 'Sum', Period: 300, Threshold: 1 });
    }
  });

  it('raise when schedule sync lags the table stream by 10 minutes (IteratorAge, maximum)', () => {
    const found = alarms(plain).filter((a) => a.Namespace === 'AWS/Lambda' && a.MetricName === 'IteratorAge');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      Dimensions: [{ Name: 'FunctionName', Value: functionRef(plain, plain.stack.notifications.scheduleSync) }],
      Statistic: 'Maximum',
      Threshold: 600_000,
    });
  });

  it('raise when DynamoDB throttles any operation keygate calls on its table', () => {
    const found = alarms(plain).filter((a) => JSON.stringify(a.Metrics ?? []).includes('ThrottledRequests'));
    expect(found).toHaveLength(1);
    const metrics = found[0]?.Metrics as { MetricStat?: { Metric: { MetricName: string; Dimensions: { Name: string; Value: unknown }[] } } }[];
    const operations = metrics.flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric.Dimensions.find((d) => d.Name === 'Operation')?.Value] : []));
    expect(operations.sort()).toEqual(['BatchGetItem', 'DeleteItem', 'GetItem', 'PutItem', 'Query', 'TransactWriteItems', 'UpdateItem']);
    expect(found[0]).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
  });

  it('count 429 and 5xx answers from the access log, and raise on them', () => {
    const accessLogsId = plain.stack.getLogicalId(plain.stack.api.accessLogs.node.defaultChild as never);
    const filters = ofType(plain, 'AWS::Logs::MetricFilter').map((r) => r.Properties);
    const byName = (name: string) => filters.find((f) => f.MetricTransformations[0].MetricName === name);
    expect(byName('ApiThrottledRequests')).toMatchObject({ LogGroupName: { Ref: accessLogsId }, FilterPattern: '{ $.status = "429" }' });
    expect(byName('ApiThrottledRequests')?.MetricTransformations[0]).toMatchObject({ MetricNamespace: 'keygate', MetricValue: '1' });
    expect(byName('ApiServerErrorAnswers')?.FilterPattern).toBe('{ ($.status = "500") || ($.status = "501") || ($.status = "502") || ($.status = "503") || ($.status = "504") }');
    const alarmOn = (name: string) => alarms(plain).find((a) => a.Namespace === 'keygate' && a.MetricName === name);
    expect(alarmOn('ApiThrottledRequests')).toMatchObject({ Statistic: 'Sum', Period: 300, Threshold: 10 });
    expect(alarmOn('ApiServerErrorAnswers')).toMatchObject({ Statistic: 'Sum', Period: 300, Threshold: 1 });
  });

  it('raise when the daily check finds the signing-key rotation overdue, and that check runs daily', () => {
    const overdue = alarms(plain).filter((a) => a.Namespace === 'keygate' && a.MetricName === 'SigningKeyRotationOverdue');
    expect(overdue).toHaveLength(1);
    expect(overdue[0]).toMatchObject({ Dimensions: [{ Name: 'service', Value: 'keygate' }], Statistic: 'Maximum', Period: 86_400, Threshold: 1 });
    const rules = ofType(plain, 'AWS::Events::Rule').map((r) => r.Properties);
    const rotationId = plain.stack.signingKeys.rotationFunctionLogicalId;
    const check = rules.find((r) => JSON.stringify(r.Targets).includes(rotationId));
    expect(check?.ScheduleExpression).toBe('rate(1 day)');
    const input = JSON.parse(JSON.stringify(check?.Targets[0].Input));
    expect(JSON.stringify(input)).toContain('check-rotation');
  });

  it('go nowhere by default, and to an SNS topic with the e-mail subscribed when one is given', () => {
    expect(ofType(plain, 'AWS::SNS::Topic')).toHaveLength(0);
    expect(alarms(plain).every((a) => a.AlarmActions === undefined)).toBe(true);
    const topicId = alerting.stack.getLogicalId(alerting.stack.monitoring.topic?.node.defaultChild as never);
    alerting.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com', TopicArn: { Ref: topicId } });
    expect(alarms(alerting).every((a) => JSON.stringify(a.AlarmActions) === JSON.stringify([{ Ref: topicId }]))).toBe(true);
    // enforceSSL: the topic policy denies publishing over plain HTTP.
    expect(JSON.stringify(ofType(alerting, 'AWS::SNS::TopicPolicy'))).toContain('aws:SecureTransport');
  });
});

describe('the dashboard', () => {
  it('is one dashboard showing the API, verifications by reason, lifecycle actions, tokens, notifications, functions and alarms', () => {
    const dashboards = ofType(plain, 'AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0]?.Properties.DashboardBody);
    for (const text of ['API requests and errors', 'Refused, by reason', 'Lifecycle changes, by action', 'Tokens issued and notifications', 'Function errors', 'Function throttles', 'Table throttles and dead letters', 'Alarms']) {
      expect(body).toContain(text);
    }
    expect(body).toContain('SEARCH(');
    expect(body).toContain('MetricName=\\\\\\"Verifications\\\\\\"');
    expect(body).toContain('NotificationsDropped');
  });
});

describe('the API stage', () => {
  const stage = (world: typeof plain) => ofType(world, 'AWS::ApiGatewayV2::Stage')[0]?.Properties;

  it('writes JSON access logs without any header value', () => {
    const format = JSON.parse(stage(plain)?.AccessLogSettings.Format);
    expect(format).toMatchObject({ requestId: '$context.requestId', ip: '$context.identity.sourceIp', status: '$context.status', userAgent: '$context.identity.userAgent' });
    expect(JSON.stringify(format)).not.toMatch(/header|authorization/i);
  });

  it('throttles each route by its class: the integration paths get their own larger buckets, management routes the stage default', () => {
    const integrationKeys = [
      'POST /v1/keys/verify',
      'POST /oauth/token',
      'POST /oauth/introspect',
      'GET /.well-known/jwks.json',
      'GET /v1/keys/jwks.json',
      'GET /.well-known/oauth-authorization-server',
      'GET /.well-known/openid-configuration',
    ];
    const settings = (rate: number, burst: number) => ({ ThrottlingRateLimit: rate, ThrottlingBurstLimit: burst });
    expect(stage(plain)?.DefaultRouteSettings).toMatchObject(settings(50, 100));
    const routeSettings = stage(plain)?.RouteSettings as Record<string, unknown>;
    // Every route is named, so none silently falls back to a default.
    expect(Object.keys(routeSettings).sort()).toEqual(routeTable.map((r) => `${r.method} ${r.path}`).sort());
    for (const [routeKey, value] of Object.entries(routeSettings)) {
      expect(value, routeKey).toEqual(integrationKeys.includes(routeKey) ? settings(1_000, 2_000) : settings(50, 100));
    }
    expect(integrationKeys.every((key) => key in routeSettings)).toBe(true);

    // A stack prop changes one class and leaves the other at its default.
    const changed = stage(alerting)?.RouteSettings as Record<string, unknown>;
    expect(changed['POST /v1/keys/verify']).toEqual(settings(10, 20));
    expect(changed['POST /v1/keys']).toEqual(settings(50, 100));
    expect(stage(alerting)?.DefaultRouteSettings).toMatchObject(settings(50, 100));
  });

  it('is created after every route it names (CloudFormation refuses route settings of a route that does not exist yet)', () => {
    const [stageId, stageResource] = Object.entries(plain.resources).find(([, r]) => r.Type === 'AWS::ApiGatewayV2::Stage') ?? [];
    expect(stageId).toBeDefined();
    const routeIds = Object.entries(plain.resources).filter(([, r]) => r.Type === 'AWS::ApiGatewayV2::Route').map(([id]) => id);
    expect(routeIds).toHaveLength(routeTable.length);
    expect((stageResource as { DependsOn?: string[] }).DependsOn).toEqual(expect.arrayContaining(routeIds));
  });
});

describe('deployment settings from CDK context (npx cdk deploy -c name=value)', () => {
  const settingsOf = (context: Record<string, unknown>) => keygateSettings(new App({ context }));

  it('take the throttles per class, the email sender and the alarm address', () => {
    expect(settingsOf({})).toEqual({ throttles: DEFAULT_THROTTLES });
    expect(
      settingsOf({ integrationRateLimit: '2500', integrationBurstLimit: 4000, managementRateLimit: '20', emailSender: 'k@example.org', alarmEmail: 'ops@example.org' }),
    ).toEqual({
      throttles: { integration: { rateLimit: 2500, burstLimit: 4000 }, management: { rateLimit: 20, burstLimit: 100 } },
      emailSender: 'k@example.org',
      alarms: { email: 'ops@example.org' },
    });
  });

  it('stop the synth on a throttle that API Gateway cannot take, naming the setting', () => {
    for (const [name, value] of [['integrationRateLimit', 'fast'], ['integrationBurstLimit', '2.5'], ['managementBurstLimit', '6000'], ['managementRateLimit', '0'], ['integrationRateLimit', '-3']]) {
      expect(() => settingsOf({ [name as string]: value }), `${name}=${value}`).toThrow(new RegExp(`^${name} must be`));
    }
  });
});

describe('cdk-nag', () => {
  it('finds nothing unacknowledged in the stack that e-mails its alarms', () => {
    const report = new AwsSolutionsChecks(alerting.app).validateScope(alerting.app);
    const findings = report.violations.map((v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(findings).toEqual([]);
  });
});
