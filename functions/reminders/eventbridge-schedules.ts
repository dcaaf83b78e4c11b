import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { collectBody } from '../shared/aws-http.js';
import type { Clock } from '../shared/clock.js';
import { toScheduleTime } from '../keys/key-notifications.js';
import type { DesiredSchedule, SchedulePort } from './schedules.js';

export interface SchedulerSettings {
  groupName: string;
  /** The role the Scheduler assumes: it may invoke the notifier and nothing else (and send to the DLQ). */
  roleArn: string;
  notifierArn: string;
  deadLetterArn: string;
}

/** Retries of the Scheduler's own delivery to the notifier (throttling, Lambda unavailable), then the DLQ. */
export const SCHEDULE_RETRY_POLICY = { MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 6 * 3600 };

/**
 * A one-time schedule must lie in the future: one whose time passed before it could be made (the
 * sync was retried for a while) is made to fire this long from now instead of being refused.
 */
const PAST_DUE_DELAY_MS = 60_000;

/*
 * The client is made on first use; the SDK's module is imported statically. A dynamic import()
 * would save nothing in a Lambda bundle, one file parsed whole, and it costs: esbuild then wraps
 * the imported module and all it imports, the SDK's shared core included, in lazy initialisers
 * that escape tree shaking (infra/bundling.ts). A client, once made, serves every later
 * invocation.
 */

/** One-shot EventBridge Scheduler schedules, one per key notification, in keygate's group. */
export class EventBridgeSchedules implements SchedulePort {
  constructor(
    private readonly settings: SchedulerSettings,
    private readonly clock: Clock,
    /** Absent: one is made on first use. */
    private client?: Pick<SchedulerClient, 'send'>,
  ) {}

  private scheduler() {
    this.client ??= new SchedulerClient({ streamCollector: collectBody });
    return this.client;
  }

  request(schedule: DesiredSchedule): CreateScheduleCommandInput {
    const now = this.clock().getTime();
    const at = Date.parse(schedule.at) > now ? schedule.at : toScheduleTime(new Date(now + PAST_DUE_DELAY_MS));
    return {
      Name: schedule.name,
      GroupName: this.settings.groupName,
      Description: `keygate expiry notification ${schedule.input.slot} of key ${schedule.input.keyId}`,
      // at() takes local time in ScheduleExpressionTimezone; keygate keeps every time in UTC.
      ScheduleExpression: `at(${at.slice(0, 19)})`,
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      State: 'ENABLED',
      Target: {
        Arn: this.settings.notifierArn,
        RoleArn: this.settings.roleArn,
        Input: JSON.stringify(schedule.input),
        RetryPolicy: SCHEDULE_RETRY_POLICY,
        DeadLetterConfig: { Arn: this.settings.deadLetterArn },
      },
    };
  }

  async put(schedule: DesiredSchedule): Promise<void> {
    const client = this.scheduler();
    const request = this.request(schedule);
    try {
      await client.send(new CreateScheduleCommand(request));
    } catch (error) {
      if (!(error instanceof ConflictException)) throw error;
      // Same name: this key's slot already has a schedule (an earlier attempt, or an older notification).
      await client.send(new UpdateScheduleCommand(request));
    }
  }

  async remove(name: string): Promise<void> {
    const client = this.scheduler();
    try {
      await client.send(new DeleteScheduleCommand({ Name: name, GroupName: this.settings.groupName }));
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
  }
}

/** Whether a schedule of keygate's group exists now (GetSchedule): what the schedule-deletion watch checks. */
export class EventBridgeScheduleLookup {
  constructor(
    private readonly groupName: string,
    /** Absent: one is made on first use. */
    private client?: Pick<SchedulerClient, 'send'>,
  ) {}

  async exists(name: string): Promise<boolean> {
    this.client ??= new SchedulerClient({ streamCollector: collectBody });
    try {
      await this.client.send(new GetScheduleCommand({ Name: name, GroupName: this.groupName }));
      return true;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return false;
      throw error;
    }
  }
}
