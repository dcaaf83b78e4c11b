/**
 * Typed domain errors. Each carries a stable code; `functions/http/respond.ts` maps them to
 * HTTP statuses in one place, by class. Messages are written for the person reading the
 * response, and never contain a secret.
 */
export abstract class KeygateError extends Error {
  abstract readonly code: string;
}

export class ValidationError extends KeygateError {
  readonly code: string;
  constructor(message: string, code = 'invalid_request') {
    super(message);
    this.code = code;
  }
}

export const authenticationFailures = [
  'missing',
  'malformed',
  'invalid',
  'expired',
  'expired_inactive',
  'revoked',
  'suspended',
  'ip_not_allowed',
  'rate_limited',
  'quota_exhausted',
] as const;
export type AuthenticationFailure = (typeof authenticationFailures)[number];

/** A well-formed key string names this key id; `known`: the table holds a key with that id. */
export interface CredentialSubject {
  keyId: string;
  known: boolean;
}

/**
 * Refusals with their own error code: told only to a caller holding the key's right secret (the
 * judgement checks the secret first), so they reveal nothing to a guesser.
 */
const OWN_CODES: Partial<Record<AuthenticationFailure, string>> = {
  suspended: 'key_suspended',
  ip_not_allowed: 'ip_not_allowed',
  rate_limited: 'rate_limited',
  quota_exhausted: 'quota_exhausted',
};

/**
 * The caller presented no credential or a credential that does not work; `reason` says which.
 * `subject` is set once a key string parsed (for the audit log); never shown to the caller.
 * `address`: the client address an IP allowlist refused (for the audit log).
 */
export class AuthenticationError extends KeygateError {
  readonly code: string;
  constructor(
    readonly reason: AuthenticationFailure,
    message: string,
    readonly subject?: CredentialSubject,
    readonly address?: string | null,
  ) {
    super(message);
    this.code = OWN_CODES[reason] ?? 'unauthenticated';
  }
}

/**
 * What a 429 says about the limit that refused (the IETF draft's RateLimit-* headers and Retry-After).
 * `retryAfterSeconds` undefined: no refill will come (an exhausted quota without one).
 */
export interface LimitState {
  /** The limit's size: requests per window, or the quota's allowance for its period. */
  limit: number;
  remaining: number;
  /** Seconds until the window (or quota period) ends; undefined: never. */
  resetSeconds: number | undefined;
  /** RateLimit-Policy: `5;w=10` (window seconds), or `3;comment="quota"`. */
  policy: string;
}

/**
 * A key that works but is over one of its rate limits, or has used up its quota: reason
 * `rate_limited` or `quota_exhausted`, thrown from authenticateLookup after the key was judged
 * valid (functions/usage/). 429 at keygate's routes; a denial at the authorizer; a code at verify.
 */
export class LimitRefusalError extends AuthenticationError {
  constructor(
    reason: 'rate_limited' | 'quota_exhausted',
    message: string,
    subject: CredentialSubject,
    readonly state: LimitState,
  ) {
    super(reason, message, subject);
  }

  get retryAfterSeconds(): number | undefined {
    return this.state.resetSeconds;
  }
}

/** The caller is known but may not do this. */
export class ForbiddenError extends KeygateError {
  readonly code = 'forbidden';
}

export class NotFoundError extends KeygateError {
  readonly code = 'not_found';
}

export class ConflictError extends KeygateError {
  readonly code: string;
  constructor(message: string, code = 'conflict') {
    super(message);
    this.code = code;
  }
}

export class PayloadTooLargeError extends KeygateError {
  readonly code = 'payload_too_large';
}

export class UnsupportedMediaTypeError extends KeygateError {
  readonly code = 'unsupported_media_type';
}

/**
 * keygate cannot serve this now, but will soon without anyone changing the request: 503 with
 * `Retry-After` (OAuth endpoints: `temporarily_unavailable`). A dependency (the table, the
 * signing-key secret) did not answer in time or at all, or no token signing key exists yet right
 * after the first deploy. Never a 500: nothing is wrong with keygate or the request.
 */
export class UnavailableError extends KeygateError {
  readonly code = 'unavailable';
  constructor(
    message: string,
    /** What `Retry-After` says. */
    readonly retryAfterSeconds = 1,
  ) {
    super(message);
  }
}
