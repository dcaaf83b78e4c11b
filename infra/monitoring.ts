import { Duration, Validations } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IAlarmAction,
  type IMetric,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, METRICS_SERVICE, metricNames } from '../functions/observability/metric-names.js';

export interface KeygateAlarmProps {
  /** Alarms notify this topic. */
  readonly topic?: ITopic;
  /** Or: a topic is made with this address subscribed (the address must confirm the subscription). */
  readonly email?: string;
  /** Refused authentications (all reasons) in 5 minutes that raise the spike alarm. @default 100 */
  readonly refusedAuthenticationsPer5Minutes?: number;
  /** API Gateway 5xx answers in 5 minutes that raise the alarm. @default 5 */
  readonly serverErrorsPer5Minutes?: number;
}

export interface KeygateMonitoringProps extends KeygateAlarmProps {
  readonly httpApi: HttpApi;
  readonly table: ITable;
  /** Every keygate function, by a readable name (route id, Notifier, ...). */
  readonly functions: ReadonlyMap<string, IFunction>;
  /** Queues that must stay empty (the notifier's dead-letter queue). */
  readonly deadLetterQueues: ReadonlyMap<string, IQueue>;
}

const FIVE_MINUTES = Duration.minutes(5);

/** keygate's own metrics (functions/observability): namespace keygate, dimension service=keygate. */
function keygateMetric(name: string, dimensions: Record<string, string> = {}, label?: string): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { service: METRICS_SERVICE, ...dimensions },
    statistic: 'Sum',
    period: FIVE_MINUTES,
    ...(label === undefined ? {} : { label }),
  });
}

/** Every value of one dimension, as one line each: a dashboard-only SEARCH (alarms cannot SEARCH). */
function byDimension(metricName: string, dimension: string, filter = ''): MathExpression {
  return new MathExpression({
    expression: `SEARCH('{${METRICS_NAMESPACE},service,${dimension}} MetricName="${metricName}" ${filter}', 'Sum', 300)`,
    usingMetrics: {},
    label: '',
    period: FIVE_MINUTES,
  });
}

/**
 * What an operator watches: alarms on what needs a person, and one dashboard of the service.
 *
 * Alarms (each says what it means in its description, which the alarm e-mail carries):
 * - <fn>Errors / <fn>Throttles for every function: any error or throttle in 5 minutes;
 * - <queue>NotEmpty: a dead-letter queue holds a message (a notification or schedule sync gave up);
 * - RefusedAuthenticationsSpike: refused credentials above the threshold in 5 minutes;
 * - ApiServerErrors: API Gateway answered 5xx;
 * - NotificationsFailed: an expiry notification could not be sent (SES refused, webhook down,
 *   email not set up); the key's details and the audit log say which and why.
 */
export class KeygateMonitoring extends Construct {
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;
  readonly topic: ITopic | undefined;

