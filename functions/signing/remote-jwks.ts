import type { JSONWebKeySet } from 'jose';
import * as z from 'zod';
import { logger } from '../observability/logger.js';
import { onFirstUse } from '../shared/on-first-use.js';

/**
 * keygate's published token keys as an authorizer in another stack sees them: fetched from the
 * issuer's JWKS URL and kept in memory for the Cache-Control max-age keygate sends (keygate
 * publishes a new key that long before it signs with it, see functions/signing/token-settings.ts).
 * A token naming a key not in memory triggers one early re-read, at most every REFRESH_COOLDOWN_MS.
 * When a re-read fails, the copy in memory is kept: it can only lack keys, never trust a removed one
 * for longer than the tokens that key signed live.
 */
const DEFAULT_MAX_AGE_MS = 5 * 60_000;
const MAX_AGE_CAP_MS = 60 * 60_000;
const REFRESH_COOLDOWN_MS = 30_000;
const RETRY_AFTER_FAILURE_MS = 10_000;
const FETCH_TIMEOUT_MS = 3_000;

const jwksSchema = onFirstUse(() => z.object({ keys: z.array(z.looseObject({ kty: z.string() })) }));

export type FetchJwks = (url: string) => Promise<{ jwks: unknown; cacheControl: string | null }>;

const fetchOverHttps: FetchJwks = async (url) => {
  const response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return { jwks: await response.json(), cacheControl: response.headers.get('cache-control') };
};

function maxAgeMs(cacheControl: string | null): number {
  const match = /(?:^|,)\s*max-age=(\d+)/i.exec(cacheControl ?? '');
  if (!match?.[1]) return DEFAULT_MAX_AGE_MS;
  return Math.min(Number(match[1]) * 1000, MAX_AGE_CAP_MS);
}

interface Held {
  jwks: JSONWebKeySet;
  freshUntil: number;
}

export class RemoteJwks {
  private held: Held | undefined;
  private loading: Promise<JSONWebKeySet> | undefined;
  private lastRefresh = Number.NEGATIVE_INFINITY;

  constructor(
    readonly url: string,
    private readonly fetchJwks: FetchJwks = fetchOverHttps,
  ) {}

  async jwks(now: Date): Promise<JSONWebKeySet> {
    if (this.held && now.getTime() < this.held.freshUntil) return this.held.jwks;
    return this.load(now);
  }

  async refresh(now: Date): Promise<JSONWebKeySet | undefined> {
    if (now.getTime() - this.lastRefresh < REFRESH_COOLDOWN_MS) return undefined;
    this.lastRefresh = now.getTime();
    return this.load(now);
  }

  /** One fetch at a time; concurrent callers share it. */
  private load(now: Date): Promise<JSONWebKeySet> {
    this.loading ??= this.fetchJwks(this.url)
      .then(({ jwks, cacheControl }) => {
        const parsed = jwksSchema().safeParse(jwks);
        if (!parsed.success) throw new Error(`${this.url} did not answer a JWKS`);
        this.held = { jwks: parsed.data as JSONWebKeySet, freshUntil: now.getTime() + maxAgeMs(cacheControl) };
        return this.held.jwks;
      })
      .catch((error: unknown) => {
        if (!this.held) throw error;
        logger.warn('keygate authorizer: could not re-read the JWKS; keeping the copy in memory', { url: this.url, error: error as Error });
        this.held = { ...this.held, freshUntil: now.getTime() + RETRY_AFTER_FAILURE_MS };
        return this.held.jwks;
      })
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }
}
