import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CALL_TIMEOUTS, type CallTimeouts, isUnavailable } from './bounded-calls.js';
import { collectBody, keepAliveAgents, requestHandlerOptions } from './aws-http.js';
import { attachLeanReader } from './dynamodb-lean.js';
import { UnavailableError } from './errors.js';

/** The table's timeouts: functions/shared/bounded-calls.ts. */
export const DYNAMODB_TIMEOUTS = CALL_TIMEOUTS;

export function documentClient(config: DynamoDBClientConfig = {}, timeouts: CallTimeouts = CALL_TIMEOUTS): DynamoDBDocumentClient {
  // One connection pool for the SDK's calls and the lean reader's: one connection to DynamoDB, not two.
  const agents = keepAliveAgents();
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ requestHandler: requestHandlerOptions(timeouts, agents), streamCollector: collectBody, ...config }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  const send = client.send.bind(client) as (command: unknown, options?: { abortSignal?: AbortSignal }) => Promise<unknown>;
  // Every call gets an overall deadline (an abort the retries share), and a stall comes out as UnavailableError.
  client.send = (async (command: unknown, options?: { abortSignal?: AbortSignal }) => {
    const deadline = AbortSignal.timeout(timeouts.deadlineMs);
    const abortSignal = options?.abortSignal === undefined ? deadline : AbortSignal.any([options.abortSignal, deadline]);
    try {
      return await send(command, { ...options, abortSignal });
    } catch (error) {
      if (isUnavailable(error) || deadline.aborted) {
        throw new UnavailableError('keygate could not reach its database in time; retry shortly', 1);
      }
      throw error;
    }
  }) as typeof client.send;
  // The key reads on the request path go around the SDK's per-call machinery (dynamodb-lean.ts), bounded alike.
  attachLeanReader(client, { timeouts, agents });
  return client;
}

/** True when a transaction was cancelled because the condition of item `index` failed. */
export function conditionFailedAt(error: unknown, index: number): boolean {
  const reasons = (error as { name?: string; CancellationReasons?: { Code?: string }[] }).CancellationReasons;
  return (error as { name?: string }).name === 'TransactionCanceledException' && reasons?.[index]?.Code === 'ConditionalCheckFailed';
}

/** A transaction cancelled because another one on the same items was in flight (not a failed condition). */
export function transactionConflict(error: unknown): boolean {
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
  if ((error as { name?: string }).name !== 'TransactionCanceledException') return false;
  return (reasons ?? []).some((reason) => reason.Code === 'TransactionConflict');
}

export function isConditionFailed(error: unknown): boolean {
  return (error as { name?: string }).name === 'ConditionalCheckFailedException';
}
