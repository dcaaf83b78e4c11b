import { describe, expect, it } from 'vitest';
import { hashSecret, issueSecret, parseKeyString, secretMatches } from '../../functions/keys/key-string.js';
import { newKeyId } from '../../functions/shared/ids.js';

describe('key strings', () => {
  it('carry the prefix, the id, a 256-bit secret and a checksum', () => {
    const id = newKeyId();
    const { keyString } = issueSecret('kg', id);
    expect(keyString).toMatch(new RegExp(`^kg_${id}_[0-9A-Za-z]{49}$`));
    const parsed = parseKeyString('kg', keyString);
    expect(parsed?.keyId).toBe(id);
    expect(parsed?.secret).toHaveLength(43);
  });

  it('are unique per issue, even for the same id', () => {
    const id = newKeyId();
    const strings = new Set(Array.from({ length: 200 }, () => issueSecret('kg', id).keyString));
    expect(strings.size).toBe(200);
  });

  it('store only a SHA-256 of the secret, which matches only that secret', () => {
    const { keyString, secretHash } = issueSecret('kg', newKeyId());
    const { secret } = parseKeyString('kg', keyString)!;
    expect(secretHash).toMatch(/^[0-9a-f]{64}$/);
    expect(keyString).not.toContain(secretHash);
    expect(secretMatches(secret, secretHash)).toBe(true);
    expect(secretMatches(secret, hashSecret('another'))).toBe(false);
    expect(secretMatches(secret, undefined)).toBe(false);
  });

  it('refuse any single-character change through the checksum', () => {
    const { keyString } = issueSecret('kg', newKeyId());
    let refused = 0;
    for (let i = 3; i < keyString.length; i++) {
      if (keyString[i] === '_') continue;
      const swapped = keyString[i] === 'a' ? 'b' : 'a';
      const typo = keyString.slice(0, i) + swapped + keyString.slice(i + 1);
      if (parseKeyString('kg', typo) === undefined) refused++;
      else throw new Error(`typo at ${i} accepted`);
    }
    expect(refused).toBeGreaterThan(60);
  });

  it('refuse another deployment prefix, truncation and junk', () => {
    const { keyString } = issueSecret('kg', newKeyId());
    expect(parseKeyString('acme', keyString)).toBeUndefined();
    expect(parseKeyString('kg', keyString.slice(0, -1))).toBeUndefined();
    expect(parseKeyString('kg', `${keyString}x`)).toBeUndefined();
    expect(parseKeyString('kg', '')).toBeUndefined();
    expect(parseKeyString('kg', 'Bearer something')).toBeUndefined();
  });
});
