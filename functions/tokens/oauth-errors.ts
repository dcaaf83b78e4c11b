import { KeygateError } from '../shared/errors.js';

/**
 * Errors of the OAuth endpoints, in the vocabulary of RFC 6749 §5.2 (token endpoint), RFC 6750
 * §3.1 (bearer-authenticated callers of introspection) and RFC 7662. The OAuth route wrapper
 * (functions/http/oauth-handler.ts) turns them into HTTP; the message becomes
 * `error_description`, so it never holds a secret.
 */
export const oauthErrorStatus = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  invalid_token: 401,
  insufficient_scope: 403,
} as const;

export type OAuthErrorCode = keyof typeof oauthErrorStatus;

export class OAuthError extends KeygateError {
  constructor(
    readonly code: OAuthErrorCode,
    message: string,
  ) {
    super(message);
  }
}
