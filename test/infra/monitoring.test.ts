import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../infra/api.js';
import { KeygateStack } from '../../infra/keygate-stack.js';
import { type RouteDefinition, routes } from '../../functions/routes.js';

/**
 * Alarms, the dashboard, and the API stage's access logs and throttling, on the synthesized
 * template: the default stack (alarms without a destination) and one that sends alarms to an
 * e-mail address, with other thresholds and throttling. Bundling is skipped: none of this
 * depends on the bundles.
 */
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON
type Resource = { Type: string; Properties: Record<string, any> };

const cdkContext = JSON.parse(readFileSync(path.join(projectRoot, 'cdk.json'), 'utf8')).context as Record<string, unknown>;
const routeTable = routes as readonly RouteDefinition[];

let plain: { app: App; stack: KeygateStack; template: Template; resources: Record<string, Resource> };
let alerting: typeof plain;

function synth(props: ConstructorParameters<typeof KeygateStack>[2]) {
  const app = new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [] } });
  const stack = new KeygateStack(app, 'Keygate', props);
  const template = Template.fromStack(stack);
  return { app, stack, template, resources: template.toJSON().Resources as Record<string, Resource> };
}

beforeAll(() => {
  plain = synth({});
  alerting = synth({
    alarms: { email: 'oncall@example.com', refusedAuthenticationsPer5Minutes: 250 },
    throttle: { burstLimit: 20, rateLimit: 10 },
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
  it('writes JSON access logs without any header value, and takes its throttling from the stack props', () => {
    const stage = (world: typeof plain) => ofType(world, 'AWS::ApiGatewayV2::Stage')[0]?.Properties;
    expect(stage(plain)?.DefaultRouteSettings).toMatchObject({ ThrottlingBurstLimit: 100, ThrottlingRateLimit: 50 });
    expect(stage(alerting)?.DefaultRouteSettings).toMatchObject({ ThrottlingBurstLimit: 20, ThrottlingRateLimit: 10 });
    const format = JSON.parse(stage(plain)?.AccessLogSettings.Format);
    expect(format).toMatchObject({ requestId: '$context.requestId', ip: '$context.identity.sourceIp', status: '$context.status', userAgent: '$context.identity.userAgent' });
    expect(JSON.stringify(format)).not.toMatch(/header|authorization/i);
  });
});

describe('cdk-nag', () => {
  it('finds nothing unacknowledged in the stack that e-mails its alarms', () => {
    const report = new AwsSolutionsChecks(alerting.app).validateScope(alerting.app);
    const findings = report.violations.map((v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(findings).toEqual([]);
  });
});
