import type { NativeAttributeValue } from '@aws-sdk/util-dynamodb';
import { logger } from '../observability/logger.js';
import type { KeyRecord } from '../keys/key-model.js';
import { findKey } from '../keys/key-store.js';
import type { Deps } from '../runtime/deps.js';
import { desiredSchedules, type SchedulePort, sameSchedules } from './schedules.js';

/**
 * Keeps schedules in step with the keys: the key item in DynamoDB is the truth, schedules follow.
 *
 * Why a DynamoDB Streams consumer, and not Scheduler calls in the API request: the key write and
 * a Scheduler call cannot be one transaction. Called from the request, a Scheduler failure
 * (throttling, a 5xx, a timeout, the function dying in between) would either fail a write that
 * already happened or leave a schedule that disagrees with the key, with nothing left to retry
 * it. The stream has every committed key change, in order per key, and keeps a change until
 * this consumer has handled it: a failed Scheduler call fails the record, Lambda retries it
 * (bisecting the batch, then sending what still fails to a dead-letter queue), and the API never
 * waits for or depends on the Scheduler.
 *
 * Each change is handled idempotently and from the current state: if the change touched the
 * key's notifications at all, the key is re-read (strongly consistent) and every schedule slot
 * the old image, the new image or the current key names is put (create, or update in place) or
 * deleted to match the current key. So a retry, a replay or an out-of-date record can only
 * converge, never regress. A change that does not touch notifications (the once-a-minute
 * lastUsedAt write, most edits) makes no Scheduler call. The notifier checks the key again when a
 * schedule fires, so a schedule that is briefly out of date sends nothing wrong.
 */

type Item = Record<string, NativeAttributeValue>;

export interface KeyChange {
  /** For reporting a failed record back to the stream (ReportBatchItemFailures). */
  sequenceNumber: string;
  oldImage?: Item;
  newImage?: Item;
}

function asKey(image: Item | undefined): KeyRecord | undefined {
  return image !== undefined && typeof image.pk === 'string' && image.pk.startsWith('KEY#') ? (image as KeyRecord) : undefined;
}

export async function syncKeyChange(deps: Deps, schedules: SchedulePort, change: KeyChange): Promise<'unchanged' | 'synced'> {
  const now = deps.clock();
  const before = desiredSchedules(asKey(change.oldImage), now);
  const after = desiredSchedules(asKey(change.newImage), now);
  const keyId = asKey(change.newImage)?.id ?? asKey(change.oldImage)?.id;
  if (keyId === undefined || sameSchedules(before, after)) return 'unchanged';

  const current = desiredSchedules(await findKey(deps, keyId), now);
  const names = new Set([...before, ...after, ...current].map((s) => s.name));
  for (const name of [...names].sort()) {
    const wanted = current.find((s) => s.name === name);
    if (wanted) await schedules.put(wanted);
    else await schedules.remove(name);
  }
  return 'synced';
}

/**
 * Handles a batch in order and stops at the first failure: the stream retries from that record
 * (everything after it too, in order), and the records before it are done.
 */
export async function syncKeyChanges(deps: Deps, schedules: SchedulePort, changes: KeyChange[]): Promise<{ failedSequenceNumber?: string }> {
  for (const change of changes) {
    try {
      await syncKeyChange(deps, schedules, change);
    } catch (error) {
      logger.error('schedule sync failed; the stream will retry this change', { sequenceNumber: change.sequenceNumber, error: error as Error });
      return { failedSequenceNumber: change.sequenceNumber };
    }
  }
  return {};
}
