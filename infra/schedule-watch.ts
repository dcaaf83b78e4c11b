import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { type IRole, PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { CfnScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { keygateFunction } from './api.js';
import { grantTableAccess } from './table-grants.js';
import { functionTableAccess } from '../functions/contract/table-access.js';

export interface KeygateScheduleWatchProps {
  readonly table: ITable;
  /** keygate's schedule group (infra/notifications.ts); its CloudFormation Ref is the generated name. */
  readonly scheduleGroup: CfnScheduleGroup;
  /** The schedule sync's role: DeleteSchedule calls made with it are keygate's own. */
  readonly syncRole: IRole;
  readonly deadLetterQueue: IQueue;
  readonly logRetention: RetentionDays;
}

/**
 * A schedule deleted outside keygate cancels its notification (functions/reminders/schedule-deletions.ts).
 * An EventBridge rule on the default bus matches EventBridge Scheduler's DeleteSchedule API calls
 * in keygate's group as CloudTrail delivers them (`AWS API Call via CloudTrail`, source
 * `aws.scheduler`) and invokes ScheduleWatch. EventBridge receives these only where a CloudTrail
 * trail with logging enabled records management (write) events in this Region: the default
 * 90-day event history alone delivers nothing (README, "A schedule deleted outside keygate").
 */
export class KeygateScheduleWatch extends Construct {
  readonly function: NodejsFunction;
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: KeygateScheduleWatchProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const groupName = props.scheduleGroup.ref;
    this.function = keygateFunction(this, 'ScheduleWatch', {
      entry: 'functions/reminders/handlers/schedule-deleted.ts',
      description: 'keygate schedule watch: a notification schedule deleted outside keygate (CloudTrail DeleteSchedule) cancels the notification',
      environment: { TABLE_NAME: props.table.tableName, SCHEDULE_GROUP: groupName, SCHEDULE_SYNC_ROLE_ARN: props.syncRole.roleArn },
      logRetention: props.logRetention,
      timeout: Duration.seconds(30),
    });
    // Reads the key, cancels its notification with the audit entry in one transaction.
    grantTableAccess(this.function, props.table, functionTableAccess.scheduleWatch);
    const schedulesArn = stack.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${groupName}/*` });
    this.function.addToRolePolicy(new PolicyStatement({ actions: ['scheduler:GetSchedule'], resources: [schedulesArn] }));
    const groupSchedules = `arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/<${stack.getLogicalId(props.scheduleGroup)}>/*`;
    Validations.of(this.function.role as Role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${groupSchedules}]`,
      reason: "It checks whether a deleted schedule exists again; schedules are made per key notification, so the grant covers keygate's own group.",
    });

    this.rule = new Rule(this, 'DeleteScheduleCalls', {
      description: "keygate: EventBridge Scheduler DeleteSchedule calls in keygate's schedule group (CloudTrail)",
      eventPattern: {
        source: ['aws.scheduler'],
        detailType: ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['scheduler.amazonaws.com'],
          eventName: ['DeleteSchedule'],
          requestParameters: { groupName: [groupName] },
        },
      },
      targets: [new LambdaFunction(this.function, { retryAttempts: 4, maxEventAge: Duration.hours(6), deadLetterQueue: props.deadLetterQueue })],
    });
  }
}
