import { describe, expect, it, vi } from 'vitest';
import { logger } from '../../functions/observability/logger.js';
import { type FetchJwks, RemoteJwks } from '../../functions/signing/remote-jwks.js';

const URL = 'https://keygate.example.com/.well-known/jwks.json';
const jwks = (kid: string) => ({ keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid, alg: 'ES256' }] });
const at = (seconds: number) => new Date(Date.UTC(2026, 10, 23, 12, 0, seconds));

function source(answers: (() => ReturnType<FetchJwks>)[]) {
  const fetchJwks = vi.fn<FetchJwks>(() => (answers.shift() ?? (() => Promise.reject(new Error('no more answers'))))());
  return { fetchJwks, jwks: new RemoteJwks(URL, fetchJwks) };
}

describe('RemoteJwks', () => {
  it('keeps the JWKS for the max-age keygate sends, then reads it again', async () => {
    const { fetchJwks, jwks: remote } = source([
      () => Promise.resolve({ jwks: jwks('a'), cacheControl: 'public, max-age=600' }),
      () => Promise.resolve({ jwks: jwks('b'), cacheControl: 'public, max-age=600' }),
    ]);
    expect((await remote.jwks(at(0))).keys[0]?.kid).toBe('a');
    expect((await remote.jwks(at(599))).keys[0]?.kid).toBe('a');
    expect(fetchJwks).toHaveBeenCalledTimes(1);
    expect((await remote.jwks(at(600))).keys[0]?.kid).toBe('b');
    expect(fetchJwks).toHaveBeenCalledWith(URL);
  });

  it('shares one read among concurrent callers', async () => {
    const { fetchJwks, jwks: remote } = source([() => Promise.resolve({ jwks: jwks('a'), cacheControl: 'max-age=60' })]);
    await Promise.all([remote.jwks(at(0)), remote.jwks(at(0)), remote.jwks(at(0))]);
    expect(fetchJwks).toHaveBeenCalledTimes(1);
  });

  it('re-reads early for an unknown key, at most every 30 seconds', async () => {
    const { fetchJwks, jwks: remote } = source([
      () => Promise.resolve({ jwks: jwks('a'), cacheControl: 'max-age=3600' }),
      () => Promise.resolve({ jwks: jwks('b'), cacheControl: 'max-age=3600' }),
      () => Promise.resolve({ jwks: jwks('c'), cacheControl: 'max-age=3600' }),
    ]);
    await remote.jwks(at(0));
    expect((await remote.refresh(at(1)))?.keys[0]?.kid).toBe('b');
    expect(await remote.refresh(at(20))).toBeUndefined();
    expect((await remote.refresh(at(31)))?.keys[0]?.kid).toBe('c');
    expect(fetchJwks).toHaveBeenCalledTimes(3);
  });

  it('keeps the copy it has when a re-read fails, and fails when it has none', async () => {
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => {});
    const { jwks: remote } = source([
      () => Promise.reject(new Error('connection refused')),
      () => Promise.resolve({ jwks: jwks('a'), cacheControl: 'max-age=60' }),
      () => Promise.reject(new Error('503')),
    ]);
    await expect(remote.jwks(at(0))).rejects.toThrow('connection refused');
    expect((await remote.jwks(at(1))).keys[0]?.kid).toBe('a');
    expect((await remote.jwks(at(120))).keys[0]?.kid).toBe('a');
    expect(warn).toHaveBeenCalledOnce();
    warn.mockRestore();
  });

  it('refuses an answer that is not a JWKS', async () => {
    const { jwks: remote } = source([() => Promise.resolve({ jwks: { hello: 'world' }, cacheControl: null })]);
    await expect(remote.jwks(at(0))).rejects.toThrow(/did not answer a JWKS/);
  });
});
