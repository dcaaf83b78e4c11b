import { describe, expect, it } from 'vitest';
import { LocalSecretBox } from '../../../functions/channels/secret-box.js';

describe('LocalSecretBox (the local run’s stand-in for KMS)', () => {
  const box = LocalSecretBox.random();
  const secret = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;

  it('seals with a fresh IV each time and opens for the same channel', async () => {
    const a = await box.seal(secret, { channelId: 'ch_1' });
    const b = await box.seal(secret, { channelId: 'ch_1' });
    expect(a).not.toBe(b);
    expect(a).not.toContain(secret.slice('whsec_'.length, 20));
    expect(await box.open(a, { channelId: 'ch_1' })).toBe(secret);
  });

  it('refuses another channel id, another key, a changed byte and a foreign format', async () => {
    const sealed = await box.seal(secret, { channelId: 'ch_1' });
    await expect(box.open(sealed, { channelId: 'ch_2' })).rejects.toThrow();
    await expect(LocalSecretBox.random().open(sealed, { channelId: 'ch_1' })).rejects.toThrow();
    const [iv, tag, body] = sealed.slice('aesgcm:'.length).split('.') as [string, string, string];
    const flipped = Buffer.from(body, 'base64url');
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    await expect(box.open(`aesgcm:${iv}.${tag}.${flipped.toString('base64url')}`, { channelId: 'ch_1' })).rejects.toThrow();
    await expect(box.open('kms:AAAA', { channelId: 'ch_1' })).rejects.toThrow('not a locally sealed secret');
  });

  it('takes only a 32-byte key', () => {
    expect(() => new LocalSecretBox(Buffer.alloc(16))).toThrow('32-byte key');
  });
});
