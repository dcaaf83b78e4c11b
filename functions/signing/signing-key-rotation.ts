import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { importJWK, jwtVerify, SignJWT } from 'jose';
import type { Clock } from '../shared/clock.js';
import { isFirstKey, parseKeySet, publicJwk, rotateKeySet, type SigningKeySet, SigningKeyRing, serializeKeySet } from './signing-keys.js';
import { KEY_SET_CACHE_MS, type TokenSettings } from './token-settings.js';

/**
 * The rotation of the signing-key secret (signing-key-secret.ts reads it): the only writer, through
 * Secrets Manager's own rotation protocol (createSecret → setSecret → testSecret → finishSecret),
 * so a failed rotation leaves AWSCURRENT untouched.
 */
export const rotationSteps = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;

/** What Secrets Manager sends the rotation function. */
export interface SecretRotationEvent {
  Step: (typeof rotationSteps)[number];
  SecretId: string;
  ClientRequestToken: string;
}

export type RotationOutcome =
  | { step: 'createSecret'; added: string; removed: string[] }
  | { step: 'createSecret' | 'finishSecret'; alreadyDone: true }
  | { step: 'setSecret' | 'testSecret' | 'finishSecret'; kids: string[] };

async function versionString(client: SecretsManagerClient, secretId: string, stage: 'AWSCURRENT' | 'AWSPENDING', versionId?: string): Promise<string> {
  const { SecretString } = await client.send(
    new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage, ...(versionId === undefined ? {} : { VersionId: versionId }) }),
  );
  if (SecretString === undefined) throw new Error(`secret ${secretId} (${stage}) has no string value`);
  return SecretString;
}

/** One step of a rotation. Each step is idempotent: Secrets Manager may call it again. */
export async function runRotationStep(client: SecretsManagerClient, event: SecretRotationEvent, clock: Clock, settings: TokenSettings): Promise<RotationOutcome> {
  const { SecretId: secretId, ClientRequestToken: token, Step: step } = event;
  const metadata = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
  if (metadata.RotationEnabled !== true) throw new Error(`secret ${secretId} does not have rotation enabled`);
  const stages = metadata.VersionIdsToStages?.[token];
  if (!stages) throw new Error(`secret ${secretId} has no version ${token} to rotate to`);
  if (stages.includes('AWSCURRENT')) {
    if (step === 'createSecret' || step === 'finishSecret') return { step, alreadyDone: true };
    throw new Error(`version ${token} of secret ${secretId} is already AWSCURRENT`);
  }
  if (!stages.includes('AWSPENDING')) throw new Error(`version ${token} of secret ${secretId} is not AWSPENDING`);

  const where = `secret ${secretId}`;
  switch (step) {
    case 'createSecret': {
      const current = parseKeySet(await versionString(client, secretId, 'AWSCURRENT'), `${where} (AWSCURRENT)`);
      try {
        await versionString(client, secretId, 'AWSPENDING', token);
        return { step, alreadyDone: true };
      } catch (error) {
        if (!(error instanceof ResourceNotFoundException)) throw error;
      }
      const rotation = await rotateKeySet(current, clock(), settings);
      await client.send(
        new PutSecretValueCommand({ SecretId: secretId, ClientRequestToken: token, SecretString: serializeKeySet(rotation.set), VersionStages: ['AWSPENDING'] }),
      );
      return { step, added: rotation.added.kid, removed: rotation.removed };
    }
    case 'setSecret': {
      // Nothing outside this secret holds the keys: the JWKS is served from it.
      const pending = parseKeySet(await versionString(client, secretId, 'AWSPENDING', token), `${where} (AWSPENDING)`);
      return { step, kids: pending.keys.map((k) => k.kid) };
    }
    case 'testSecret': {
      const pending = parseKeySet(await versionString(client, secretId, 'AWSPENDING', token), `${where} (AWSPENDING)`);
      await assertEveryKeySigns(pending);
      return { step, kids: pending.keys.map((k) => k.kid) };
    }
    case 'finishSecret': {
      const current = parseKeySet(await versionString(client, secretId, 'AWSCURRENT'), `${where} (AWSCURRENT)`);
      const pending = parseKeySet(await versionString(client, secretId, 'AWSPENDING', token), `${where} (AWSPENDING)`);
      assertStillPublishedInTime(current, pending, clock(), settings);
      const currentVersion = Object.entries(metadata.VersionIdsToStages ?? {}).find(([, s]) => s.includes('AWSCURRENT'))?.[0];
      await client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: token,
          ...(currentVersion === undefined ? {} : { RemoveFromVersionId: currentVersion }),
        }),
      );
      return { step, kids: pending.keys.map((k) => k.kid) };
    }
  }
}

