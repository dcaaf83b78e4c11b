import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import * as z from 'zod';
import { logger } from '../observability/logger.js';
import { AuthenticationError, UnavailableError } from '../shared/errors.js';

/**
 * GitHub signs every secret scanning report: `Github-Public-Key-Signature` is an ECDSA P-256
 * SHA-256 signature (ASN.1 DER, base64) over the raw request body, made with the key that
 * `Github-Public-Key-Identifier` names in GitHub's published list
 * (`{ public_keys: [{ key_identifier, key: <PEM>, is_current }] }`, the deployment's
 * `leaks.githubKeysUrl`). The list is fetched on first need and kept for `githubKeysMaxAge`; a
 * report naming an identifier not in memory refetches it, at most every REFRESH_COOLDOWN_MS, so
 * an unsigned caller cannot make keygate hammer GitHub. Retired keys stay trusted as long as
 * GitHub still lists them; a key GitHub drops is dropped at the next fetch.
 *
 * Every way a signature can fail (missing header, unknown identifier, malformed or wrong
 * signature) is the same AuthenticationError, thrown before anything reads the table: an unsigned
 * caller learns nothing about the strings it sent.
 */
const REFRESH_COOLDOWN_MS = 30_000;
const FETCH_TIMEOUT_MS = 3_000;
/** GitHub's list is a few keys (about 200 bytes each in PEM): anything much larger is not it. */
const MAX_KEY_LIST_BYTES = 64 * 1024;

const keyListSchema = z.object({
  public_keys: z
    .array(z.looseObject({ key_identifier: z.string().min(1).max(256), key: z.string().min(1).max(4096), is_current: z.boolean().optional() }))
    .max(100),
});

export type FetchKeyList = (url: string) => Promise<unknown>;

const fetchKeyList: FetchKeyList = async (url) => {
  const response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  if (bytes.length > MAX_KEY_LIST_BYTES) throw new Error(`GET ${url} answered more than ${MAX_KEY_LIST_BYTES} bytes`);
  return JSON.parse(bytes.toString('utf8'));
};

/** The P-256 public keys of a list, by identifier; entries that are not P-256 public keys are skipped. */
function parseKeyList(body: unknown, url: string): Map<string, KeyObject> {
  const parsed = keyListSchema.safeParse(body);
  if (!parsed.success) throw new Error(`${url} did not answer a list of public keys`);
  const keys = new Map<string, KeyObject>();
  for (const entry of parsed.data.public_keys) {
    try {
      const key = createPublicKey(entry.key);
      if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') keys.set(entry.key_identifier, key);
    } catch {
      logger.warn('leak reports: a published key is not a PEM public key; skipped', { url, keyIdentifier: entry.key_identifier });
    }
  }
  return keys;
}

export class GitHubSigningKeys {
  private held: { keys: Map<string, KeyObject>; freshUntil: number } | undefined;
  private loading: Promise<Map<string, KeyObject>> | undefined;
  private lastFetch = Number.NEGATIVE_INFINITY;

  constructor(
    readonly url: string,
    private readonly maxAgeMs: number,
    private readonly fetchList: FetchKeyList = fetchKeyList,
  ) {}

  /** The key of that identifier, or undefined. Throws UnavailableError only when no list was ever fetched. */
  async find(identifier: string, now: Date): Promise<KeyObject | undefined> {
    let keys = this.held && now.getTime() < this.held.freshUntil ? this.held.keys : await this.load(now);
    if (!keys.has(identifier) && now.getTime() - this.lastFetch >= REFRESH_COOLDOWN_MS) keys = await this.load(now);
    return keys.get(identifier);
  }

  /** One fetch at a time. A failed refetch keeps the list in memory (it can lack a new key, never hold a bogus one). */
  private load(now: Date): Promise<Map<string, KeyObject>> {
    this.lastFetch = now.getTime();
    this.loading ??= this.fetchList(this.url)
      .then((body) => {
        this.held = { keys: parseKeyList(body, this.url), freshUntil: now.getTime() + this.maxAgeMs };
        return this.held.keys;
      })
      .catch((error: unknown) => {
        logger.warn('leak reports: could not fetch GitHub’s secret scanning keys', { url: this.url, error: error as Error });
        if (!this.held) throw new UnavailableError('keygate could not fetch the keys that verify leak reports; retry later', 30);
        return this.held.keys;
      })
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }
}

/** One key list per URL and process: a Lambda container keeps it across invocations. */
const sources = new Map<string, GitHubSigningKeys>();

export function githubSigningKeys(url: string, maxAgeMs: number): GitHubSigningKeys {
  let source = sources.get(url);
  if (!source) {
    source = new GitHubSigningKeys(url, maxAgeMs);
    sources.set(url, source);
  }
  return source;
}

const IDENTIFIER = /^[0-9A-Za-z_-]{1,128}$/;
/** A DER ECDSA P-256 signature is 70–72 bytes: about 96 characters of base64. */
const SIGNATURE = /^[A-Za-z0-9+/]{40,200}={0,2}$/;

export function signatureRefused(): AuthenticationError {
  return new AuthenticationError('invalid', 'the report is not signed by GitHub: the signature headers are missing or the signature does not verify');
}

/**
 * Verifies a report's signature over its raw body; throws signatureRefused() for any failure.
 * `headers` are lower-cased, as API Gateway (and the local gateway) hand them over.
 */
export async function verifyGitHubSignature(
  keys: Pick<GitHubSigningKeys, 'find'>,
  body: Buffer,
  headers: Readonly<Record<string, string | undefined>>,
  now: Date,
): Promise<void> {
  const identifier = headers['github-public-key-identifier'];
  const signature = headers['github-public-key-signature'];
  if (identifier === undefined || signature === undefined || !IDENTIFIER.test(identifier) || !SIGNATURE.test(signature)) throw signatureRefused();
  const key = await keys.find(identifier, now);
  if (key === undefined) throw signatureRefused();
  let valid = false;
  try {
    valid = verify('sha256', body, { key, dsaEncoding: 'der' }, Buffer.from(signature, 'base64'));
  } catch {
    valid = false;
  }
  if (!valid) throw signatureRefused();
}
