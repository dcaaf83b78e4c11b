/**
 * Bounded waits on AWS calls on the request path (the table, the signing-key secret). A stalled
 * DynamoDB (or network) must not hold a request for as long as it stalls: each attempt gives up
 * after `connectionTimeoutMs` to connect and `requestTimeoutMs` without a byte of answer, and
 * every call, retries included, after `deadlineMs` in all. Well under the functions' 10 s
 * timeout, so the handler still answers (503 `unavailable` with Retry-After; the authorizer: a
 * denial) instead of API Gateway's bare 5xx. A healthy GetItem takes milliseconds, so these
 * bite only on a stall. No SDK import here: a function that loads no DynamoDB client (the
 * signing-key rotation) uses it too.
 */
export const CALL_TIMEOUTS = { connectionTimeoutMs: 1_000, requestTimeoutMs: 1_500, deadlineMs: 3_000 } as const;

export type CallTimeouts = { [K in keyof typeof CALL_TIMEOUTS]: number };

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

