import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { UnavailableError } from './errors.js';

/**
 * Bounded waits on the table. A stalled DynamoDB (or network) must not hold a request for as
 * long as it stalls: each attempt gives up after `connectionTimeoutMs` to connect and
 * `requestTimeoutMs` without a byte of answer, and every call, retries included, after
 * `deadlineMs` in all. Well under the functions' 10 s timeout, so the handler still answers
 * (503 `unavailable` with Retry-After; the authorizer: a denial) instead of API Gateway's bare
 * 5xx. A healthy GetItem takes milliseconds, so these bite only on a stall.
 */
export const DYNAMODB_TIMEOUTS = { connectionTimeoutMs: 1_000, requestTimeoutMs: 1_500, deadlineMs: 3_000 } as const;

export type DynamoDbTimeouts = { [K in keyof typeof DYNAMODB_TIMEOUTS]: number };

/** Errors meaning "the table did not answer in time, or could not take the request now". */
const UNAVAILABLE_NAMES = new Set([
  'TimeoutError',
  'AbortError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutException',
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
]);
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

export function isUnavailable(error: unknown): boolean {
  const { name, code } = (error ?? {}) as { name?: string; code?: string };
  return (name !== undefined && UNAVAILABLE_NAMES.has(name)) || (code !== undefined && UNAVAILABLE_CODES.has(code));
}

export function documentClient(config: DynamoDBClientConfig = {}, timeouts: DynamoDbTimeouts = DYNAMODB_TIMEOUTS): DynamoDBDocumentClient {
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      requestHandler: { connectionTimeout: timeouts.connectionTimeoutMs, requestTimeout: timeouts.requestTimeoutMs },
      ...config,
    }),
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
  return client;
}

/** True when a transaction was cancelled because the condition of item `index` failed. */
export function conditionFailedAt(error: unknown, index: number): boolean {
  const reasons = (error as { name?: string; CancellationReasons?: { Code?: string }[] }).CancellationReasons;
  return (error as { name?: string }).name === 'TransactionCanceledException' && reasons?.[index]?.Code === 'ConditionalCheckFailed';
}

export function isConditionFailed(error: unknown): boolean {
  return (error as { name?: string }).name === 'ConditionalCheckFailedException';
}
