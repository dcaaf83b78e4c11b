import { Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type CfnScheduleGroup, ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { keygateFunction } from './api.js';
import { grantTableAccess } from './table-grants.js';
import { functionTableAccess } from '../functions/contract/table-access.js';
import { KEY_USE_MARK } from '../functions/contract/table-schema.js';

export interface KeygateNotificationsProps {
  /** The keygate table, with its stream (infra/stateful.ts). */
  readonly table: ITable;
  readonly logRetention: RetentionDays;
  /**
   * The SES identity email notifications are sent from (an address, whose address or domain is
   * verified in SES). Without it, email channels are not set up: their notifications fail
   * visibly (outcome `failed`, metric NotificationsFailed, its alarm) and nothing may use SES.
   */
  readonly emailSender?: string;
}

/**
 * Expiry notifications on AWS (functions/notifications):
 *
 * - ScheduleSync reads the table's stream and puts or deletes one EventBridge Scheduler
 *   one-shot schedule per key notification, in keygate's schedule group. A failing Scheduler
 *   call fails the record: Lambda retries it (bisecting the batch), then sends it to the DLQ.
 * - Each schedule invokes the Notifier through SchedulerRole, which may invoke that function
 *   and nothing else (and send to the DLQ, where the Scheduler puts what it could not deliver).
 * - The Notifier re-reads the key and sends by SES, a signed webhook, or an operator message.
 *   Its own failures are retried twice by Lambda, then go to the DLQ.
 *
 * Everything undeliverable ends in one queue: DeadLetterQueue (14 days).
 */
export class KeygateNotifications extends Construct {
  readonly scheduleGroup: ScheduleGroup;
  readonly notifier: NodejsFunction;
  readonly scheduleSync: NodejsFunction;
  readonly schedulerRole: Role;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: KeygateNotificationsProps) {
    super(scope, id);
    const { table, logRetention } = props;
    const stack = Stack.of(this);

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the notification path (schedule sync, Scheduler target, notifier): what lands here is for people to inspect and redrive, not for another queue.',
    });

    // Schedules are derived from the table (schedule sync rebuilds them from the stream), so the
    // group is stateless: it goes with the stack, taking its schedules with it. Retained under its
    // CDK-made name, it would make the next deploy after a destroy or a failed create fail.
    this.scheduleGroup = new ScheduleGroup(this, 'ScheduleGroup', { removalPolicy: RemovalPolicy.DESTROY });
    // Its CloudFormation Ref is the name CDK generated: a reference in the template, like every other name passed on.
    const groupName = (this.scheduleGroup.node.defaultChild as CfnScheduleGroup).ref;

    this.notifier = keygateFunction(this, 'Notifier', {
      entry: 'functions/reminders/handlers/notifier.ts',
      description: 'keygate notifier: re-reads the key when its notification schedule fires, then sends by email, signed webhook or operator message',
      environment: { TABLE_NAME: table.tableName },
      logRetention,
      // Webhooks get three attempts of up to 10 s each within one run.
      timeout: Duration.seconds(60),
    });
    // Reads the key and channel, updates the key's notification fields, puts operator messages and audit entries.
    grantTableAccess(this.notifier, table, functionTableAccess.notifier);
    const sender = props.emailSender;
    if (sender !== undefined) {
      if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(sender)) throw new Error(`emailSender must be an email address verified in SES (or of a verified domain); got ${JSON.stringify(sender)}`);
      this.notifier.addEnvironment('EMAIL_SENDER', sender);
      this.notifier.addToRolePolicy(
        new PolicyStatement({
          actions: ['ses:SendEmail'],
          // The sender's identity: the address itself, or its domain, whichever was verified in SES.
          resources: [sender, sender.split('@')[1] ?? sender].map((identity) => stack.formatArn({ service: 'ses', resource: 'identity', resourceName: identity })),
        }),
      );
    }
    this.notifier.configureAsyncInvoke({ retryAttempts: 2, onFailure: new SqsDestination(this.deadLetterQueue) });

    this.schedulerRole = new Role(this, 'SchedulerRole', {
      description: 'keygate notification schedules: invoke the notifier, and nothing else',
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          // Confused-deputy guard as EventBridge Scheduler documents it: aws:SourceArn is the
          // schedule GROUP's ARN (schedule-group/<name>), never a schedule or a prefix of them.
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID, 'aws:SourceArn': this.scheduleGroup.scheduleGroupArn },
        },
      }),
    });
    this.schedulerRole.addToPolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.notifier.functionArn] }));
    this.deadLetterQueue.grantSendMessages(this.schedulerRole);

    this.scheduleSync = keygateFunction(this, 'ScheduleSync', {
      entry: 'functions/reminders/handlers/sync-schedules.ts',
      description: 'keygate schedule sync: keeps one EventBridge Scheduler schedule per key notification, from the table stream',
      environment: {
        TABLE_NAME: table.tableName,
        SCHEDULE_GROUP: groupName,
        SCHEDULER_ROLE_ARN: this.schedulerRole.roleArn,
        NOTIFIER_ARN: this.notifier.functionArn,
        SCHEDULE_DLQ_ARN: this.deadLetterQueue.queueArn,
      },
      logRetention,
      timeout: Duration.seconds(60),
    });
    // It only re-reads keys (strongly consistent GetItem), never writes the table.
    grantTableAccess(this.scheduleSync, table, functionTableAccess.scheduleSync);
    const schedulesArn = stack.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${groupName}/*` });
    this.scheduleSync.addToRolePolicy(
      new PolicyStatement({ actions: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule'], resources: [schedulesArn] }),
    );
    this.scheduleSync.addToRolePolicy(
      new PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.schedulerRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
    this.scheduleSync.addEventSource(
      new DynamoEventSource(table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 25,
        bisectBatchOnError: true,
        retryAttempts: 10,
        maxRecordAge: Duration.days(1),
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(this.deadLetterQueue),
        // Only key items have notifications; channel, lock and message writes never reach the function,
        // and neither does a use record (up to once a minute per key in use): it sets the use mark, which
        // every other key write clears, and a use never changes a schedule. A delete (no new image) passes.
        filters: [
          FilterCriteria.filter({
            dynamodb: { Keys: { pk: { S: FilterRule.beginsWith('KEY#') } }, NewImage: { [KEY_USE_MARK]: { BOOL: FilterRule.notExists() } } },
          }),
        ],
      }),
    );
    Validations.of(this.scheduleSync.role as Role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/<${stack.getLogicalId(this.scheduleGroup.node.defaultChild as CfnScheduleGroup)}>/*]`,
      reason: "Schedules are made per key notification (key-<keyId>-<slot>), so their names are not known in advance: the grant covers keygate's own schedule group only.",
    });
    Validations.of(this.scheduleSync.role as Role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'The DynamoDB event source grants dynamodb:ListStreams, which IAM cannot scope to a resource; the stream read actions (DescribeStream, GetRecords, GetShardIterator) name the table stream only.',
    });
  }
}
