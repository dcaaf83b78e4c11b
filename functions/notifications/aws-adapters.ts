import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  type SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { SendEmailCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import type { Clock } from '../shared/clock.js';
import { type DesiredSchedule, toScheduleTime } from './notification-model.js';
import type { EmailMessage, EmailSender, SchedulePort } from './notification-deps.js';

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

/** One-shot EventBridge Scheduler schedules, one per key notification, in keygate's group. */
export class EventBridgeSchedules implements SchedulePort {
  constructor(
    private readonly client: SchedulerClient,
    private readonly settings: SchedulerSettings,
    private readonly clock: Clock,
  ) {}

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
    const request = this.request(schedule);
    try {
      await this.client.send(new CreateScheduleCommand(request));
    } catch (error) {
      if (!(error instanceof ConflictException)) throw error;
      // Same name: this key's slot already has a schedule (an earlier attempt, or an older notification).
      await this.client.send(new UpdateScheduleCommand(request));
    }
  }

  async remove(name: string): Promise<void> {
    try {
      await this.client.send(new DeleteScheduleCommand({ Name: name, GroupName: this.settings.groupName }));
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
  }
}

/** Email through Amazon SES v2, from the deployment's verified sender identity. Plain text only. */
export class SesEmail implements EmailSender {
  constructor(
    private readonly client: SESv2Client,
    private readonly from: string,
  ) {}

  async send(message: EmailMessage): Promise<void> {
    await this.client.send(
      new SendEmailCommand({
        FromEmailAddress: this.from,
        Destination: { ToAddresses: message.to },
        Content: {
          Simple: {
            Subject: { Data: message.subject, Charset: 'UTF-8' },
            Body: { Text: { Data: message.text, Charset: 'UTF-8' } },
          },
        },
      }),
    );
  }
}
