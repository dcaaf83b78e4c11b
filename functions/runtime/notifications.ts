import * as z from 'zod';
import { SesEmail } from '../channels/ses-email.js';
import { EventBridgeSchedules } from '../reminders/eventbridge-schedules.js';
import type { Deps } from './deps.js';
import { baseDeps, readEnvironment } from './environment.js';

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

/** The notifier (what a schedule invokes): SES as its email port. */
export function notifierDeps(): Deps {
  if (!notifier) {
    const base = baseDeps();
    notifier = { ...base, notifications: { email: new SesEmail(base.config.notifications.emailFrom) } };
  }
  return notifier;
}
