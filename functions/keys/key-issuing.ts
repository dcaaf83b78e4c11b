import type { Deps } from '../runtime/deps.js';
import { ValidationError } from '../shared/errors.js';
import type { KeyDetails, KeyRecord } from './key-model.js';
import { MAX_KEY_JWT_LENGTH, signKeyJwt } from './key-jwt.js';
import { keyJwtSigner } from './key-jwt-keys.js';
import { hashSecret, type IssuedSecret, issueSecret, newSecret } from './key-string.js';

export interface IssuedKey {
  /** The full key string (or JWT). Shown to the caller once; keygate keeps only a hash. */
  key: string;
  details: KeyDetails;
}

/**
 * The string a caller gets for a key (at creation and at every reset), and the hash keygate
 * keeps. A JWT-format key is signed now, naming the key as it stands (grants, expiry) and a new
 * random `jti`. Its stored hash is a SHA-256 of the whole compact JWT, not of a secret claim in
 * it: then the exact bytes keygate issued are the only ones that work (no re-encoded or
 * malleated signature, no payload re-signed by someone who got hold of a signing key), the
 * 256-bit `jti` gives the string full entropy (so, as for key strings, a fast hash is enough),
 * and every place that compares or fingerprints a secret (authenticateKey, the access tokens'
 * kg_sfp) works on JWT-format keys unchanged.
 */
export async function issueKeyString(
  deps: Deps,
  key: Pick<KeyRecord, 'id' | 'owner' | 'roles' | 'permissions' | 'expiresAt' | 'format'>,
  now: Date,
): Promise<IssuedSecret> {
  if (key.format !== 'jwt') return issueSecret(deps.config.keyPrefix, key.id);
  if (key.expiresAt === null) {
    throw new ValidationError('a JWT-format key must expire (its exp claim is its expiry): give expiresAt or expiresIn', 'invalid_expiry');
  }
  const { issuer, signer } = await keyJwtSigner(deps, now);
  const jwt = signKeyJwt(signer, {
    iss: issuer,
    sub: key.owner,
    key_id: key.id,
    grants: { roles: key.roles, permissions: key.permissions },
    iat: Math.floor(now.getTime() / 1000),
    // Never before the key: the stored expiry, which can only be shortened, decides anyway.
    exp: Math.ceil(new Date(key.expiresAt).getTime() / 1000),
    jti: newSecret(),
  });
  if (jwt.length > MAX_KEY_JWT_LENGTH) {
    throw new ValidationError(
      `as a JWT this key would be ${jwt.length} characters long, more than the ${MAX_KEY_JWT_LENGTH} keygate issues: use "format": "key", or fewer grants`,
      'key_too_long',
    );
  }
  return { keyString: jwt, secretHash: hashSecret(jwt) };
}
