import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deploymentConfig } from '../../../functions/deployment-config.js';
import { SigningKeyFile } from '../../../functions/signing/signing-key-file.js';
import { parseKeySet, signingKeyAt } from '../../../functions/signing/signing-keys.js';
import { tokenSettings } from '../../../functions/signing/token-settings.js';
import { testClock } from '../../support/dynamodb.js';

const settings = tokenSettings(deploymentConfig.tokens);
const T0 = new Date('2026-11-23T12:00:00.000Z');

let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keygate-signing-keys-'));
  path = join(dir, '.keygate', 'signing-keys.json');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const mode = async (p: string) => (await stat(p)).mode & 0o777;

describe('the local signing-key file', () => {
  it('is created on first use with one key that signs from the start, mode 0600 in a 0700 directory', async () => {
    const file = new SigningKeyFile(path, settings, testClock(T0));
    const set = await file.load();
    expect(set.keys).toHaveLength(1);
    expect(signingKeyAt(set, new Date(T0.getTime() - 1000))?.kid).toBe(set.keys[0]?.kid);
    expect(await mode(path)).toBe(0o600);
    expect(await mode(join(dir, '.keygate'))).toBe(0o700);
    expect(parseKeySet(await readFile(path, 'utf8'), path)).toEqual(set);
    expect(await readdir(join(dir, '.keygate'))).toEqual(['signing-keys.json']);
  });

  it('is created once when several processes start at the same moment', async () => {
    const clock = testClock(T0);
    const sets = await Promise.all(Array.from({ length: 8 }, () => new SigningKeyFile(path, settings, clock).load()));
    const stored = await new SigningKeyFile(path, settings, clock).load();
    expect(stored.keys).toHaveLength(1);
    for (const set of sets) expect(set).toEqual(stored);
    expect(await readdir(join(dir, '.keygate'))).toEqual(['signing-keys.json']);
  });

  it('rotates in place: the new key is written now and signs publishAhead later, the file stays 0600', async () => {
    const clock = testClock(T0);
    const file = new SigningKeyFile(path, settings, clock);
    const [first] = (await file.load()).keys;
    clock.advance(60_000);
    const rotation = await file.rotate();
    const stored = parseKeySet(await readFile(path, 'utf8'), path);
    expect(stored.keys.map((k) => k.kid)).toEqual([first?.kid, rotation.added.kid]);
    expect(rotation.added.activatesAt).toBe(new Date(T0.getTime() + 60_000 + settings.publishAheadMs).toISOString());
    expect(await mode(path)).toBe(0o600);
    expect(await readdir(join(dir, '.keygate'))).toEqual(['signing-keys.json']);
  });

  it('refuses a file others may read, and says how to fix it', async () => {
    await new SigningKeyFile(path, settings, testClock(T0)).load();
    await chmod(path, 0o644);
    await expect(new SigningKeyFile(path, settings, testClock(T0)).load()).rejects.toThrow(`others may read it (mode 644): run chmod 600 ${path}`);
  });

  it('refuses a file that is not a signing-key set', async () => {
    await new SigningKeyFile(path, settings, testClock(T0)).load();
    await writeFile(path, '{"version":1,"keys":"nope"}', { mode: 0o600 });
    await expect(new SigningKeyFile(path, settings, testClock(T0)).load()).rejects.toThrow(/is not a keygate signing-key set/);
  });
});
