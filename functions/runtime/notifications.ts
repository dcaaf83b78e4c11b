import * as z from 'zod';
import { KmsSecretBox } from '../channels/secret-box.js';
import { SesEmail } from '../channels/ses-email.js';
import { EventBridgeScheduleLookup, EventBridgeSchedules } from '../reminders/eventbridge-schedules.js';
import type { Deps } from './deps.js';
import { baseDeps } from './environment.js';
import { readEnvironment } from './read-environment.js';
import { webhookSecretsEnvironment } from './webhook-secrets.js';

/**
 * The reminder functions' dependencies on Lambda, validated once per cold start; nothing
 * defaults. The stack passes names and ARNs only. AWS clients are made once per container, on
 * first use (reminders/eventbridge-schedules.ts, channels/ses-email.ts).
 */
const syncEnvironment = z.object({
  SCHEDULE_GROUP: z.string().min(1),
  SCHEDULER_ROLE_ARN: z.string().startsWith('arn:'),
  NOTIFIER_ARN: z.string().startsWith('arn:'),
  SCHEDULE_DLQ_ARN: z.string().startsWith('arn:'),
});

let syncDeps: Deps | undefined;
let notifier: Deps | undefined;

/** The schedule sync (DynamoDB Streams consumer): EventBridge Scheduler as its schedule port. */
export function scheduleSyncDeps(): Deps {
  if (!syncDeps) {
    const env = readEnvironment(syncEnvironment);
    const base = baseDeps();
    const schedules = new EventBridgeSchedules(
      {
        groupName: env.SCHEDULE_GROUP,
        roleArn: env.SCHEDULER_ROLE_ARN,
        notifierArn: env.NOTIFIER_ARN,
        deadLetterArn: env.SCHEDULE_DLQ_ARN,
      },
      base.clock,
    );
    syncDeps = { ...base, notifications: { schedules } };
  }
  return syncDeps;
}

/**
 * EMAIL_SENDER is the stack's `emailSender` (an SES-verified identity). Absent means the
 * deployment set up no email: email notifications then fail with that reason (never a made-up
 * sender SES would refuse).
 */
const notifierEnvironment = webhookSecretsEnvironment.extend({ EMAIL_SENDER: z.email().optional() });

/** The notifier (what a schedule invokes): SES as its email port, when the stack names a sender. */
export function notifierDeps(): Deps {
  if (!notifier) {
    const env = readEnvironment(notifierEnvironment);
    const base = baseDeps();
    notifier = {
      ...base,
      // Opens webhook signing secrets: the only function whose role may decrypt under that key.
      webhookSecrets: new KmsSecretBox(env.WEBHOOK_SECRETS_KEY_ARN),
      notifications: env.EMAIL_SENDER === undefined ? {} : { email: new SesEmail(env.EMAIL_SENDER) },
    };
  }
  return notifier;
}

/**
 * The schedule-deletion watch (an EventBridge rule on the Scheduler's DeleteSchedule calls, from
 * CloudTrail): keygate's schedule group, and the schedule sync's role, whose own deletions it ignores.
 */
const watchEnvironment = z.object({
  SCHEDULE_GROUP: z.string().min(1),
  SCHEDULE_SYNC_ROLE_ARN: z.string().startsWith('arn:'),
});

let watch: { deps: Deps; schedules: EventBridgeScheduleLookup; groupName: string; syncRoleArn: string } | undefined;

export function scheduleWatchDeps() {
  if (!watch) {
    const env = readEnvironment(watchEnvironment);
    watch = {
      deps: baseDeps(),
      schedules: new EventBridgeScheduleLookup(env.SCHEDULE_GROUP),
      groupName: env.SCHEDULE_GROUP,
      syncRoleArn: env.SCHEDULE_SYNC_ROLE_ARN,
    };
  }
  return watch;
}
