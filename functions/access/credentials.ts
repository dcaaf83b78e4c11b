import { type CredentialHeader, credentialHeaders } from '../contract/authorizer-identity.js';
import { AuthenticationError } from '../shared/errors.js';

export { type CredentialHeader, credentialHeaders };

export interface Credential {
  header: CredentialHeader;
  value: string;
}

export type Headers = Readonly<Record<string, string | undefined>>;

/** Header names are case-insensitive; HTTP APIs lower-case them, REST APIs do not. */
function headerValue(headers: Headers, name: string): string | undefined {
  if (headers[name] !== undefined) return headers[name];
  const found = Object.keys(headers).find((key) => key.toLowerCase() === name);
  return found === undefined ? undefined : headers[found];
}

function describe(accepted: readonly CredentialHeader[]): string {
  return accepted.map((h) => (h === 'authorization' ? '"Authorization: Bearer <key>"' : '"x-api-key: <key>"')).join(' or ');
}

/**
 * Reads the one credential of a request from the accepted headers. Two credentials (one in
 * each header) are refused rather than picking one: the caller's intent is unclear, and a
 * cached decision must depend only on the header that is the cache key.
 */
export function readCredential(headers: Headers, accepted: readonly CredentialHeader[]): Credential {
  const present = accepted
    .map((header) => ({ header, raw: headerValue(headers, header) }))
    .filter((c): c is { header: CredentialHeader; raw: string } => c.raw !== undefined && c.raw.trim() !== '');
  if (present.length === 0) throw new AuthenticationError('missing', `this route needs a keygate credential: send it as ${describe(accepted)}`);
  if (present.length > 1) throw new AuthenticationError('malformed', 'send one credential: in Authorization or in x-api-key, not both');
  const [{ header, raw }] = present as [{ header: CredentialHeader; raw: string }];
  if (header === 'authorization') {
    const match = /^Bearer +(\S+)\s*$/i.exec(raw);
    if (!match?.[1]) throw new AuthenticationError('malformed', 'the Authorization header must be "Bearer <key or access token>"');
    return { header, value: match[1] };
  }
  const value = raw.trim();
  if (/\s/.test(value)) throw new AuthenticationError('malformed', 'the x-api-key header must hold one keygate key');
  return { header, value };
}
