import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { Deps } from '../../runtime/deps.js';
import { scheduleSyncDeps } from '../../runtime/notifications.js';
import { type KeyChange, syncKeyChanges } from '../schedule-sync.js';

/** The DynamoDB Streams consumer that keeps schedules in step with keys (see schedule-sync.ts). */
export function changesOf(event: DynamoDBStreamEvent): KeyChange[] {
  return event.Records.map((record) => {
    const image = (value: unknown) => (value === undefined ? undefined : unmarshall(value as Record<string, AttributeValue>));
    const oldImage = image(record.dynamodb?.OldImage);
    const newImage = image(record.dynamodb?.NewImage);
    return { sequenceNumber: record.dynamodb?.SequenceNumber ?? '', ...(oldImage ? { oldImage } : {}), ...(newImage ? { newImage } : {}) };
  });
}

export async function syncSchedules(event: DynamoDBStreamEvent, deps: Deps): Promise<DynamoDBBatchResponse> {
  const schedules = deps.notifications?.schedules;
  if (!schedules) throw new Error('keygate is misconfigured: no schedules for the schedule sync');
  const { failedSequenceNumber } = await syncKeyChanges(deps, schedules, changesOf(event));
  return { batchItemFailures: failedSequenceNumber === undefined ? [] : [{ itemIdentifier: failedSequenceNumber }] };
}

export const handler = (event: DynamoDBStreamEvent) => syncSchedules(event, scheduleSyncDeps());
