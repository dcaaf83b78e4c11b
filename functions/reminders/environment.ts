import * as z from 'zod';
import { depsFromEnvironment } from '../http/environment.js';
import type { Deps } from '../shared/deps.js';
import { SesEmail } from '../channels/ses-email.js';
import { EventBridgeSchedules } from './eventbridge-schedules.js';

/**
 * The notification functions' configuration on Lambda, validated once per cold start; nothing
 * defaults. The stack passes names and ARNs only. AWS clients are made once per container, on
 * first use (eventbridge-schedules.ts, channels/ses-email.ts).
 */
const syncEnvironment = z.object({
  SCHEDULE_GROUP: z.string().min(1),
  SCHEDULER_ROLE_ARN: z.string().startsWith('arn:'),
  NOTIFIER_ARN: z.string().startsWith('arn:'),
  SCHEDULE_DLQ_ARN: z.string().startsWith('arn:'),
});

function parse<S extends z.ZodType>(schema: S): z.output<S> {
  const env = schema.safeParse(process.env);
  if (!env.success) throw new Error(`keygate is misconfigured: ${env.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  return env.data;
}

let syncDeps: Deps | undefined;
let notifierDeps: Deps | undefined;

export function scheduleSyncDeps(): Deps {
  if (!syncDeps) {
    const env = parse(syncEnvironment);
    const base = depsFromEnvironment();
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

export function notifierDepsFromEnvironment(): Deps {
  if (!notifierDeps) {
    const base = depsFromEnvironment();
    notifierDeps = { ...base, notifications: { email: new SesEmail(base.config.notifications.emailFrom) } };
  }
  return notifierDeps;
}
