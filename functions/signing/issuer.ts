import * as z from 'zod';

/**
 * keygate's issuer URL, as the composition root (functions/runtime/) validates it. No AWS SDK
 * and no signing keys here: the authorizer, the metadata routes and every function that checks
 * a JWT-format key against the published keys need only this.
 *
 * ISSUER_URL is the API's own endpoint (the stack passes the HTTP API's apiEndpoint). It is
 * not taken from the request's Host or domainName: a client must not be able to choose the
 * `iss` of the tokens it gets, or the endpoints the metadata points verifiers to.
 */
export const issuerUrlSchema = z
  .url({ protocol: /^https?$/ })
  .refine((text) => !/[?#]/.test(text), 'the issuer URL has no query or fragment (RFC 8414 §2)')
  .refine(
    (text) => text.startsWith('https://') || /^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(`${text}/`),
    'the issuer URL must use https (http only for 127.0.0.1 or localhost)',
  )
  .transform((text) => text.replace(/\/$/, ''));