  constructor(scope: Construct, id: string, props: KeygateMonitoringProps) {
    super(scope, id);

    this.topic = props.topic ?? (props.email === undefined ? undefined : this.emailTopic(props.email));
    const action: IAlarmAction | undefined = this.topic === undefined ? undefined : new SnsAction(this.topic);
    const alarm = (alarmId: string, metric: IMetric, threshold: number, description: string) => {
      const made = new Alarm(this, alarmId, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      if (action) made.addAlarmAction(action);
      this.alarms.push(made);
      return made;
    };

    for (const [name, fn] of props.functions) {
      alarm(`${name}Errors`, fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }), 1, `keygate ${name}: the function failed (an unhandled error or a timeout). Its log group has the stack trace; a 500 answer carries the request id to search for.`);
      alarm(`${name}Throttles`, fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }), 1, `keygate ${name}: Lambda throttled invocations (account or reserved concurrency exhausted). Callers got 429/503 or the event was retried.`);
    }
    for (const [name, queue] of props.deadLetterQueues) {
      alarm(
        `${name}NotEmpty`,
        queue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }),
        1,
        `keygate ${name} holds a message: a notification or a schedule change failed for good. Read the message (it names the key), fix the cause, then delete it.`,
      );
    }
    const refused = props.refusedAuthenticationsPer5Minutes ?? 100;
    alarm(
      'RefusedAuthenticationsSpike',
      keygateMetric(metricNames.verifications, { outcome: 'refused' }),
      refused,
      `keygate refused ${refused} or more credentials in 5 minutes: a client with a revoked or expired key, or someone guessing. GET /v1/audit?action=auth.failed shows which keys and source IPs; the dashboard splits by reason.`,
    );
    alarm(
      'ApiServerErrors',
      props.httpApi.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' }),
      props.serverErrorsPer5Minutes ?? 5,
      'keygate API Gateway answered 5xx: a function failed or timed out. The function error alarms and the access log (status, integrationError) say which route.',
    );

    alarm(
      'NotificationsFailed',
      keygateMetric(metricNames.notificationsFailed),
      1,
      'keygate could not send an expiry notification (SES refused it, e.g. an unverified sender or, in the SES sandbox, recipient; a webhook answered an error; email not set up: no emailSender). GET /v1/audit?action=notification.failed names the key and the reason.',
    );

    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(6) });
    const fns = [...props.functions];
    const graph = (title: string, left: IMetric[], width = 8) => new GraphWidget({ title, left, width, height: 6 });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          '# keygate\nRequests, refusals and lifecycle changes; who did what is in the audit log (`GET /v1/audit`). Alarms below are red when a person is needed.',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph('API requests and errors', [
        props.httpApi.metricCount({ period: FIVE_MINUTES, statistic: 'Sum', label: 'requests' }),
        props.httpApi.metricClientError({ period: FIVE_MINUTES, statistic: 'Sum', label: '4xx' }),
        props.httpApi.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum', label: '5xx' }),
      ]),
      graph('API latency (ms)', [
        props.httpApi.metricLatency({ period: FIVE_MINUTES, statistic: 'p50', label: 'p50' }),
        props.httpApi.metricLatency({ period: FIVE_MINUTES, statistic: 'p99', label: 'p99' }),
      ]),
      graph('Verifications', [
        keygateMetric(metricNames.verifications, { outcome: 'allowed' }, 'allowed'),
        keygateMetric(metricNames.verifications, { outcome: 'refused' }, 'refused'),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Refused, by reason', [byDimension(metricNames.verifications, 'reason')]),
      graph('Lifecycle changes, by action', [byDimension(metricNames.lifecycleActions, 'action')]),
      graph('Tokens issued and notifications', [
        keygateMetric(metricNames.tokensIssued, {}, 'tokens issued'),
        keygateMetric(metricNames.notificationsSent, {}, 'notifications sent'),
        keygateMetric(metricNames.notificationsDropped, {}, 'notifications dropped'),
        keygateMetric(metricNames.notificationsFailed, {}, 'notifications failed'),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Function errors', fns.map(([name, fn]) => fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum', label: name }))),
      graph('Function throttles', fns.map(([name, fn]) => fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum', label: name }))),
      graph('Table throttles and dead letters', [
        props.table.metricThrottledRequestsForOperations({ period: FIVE_MINUTES, label: 'table throttled requests' }),
        ...[...props.deadLetterQueues].map(([name, queue]) =>
          queue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum', label: name }),
        ),
      ]),
    );
    this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: Math.max(3, Math.ceil(this.alarms.length / 6) + 1) }));
  }

  private emailTopic(email: string): Topic {
    const topic = new Topic(this, 'AlarmTopic', { displayName: 'keygate alarms', enforceSSL: true });
    topic.addSubscription(new EmailSubscription(email));
    Validations.of(topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'The topic carries alarm state changes only (alarm name, metric, threshold), never keys or audit data. CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS key, and a customer-managed key would protect nothing secret.',
    });
    return topic;
  }
}
