import { changeCommitted, changeEntry } from '../audit/audit-service.js';
import { auditEntryPut } from '../audit/audit-store.js';
import { SLOT_PATTERN, slotPath, type Slot } from '../keys/key-notifications.js';
import { cancelNotification, findKey } from '../keys/key-store.js';
import { logger } from '../observability/logger.js';
import type { Deps } from '../runtime/deps.js';
import { desiredSchedules } from './schedules.js';

/**
 * A notification's schedule deleted outside keygate (someone deletes the one-shot schedule in
 * the AWS console) cancels the notification, as Redwood's seed says: it is marked canceled on the
 * key (its details show `canceled`, the record is kept) and the schedule sync does not make it
 * again. On AWS an EventBridge rule on the Scheduler's DeleteSchedule API calls (CloudTrail) in
 * keygate's group invokes this; locally the stand-in's own deletion does (dev/local-notifications.ts).
 *
 * keygate deletes schedules too (the schedule sync, when a notification changes or its key goes),
 * and the Scheduler deletes each one after it ran. Those deletions must cancel nothing, so a
 * deletion cancels only when all of these hold, each checked now, not taken from the event:
 *
 *  1. it was not made by keygate's schedule sync (the event's caller is not its role: AWS only);
 *  2. the schedule is still absent (a sync that deleted and re-made it has the final word);
 *  3. the key, re-read consistently, still wants exactly that schedule: active, and the slot
 *     holds a notification that has neither fired nor been canceled (a sync deletes a schedule
 *     only once the key no longer wants it, so this alone covers its deletions);
 *  4. the notification's time is still ahead (a schedule deleted at or after its time is the
 *     Scheduler's own deletion after completion, and the notifier may not have claimed it yet);
 *  5. the cancellation is a conditional write on the notification's `rev`, unfired, uncanceled.
 *
 * The caller check (1) is the first guard and needs the event; the state checks (2–5) stand on
 * their own, so a deletion keygate made can never cancel a notification the key still wants
 * while its schedule exists, whatever order events arrive in.
 */
export const SCHEDULE_WATCHER = 'keygate-schedule-watch';
const CANCELED_DETAIL = 'canceled: its schedule was deleted outside keygate';

export interface ScheduleLookup {
  /** Whether a schedule of that name exists now. */
  exists(name: string): Promise<boolean>;
}

export type DeletionOutcome =
  | { result: 'canceled'; keyId: string; slot: Slot }
  | { result: 'ignored'; reason: 'not_a_keygate_schedule' | 'deleted_by_keygate' | 'schedule_exists' | 'not_wanted' | 'due' | 'changed_meanwhile' };

const SCHEDULE_NAME = new RegExp(`^key-([0-9A-Za-z]{22})-(${SLOT_PATTERN})$`);

export interface ScheduleDeletion {
  name: string;
  /** The event says keygate's schedule sync made the call (AWS only). */
  byKeygate?: boolean;
}

export async function handleScheduleDeleted(deps: Deps, schedules: ScheduleLookup, deletion: ScheduleDeletion): Promise<DeletionOutcome> {
  const outcome = await judge(deps, schedules, deletion);
  logger.info('schedule deleted', { schedule: deletion.name, ...outcome });
  return outcome;
}

async function judge(deps: Deps, schedules: ScheduleLookup, deletion: ScheduleDeletion): Promise<DeletionOutcome> {
  const match = SCHEDULE_NAME.exec(deletion.name);
  if (!match) return { result: 'ignored', reason: 'not_a_keygate_schedule' };
  if (deletion.byKeygate) return { result: 'ignored', reason: 'deleted_by_keygate' };
  const keyId = match[1] as string;
  const slot = match[2] as Slot;
  if (await schedules.exists(deletion.name)) return { result: 'ignored', reason: 'schedule_exists' };
  const key = await findKey(deps, keyId);
  const now = deps.clock();
  const wanted = desiredSchedules(key, now).find((schedule) => schedule.name === deletion.name);
  if (!key || !wanted) return { result: 'ignored', reason: 'not_wanted' };
  if (Date.parse(wanted.at) <= now.getTime()) return { result: 'ignored', reason: 'due' };

  const audit = changeEntry(deps, { actor: { owner: SCHEDULE_WATCHER } }, 'notification.canceled', {
    keyId,
    details: { slot, at: wanted.at, schedule: deletion.name, detail: CANCELED_DETAIL },
  });
  if (!(await cancelNotification(deps, keyId, slotPath(slot), wanted.input.rev, now, CANCELED_DETAIL, auditEntryPut(deps, audit)))) {
    return { result: 'ignored', reason: 'changed_meanwhile' };
  }
  changeCommitted(audit);
  return { result: 'canceled', keyId, slot };
}
