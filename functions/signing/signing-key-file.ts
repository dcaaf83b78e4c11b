import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Clock } from '../shared/clock.js';
import { FROM_THE_START, generateSigningKey, parseKeySet, type Rotation, rotateKeySet, type SigningKeySet, type SigningKeySource, serializeKeySet } from './signing-keys.js';
import type { TokenSettings } from './token-settings.js';

/**
 * The local run's signing keys: one JSON file (`.keygate/signing-keys.json`), mode 0600, in a
 * 0700 directory. It is created on first use with one key that signs from the start. Every write goes to a fresh 0600
 * temporary file that is then linked (creation: fails if another process won the race) or
 * renamed (rotation) into place, so a reader sees the old document or the new one, never part.
 * Two rotations at the very same moment keep only one of the two new keys; the other was never
 * published, and it would not have signed before a reader re-read the file.
 */
export class SigningKeyFile implements SigningKeySource {
  constructor(
    readonly path: string,
    private readonly settings: TokenSettings,
    private readonly clock: Clock,
  ) {}

  async load(): Promise<SigningKeySet> {
    const existing = await this.read();
    if (existing) return existing;
    const now = this.clock();
    const first: SigningKeySet = { version: 1, keys: [await generateSigningKey(this.settings.algorithm, now, FROM_THE_START)] };
    if (await this.write(first, 'create')) return first;
    const winner = await this.read();
    if (!winner) throw new Error(`${this.path} vanished while it was being created`);
    return winner;
  }

  /** Adds a key (published now, signing after publishAhead) and drops keys no token needs. */
  async rotate(): Promise<Rotation> {
    const rotation = await rotateKeySet(await this.load(), this.clock(), this.settings);
    await this.write(rotation.set, 'replace');
    return rotation;
  }

  private async read(): Promise<SigningKeySet | undefined> {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    if ((info.mode & 0o077) !== 0) {
      throw new Error(`${this.path} holds private keys but others may read it (mode ${(info.mode & 0o777).toString(8)}): run chmod 600 ${this.path}`);
    }
    return parseKeySet(await readFile(this.path, 'utf8'), this.path);
  }

  /** False when `create` found the file already there. */
  private async write(set: SigningKeySet, how: 'create' | 'replace'): Promise<boolean> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const temporary = `${this.path}.${randomUUID()}.tmp`;
    const file = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      await file.writeFile(serializeKeySet(set), 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    try {
      if (how === 'replace') await rename(temporary, this.path);
      else await link(temporary, this.path);
      return true;
    } catch (error) {
      if (how === 'create' && (error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      // After a rename there is nothing left to remove; after a link (or a failure) the name is.
      await unlink(temporary).catch(() => {});
    }
  }
}