/** Every key of the set signs a token that verifies against its published half. */
async function assertEveryKeySigns(set: SigningKeySet): Promise<void> {
  for (const key of set.keys) {
    const ring = new SigningKeyRing({ load: async () => ({ version: 1, keys: [key] }) }, { keepPublishedMs: 0 });
    const signer = await ring.signer(new Date(key.activatesAt));
    const probe = await new SignJWT({ probe: true }).setProtectedHeader({ alg: signer.alg, kid: signer.kid }).sign(signer.key);
    await jwtVerify(probe, await importJWK(publicJwk(key), key.alg), { algorithms: [key.alg] });
  }
}

/**
 * A pending version that became current late (its rotation stalled between steps) could start
 * signing with a key that verifiers have not had time to fetch. Refuse it: the next rotation
 * makes a fresh one.
 */
function assertStillPublishedInTime(current: SigningKeySet, pending: SigningKeySet, now: Date, settings: TokenSettings): void {
  const known = new Set(current.keys.map((k) => k.kid));
  const needed = KEY_SET_CACHE_MS + settings.verifierCacheMs;
  for (const key of pending.keys) {
    if (known.has(key.kid) || isFirstKey(key)) continue; // the very first key signs at once: no verifier holds a token yet
    const lead = new Date(key.activatesAt).getTime() - now.getTime();
    if (lead < needed) {
      throw new Error(
        `pending signing key ${key.kid} activates at ${key.activatesAt}, too soon to be published ${needed / 60_000} minutes ahead: this rotation stalled; rotate again`,
      );
    }
  }
}

/** How late a rotation may be before it is overdue: Secrets Manager rotates within a day-long window, plus a day to act. */
export const ROTATION_GRACE_MS = 2 * 86_400_000;

export type RotationCheck = { overdue: false; lastRotatedAt: string } | { overdue: true; reason: string; lastRotatedAt: string | null };

/**
 * Is the signing-key rotation overdue? (A daily check, infra/signing-keys.ts: CloudWatch cannot
 * alarm on a success missing for the 30 days of a rotation interval.) A rotation that fails keeps
 * LastRotatedDate where it was, so a failed rotation shows here too, at the latest a grace period
 * after it was due; the rotation function's Errors alarm says so at once.
 */
export async function checkRotation(client: SecretsManagerClient, secretId: string, now: Date, settings: Pick<TokenSettings, 'rotationIntervalMs'>): Promise<RotationCheck> {
  const metadata = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
  const last = metadata.LastRotatedDate;
  const lastRotatedAt = last === undefined ? null : last.toISOString();
  if (metadata.RotationEnabled !== true) return { overdue: true, reason: 'rotation is not enabled on the secret', lastRotatedAt };
  if (last === undefined) return { overdue: true, reason: 'the secret was never rotated: it holds no signing key', lastRotatedAt };
  const dueBy = last.getTime() + settings.rotationIntervalMs + ROTATION_GRACE_MS;
  if (now.getTime() > dueBy) {
    return { overdue: true, reason: `last rotated ${lastRotatedAt}: a rotation was due by ${new Date(dueBy).toISOString()} (interval plus grace)`, lastRotatedAt };
  }
  return { overdue: false, lastRotatedAt: last.toISOString() };
}
