import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  AuthenticationError,
  ConflictError,
  ForbiddenError,
  KeygateError,
  LimitRefusalError,
  type LimitState,
  NotFoundError,
  PayloadTooLargeError,
  UnavailableError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../shared/errors.js';
import { logger } from '../observability/logger.js';

/** Every response may carry a secret or describe one: nothing is cached anywhere. */
const BASE_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' };

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { ...BASE_HEADERS, ...headers }, body: JSON.stringify(body) };
}

export function noContent(): APIGatewayProxyStructuredResultV2 {
  return { statusCode: 204, headers: { 'cache-control': 'no-store' } };
}

/** The one place where errors become HTTP, by class. */
const STATUS_BY_CLASS: [new (...args: never[]) => KeygateError, number][] = [
  [ValidationError, 400],
  // Before AuthenticationError, its parent: a key that works but is over a limit is a 429, not a 401.
  [LimitRefusalError, 429],
  [AuthenticationError, 401],
  [ForbiddenError, 403],
  [NotFoundError, 404],
  [ConflictError, 409],
  [PayloadTooLargeError, 413],
  [UnsupportedMediaTypeError, 415],
  [UnavailableError, 503],
];

export function errorResponse(error: unknown, requestId: string): APIGatewayProxyStructuredResultV2 {
  if (error instanceof KeygateError) {
    const status = STATUS_BY_CLASS.find(([cls]) => error instanceof cls)?.[1] ?? 400;
    const headers: Record<string, string> = {};
    if (error instanceof LimitRefusalError) {
      Object.assign(headers, limitHeaders(error.state));
    } else if (error instanceof AuthenticationError) {
      headers['www-authenticate'] =
        error.reason === 'missing' ? 'Bearer realm="keygate"' : 'Bearer realm="keygate", error="invalid_token"';
    }
    if (error instanceof UnavailableError) {
      headers['retry-after'] = String(error.retryAfterSeconds);
      logger.warn('unavailable: asked to retry', { requestId, error: error.message });
    }
    return json(status, { error: { code: error.code, message: error.message, requestId } }, headers);
  }
  logUnhandledError(error, requestId);
  return json(500, { error: { code: 'internal_error', message: INTERNAL_ERROR_MESSAGE, requestId } });
}

/**
 * A 429's headers: Retry-After (RFC 9110) and the IETF httpapi draft's RateLimit-Limit,
 * RateLimit-Remaining, RateLimit-Reset (seconds) and RateLimit-Policy. An exhausted quota that
 * no refill restores has no Retry-After and no RateLimit-Reset: retrying will not help.
 */
export function limitHeaders(state: LimitState): Record<string, string> {
  const headers: Record<string, string> = {
    'ratelimit-limit': String(state.limit),
    'ratelimit-remaining': String(state.remaining),
    'ratelimit-policy': state.policy,
  };
  if (state.resetSeconds !== undefined) {
    headers['ratelimit-reset'] = String(state.resetSeconds);
    headers['retry-after'] = String(state.resetSeconds);
  }
  return headers;
}

/** What a 500 says; the detail goes to the log and the caller gets the request id to quote. */
export const INTERNAL_ERROR_MESSAGE = 'keygate failed to handle this request';

export function logUnhandledError(error: unknown, requestId: string): void {
  logger.error('unhandled error', { requestId, error: error as Error });
}
