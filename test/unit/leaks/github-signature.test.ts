import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GitHubSigningKeys, verifyGitHubSignature } from '../../../functions/leaks/github-signature.js';
import { AuthenticationError, UnavailableError } from '../../../functions/shared/errors.js';

const pair = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const pem = (key: ReturnType<typeof pair>['publicKey']) => key.export({ type: 'spki', format: 'pem' }).toString();
const list = (...keys: [string, string][]) => ({ public_keys: keys.map(([key_identifier, key]) => ({ key_identifier, key, is_current: true })) });
const T0 = new Date('2026-12-01T00:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

describe('GitHubSigningKeys', () => {
  it('refetches for an unknown identifier at most every 30 seconds, and keeps fresh keys for their max age', async () => {
    const first = pair();
    const second = pair();
    let published = list(['k1', pem(first.publicKey)]);
    let fetches = 0;
    const keys = new GitHubSigningKeys('https://keys.test', 3_600_000, async () => {
      fetches++;
      return published;
    });
    expect(await keys.find('k1', T0)).toBeDefined();
    published = list(['k1', pem(first.publicKey)], ['k2', pem(second.publicKey)]);
    expect(await keys.find('k2', at(10_000))).toBeUndefined(); // within the cooldown: no fetch
    expect(fetches).toBe(1);
    expect(await keys.find('k2', at(31_000))).toBeDefined();
    expect(fetches).toBe(2);
    expect(await keys.find('k1', at(3_000_000))).toBeDefined();
    expect(fetches).toBe(2);
  });

  it('keeps the keys it holds when a refetch fails, and is unavailable only when it never had any', async () => {
    const { publicKey } = pair();
    let fail = false;
    const keys = new GitHubSigningKeys('https://keys.test', 1000, async () => {
      if (fail) throw new Error('down');
      return list(['k1', pem(publicKey)]);
    });
    await expect(new GitHubSigningKeys('https://keys.test', 1000, async () => Promise.reject(new Error('down'))).find('k1',
      T0)).rejects.toBeInstanceOf(UnavailableError);
    expect(await keys.find('k1', T0)).toBeDefined();
    fail = true;
    expect(await keys.find('k1', at(60_000))).toBeDefined();
  });

  it('skips published keys that are not P-256 public keys', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keys = new GitHubSigningKeys('https://keys.test', 1000, async () => list(['rsa', pem(rsa.publicKey)], ['junk', 'not a pem']));
    expect(await keys.find('rsa', T0)).toBeUndefined();
    expect(await keys.find('junk', T0)).toBeUndefined();
  });
});

describe('verifyGitHubSignature', () => {
  const github = pair();
  const keys = new GitHubSigningKeys('https://keys.test', 3_600_000, async () => list(['k1', pem(github.publicKey)]));
  const body = Buffer.from('[{"token":"kg_x","type":"t","url":"","source":"content"}]');
  const signature = sign('sha256', body, { key: github.privateKey, dsaEncoding: 'der' }).toString('base64');

  it('accepts GitHub’s signature over the raw body', async () => {
    await expect(verifyGitHubSignature(keys, body, { 'github-public-key-identifier': 'k1', 'github-public-key-signature': signature },
      T0)).resolves.toBeUndefined();
  });

  it('refuses a re-serialized body, another key’s signature and a P1363 signature alike', async () => {
    const other = sign('sha256', body, { key: pair().privateKey, dsaEncoding: 'der' }).toString('base64');
    const p1363 = sign('sha256', body, { key: github.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64');
    const cases: [Buffer, string][] = [
      [Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 1)), signature],
      [body, other],
      [body, p1363],
    ];
    for (const [payload, sig] of cases) {
      await expect(verifyGitHubSignature(keys, payload, { 'github-public-key-identifier': 'k1', 'github-public-key-signature': sig },
        T0)).rejects.toBeInstanceOf(
        AuthenticationError,
      );
    }
  });
});
