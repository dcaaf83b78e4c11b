import * as z from 'zod';
import type { Deps } from '../shared/deps.js';

/**
 * keygate's issuer URL as functions read it from their environment, and whether a function holds
 * the signing keys. No AWS SDK and no signing keys here: the authorizer, the metadata routes and
 * every function that checks a JWT-format key against the published keys need only this.
 *
 * ISSUER_URL is the API's own endpoint (the stack passes the HTTP API's apiEndpoint). It is
 * not taken from the request's Host or domainName: a client must not be able to choose the
 * `iss` of the tokens it gets, or the endpoints the metadata points verifiers to.
 */
export const issuerUrlSchema = z
  .url({ protocol: /^https?$/ })
  .refine((text) => !/[?#]/.test(text), 'the issuer URL has no query or fragment (RFC 8414 §2)')
  .refine((text) => text.startsWith('https://') || /^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(`${text}/`), 'the issuer URL must use https (http only for 127.0.0.1 or localhost)')
  .transform((text) => text.replace(/\/$/, ''));

export const issuerEnvironment = z.object({ ISSUER_URL: issuerUrlSchema });

/** Validated once per cold start like functions/http/environment.ts; nothing defaults. */
export function parseEnvironment<S extends z.ZodType>(schema: S): z.output<S> {
  const env = schema.safeParse(process.env);
  if (!env.success) throw new Error(`keygate is misconfigured: ${env.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  return env.data;
}

let cachedIssuer: string | undefined;

/** For the metadata routes, which need no signing keys. */
export function tokenIssuer(deps: Deps): string {
  if (deps.tokens) return deps.tokens.issuer;
  cachedIssuer ??= parseEnvironment(issuerEnvironment).ISSUER_URL;
  return cachedIssuer;
}

/**
 * Whether this process holds the signing keys: the local run and tests (deps.tokens), or a
 * function whose route-table entry gives it the signing-key secret (SIGNING_KEYS_SECRET_ARN).
 */
export function holdsSigningKeys(deps: Deps): boolean {
  return deps.tokens !== undefined || process.env.SIGNING_KEYS_SECRET_ARN !== undefined;
}
