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
import { type ITable, Operation } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, type ILogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import type { IScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
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
  /** 429 answers (throttled by the stage) in 5 minutes that raise the alarm. @default 10 */
  readonly throttledRequestsPer5Minutes?: number;
}

export interface KeygateMonitoringProps extends KeygateAlarmProps {
  readonly httpApi: HttpApi;
  readonly table: ITable;
  /** Every keygate function, by a readable name (route id, Notifier, ...). */
  readonly functions: ReadonlyMap<string, IFunction>;
  /** Queues that must stay empty (the notifier's dead-letter queue). */
  readonly deadLetterQueues: ReadonlyMap<string, IQueue>;
  /** The API stage's JSON access logs: 429 and 5xx answers are counted from them. */
  readonly accessLogs: ILogGroup;
  /** The Scheduler group of the notification schedules. */
  readonly scheduleGroup: IScheduleGroup;
  /** Functions fed by a stream (schedule sync, on the table's stream): their iterator age is watched. */
  readonly streamConsumers: ReadonlyMap<string, IFunction>;
}

/** What the access-log metric filters count, in namespace keygate (no dimension: a metric filter cannot add a fixed one). */
export const accessLogMetricNames = { throttled: 'ApiThrottledRequests', serverErrors: 'ApiServerErrorAnswers' } as const;

/** The table operations keygate's functions call: what the throttle alarm sums (an alarm takes at most 10 metrics). */
const TABLE_OPERATIONS = [
  Operation.GET_ITEM,
  Operation.BATCH_GET_ITEM,
  Operation.QUERY,
  Operation.PUT_ITEM,
  Operation.UPDATE_ITEM,
  Operation.DELETE_ITEM,
  Operation.TRANSACT_WRITE_ITEMS,
];

/** Schedule-sync lag that raises the alarm: key changes not yet turned into schedules for this long. */
const ITERATOR_AGE_ALARM_MS = 10 * 60_000;

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
 * Alarms (each says what it means in its description, which the alarm e-mail carries; the
 * README's runbook says what to do):
 * - <fn>Errors / <fn>Throttles for every function: any error or throttle in 5 minutes;
 * - <queue>NotEmpty: a dead-letter queue holds a message (a notification or schedule sync gave up);
 * - RefusedAuthenticationsSpike: refused credentials above the threshold in 5 minutes;
 * - ApiServerErrors: API Gateway's own 5xx count; ApiServerErrorAnswers: every 5xx in the access
 *   log, including those a handler answered itself (no Lambda error);
 * - ApiThrottled: the stage answered 429 (a route's bucket ran dry);
 * - NotificationsFailed: an expiry notification could not be sent (SES refused, webhook down,
 *   email not set up); the key's details and the audit log say which and why;
 * - SchedulerTargetErrors / SchedulerInvocationsDropped / SchedulerDeadLetterFailures: the
 *   Scheduler could not invoke the notifier, gave a notification up, or could not even put it in
 *   the dead-letter queue;
 * - <fn>IteratorAge: schedule sync lags the table's stream;
 * - TableThrottledRequests: DynamoDB throttled keygate's reads or writes;
 * - SigningKeyRotationOverdue: the daily check found the signing-key rotation overdue.
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

    const accessLogCount = (id: string, metricName: string, statuses: readonly string[]) => {
      new MetricFilter(this, id, {
        logGroup: props.accessLogs,
        // The access log writes status as a string ("429"): matched as strings, one by one.
        filterPattern: FilterPattern.any(...statuses.map((status) => FilterPattern.stringValue('$.status', '=', status))),
        metricNamespace: METRICS_NAMESPACE,
        metricName,
        metricValue: '1',
      });
      return new Metric({ namespace: METRICS_NAMESPACE, metricName, statistic: 'Sum', period: FIVE_MINUTES });
    };
    const throttled = props.throttledRequestsPer5Minutes ?? 10;
    alarm(
      'ApiThrottled',
      accessLogCount('ThrottledAnswers', accessLogMetricNames.throttled, ['429']),
      throttled,
      `keygate's API answered 429 Too Many Requests ${throttled} or more times in 5 minutes: a route's throttle bucket ran dry (the access log's routeKey says which). Raise that route class's limit (-c integrationRateLimit=... and redeploy) if the traffic is legitimate.`,
    );
    alarm(
      'ApiServerErrorAnswers',
      accessLogCount('ServerErrorAnswers', accessLogMetricNames.serverErrors, ['500', '501', '502', '503', '504']),
      1,
      'keygate answered 5xx, counted from the access log: also the 500s and 503s a handler returned itself (a caught failure, a missing signing key), which are no Lambda errors. The answer carries the request id; search the route\'s log group for it.',
    );

    const scheduler = { period: FIVE_MINUTES, statistic: 'Sum' } as const;
    alarm(
      'SchedulerTargetErrors',
      props.scheduleGroup.metricTargetErrors(scheduler),
      1,
      'keygate: EventBridge Scheduler could not invoke the notifier (TargetErrorCount): its role, the function\'s permission or the function itself refused. The Scheduler retries, then puts the event in the dead-letter queue.',
    );
    alarm(
      'SchedulerInvocationsDropped',
      props.scheduleGroup.metricDropped(scheduler),
      1,
      'keygate: EventBridge Scheduler gave up on a notification schedule (InvocationDroppedCount): a notification was not sent. Find the key in the dead-letter queue if it reached it, else by the schedule name (key-<keyId>-<slot>) in CloudTrail.',
    );
    alarm(
      'SchedulerDeadLetterFailures',
      props.scheduleGroup.metricFailedToBeSentToDLQ(undefined, scheduler),
      1,
      'keygate: EventBridge Scheduler could not put a failed notification in the dead-letter queue (InvocationsFailedToBeSentToDeadLetterCount): the notification is lost. Check the queue policy and the Scheduler role\'s sqs:SendMessage.',
    );
    for (const [name, fn] of props.streamConsumers) {
      alarm(
        `${name}IteratorAge`,
        fn.metric('IteratorAge', { period: FIVE_MINUTES, statistic: 'Maximum' }),
        ITERATOR_AGE_ALARM_MS,
        `keygate ${name} lags the table's stream by ${ITERATOR_AGE_ALARM_MS / 60_000} minutes or more: key changes are not yet turned into notification schedules (the function keeps failing on a batch, or is throttled). Its log group and Errors alarm say why; a batch that fails for a day goes to the dead-letter queue.`,
      );
    }
    alarm(
      'TableThrottledRequests',
      props.table.metricThrottledRequestsForOperations({ operations: TABLE_OPERATIONS, period: FIVE_MINUTES }),
      1,
      'keygate\'s DynamoDB table throttled requests (ThrottledRequests): an on-demand table throttles past twice its previous peak, or a hot partition (one key verified very often, the KEYS index partition). Callers were retried by the SDK; a verify may have answered 503. See the dashboard\'s table throttles by operation.',
    );
    alarm(
      'SigningKeyRotationOverdue',
      new Metric({ namespace: METRICS_NAMESPACE, metricName: metricNames.signingKeyRotationOverdue, dimensionsMap: { service: METRICS_SERVICE }, statistic: 'Maximum', period: Duration.days(1) }),
      1,
      'keygate\'s token signing-key rotation is overdue (the daily check found LastRotatedDate older than the rotation interval plus two days, or rotation off): tokens keep being signed by an old key. The rotation function\'s log says why; rotate at once (README runbook, emergency rotation).',
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
        keygateMetric(metricNames.verifications, { outcome: 'limited' }, 'over a rate limit or quota'),
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
