import { logger } from '../../observability/logger.js';
import type { Deps } from '../../runtime/deps.js';
import { scheduleWatchDeps } from '../../runtime/notifications.js';
import { type DeletionOutcome, handleScheduleDeleted, type ScheduleLookup } from '../schedule-deletions.js';

/**
 * The target of the EventBridge rule on EventBridge Scheduler's DeleteSchedule API calls as
 * CloudTrail records them (infra/schedule-watch.ts): `detail.requestParameters` names the schedule
 * and its group (the API's `Name` and `groupName`), `detail.userIdentity` who called. The rule
 * already matches keygate's group; it is checked again here, and a call whose role session was
 * issued to the schedule sync's role is keygate's own deletion.
 */
export interface DeleteScheduleEvent {
  detail?: {
    eventName?: string;
    errorCode?: string;
    requestParameters?: { name?: string; Name?: string; groupName?: string } | null;
    userIdentity?: { arn?: string; sessionContext?: { sessionIssuer?: { arn?: string } } };
  };
}

export interface WatchSettings {
  groupName: string;
  syncRoleArn: string;
}

export async function onScheduleDeleted(
  event: DeleteScheduleEvent,
  deps: Deps,
  schedules: ScheduleLookup,
  settings: WatchSettings,
): Promise<DeletionOutcome | undefined> {
  const detail = event.detail;
  const name = detail?.requestParameters?.name ?? detail?.requestParameters?.Name;
  // A failed call deleted nothing; another group's schedules are not keygate's.
  const ours = detail?.requestParameters?.groupName === settings.groupName;
  if (detail?.eventName !== 'DeleteSchedule' || detail.errorCode !== undefined || name === undefined || !ours) {
    logger.info('schedule deletion event ignored', { eventName: detail?.eventName, errorCode: detail?.errorCode });
    return undefined;
  }
  const byKeygate = detail.userIdentity?.sessionContext?.sessionIssuer?.arn === settings.syncRoleArn;
  return handleScheduleDeleted(deps, schedules, { name, byKeygate });
}

export const handler = (event: DeleteScheduleEvent) => {
  const watch = scheduleWatchDeps();
  return onScheduleDeleted(event, watch.deps, watch.schedules, watch);
};
