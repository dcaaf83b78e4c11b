import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deploymentConfig } from '../../../functions/deployment-config.js';
import { runRotationStep, type SecretRotationEvent } from '../../../functions/signing/signing-key-rotation.js';
import { SigningKeySecret } from '../../../functions/signing/signing-key-secret.js';
import { parseKeySet, rotateKeySet, serializeKeySet, signingKeyAt } from '../../../functions/signing/signing-keys.js';
import { tokenSettings } from '../../../functions/signing/token-settings.js';
import { CALL_TIMEOUTS } from '../../../functions/shared/bounded-calls.js';
import { UnavailableError } from '../../../functions/shared/errors.js';
import { testClock } from '../../support/dynamodb.js';

/*
 * Secrets Manager has no local engine: the client is mocked at its boundary. The fake below keeps
 * the secret's versions and stage labels the way the service does, so the four rotation steps
 * run end to end, and the tests assert the exact requests sent.
 */
const settings = tokenSettings(deploymentConfig.tokens);
const SECRET = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:KeygateSigningKeys-abc';
const T0 = new Date('2026-11-23T12:00:00.000Z');
/** What the stack's GenerateSecretString makes: valid JSON, no key, one random member. */
const PLACEHOLDER = '{"version":1,"keys":[],"placeholder":"Zr8yQ2pW"}';

const sm = mockClient(SecretsManagerClient);
const client = new SecretsManagerClient({ region: 'eu-west-1' });

/** Version id → value (none yet for a version the service just registered) and stage labels. */
let versions: Map<string, { value?: string; stages: string[] }>;

function versionWith(stage: string): string | undefined {
  return [...versions].find(([, v]) => v.stages.includes(stage))?.[0];
}

beforeEach(() => {
  versions = new Map([['v0', { value: PLACEHOLDER, stages: ['AWSCURRENT'] }]]);
  sm.reset();
  sm.on(DescribeSecretCommand).callsFake(() => ({
    ARN: SECRET,
    RotationEnabled: true,
    VersionIdsToStages: Object.fromEntries([...versions].map(([id, v]) => [id, [...v.stages]])),
  }));
  sm.on(GetSecretValueCommand).callsFake((input: { VersionId?: string; VersionStage?: string }) => {
    const id = input.VersionId ?? versionWith(input.VersionStage ?? 'AWSCURRENT');
    const version = id === undefined ? undefined : versions.get(id);
    if (version?.value === undefined || (input.VersionStage !== undefined && !version.stages.includes(input.VersionStage))) {
      throw new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret value", $metadata: {} });
    }
    return { ARN: SECRET, VersionId: id, SecretString: version.value, VersionStages: version.stages };
  });
  sm.on(PutSecretValueCommand).callsFake((input: { ClientRequestToken: string; SecretString: string; VersionStages: string[] }) => {
    for (const v of versions.values()) v.stages = v.stages.filter((s) => !input.VersionStages.includes(s));
    versions.set(input.ClientRequestToken, { value: input.SecretString, stages: input.VersionStages });
    return { ARN: SECRET, VersionId: input.ClientRequestToken };
  });
  sm.on(UpdateSecretVersionStageCommand).callsFake((input: { MoveToVersionId: string; RemoveFromVersionId?: string; VersionStage: string }) => {
    const from = input.RemoveFromVersionId === undefined ? undefined : versions.get(input.RemoveFromVersionId);
    if (from) from.stages = from.stages.filter((s) => s !== input.VersionStage);
    const to = versions.get(input.MoveToVersionId);
    if (to) to.stages = [...to.stages, input.VersionStage];
    // The service moves AWSPREVIOUS along, and AWSPENDING stays until the next rotation.
    return { ARN: SECRET };
  });
});

afterEach(() => sm.reset());

/**
 * What Secrets Manager does when the rotation schedule fires: it registers a new version id
 * labelled AWSPENDING (no value yet), then invokes the function once per step.
 */
async function rotate(token: string, clock: ReturnType<typeof testClock>) {
  for (const v of versions.values()) v.stages = v.stages.filter((s) => s !== 'AWSPENDING');
  versions.set(token, { stages: ['AWSPENDING'] });
  for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
    await runRotationStep(client, { Step, SecretId: SECRET, ClientRequestToken: token }, clock, settings);
  }
}

const inputs = () => sm.calls().map((call) => ({ command: call.args[0].constructor.name, input: call.args[0].input }));

describe('signing keys in Secrets Manager', () => {
  it('the first rotation (at deploy) replaces the placeholder with one key that signs at once', async () => {
    const clock = testClock(T0);
    await rotate('token-1', clock);

    const current = parseKeySet(versions.get(versionWith('AWSCURRENT') ?? '')?.value ?? '', 'current');
    expect(versionWith('AWSCURRENT')).toBe('token-1');
    expect(current.keys).toHaveLength(1);
    expect(signingKeyAt(current, T0)?.kid).toBe(current.keys[0]?.kid);

    const sent = inputs();
    const put = sent.find((c) => c.command === 'PutSecretValueCommand');
    expect(put?.input).toEqual({ SecretId: SECRET, ClientRequestToken: 'token-1', SecretString: serializeKeySet(current), VersionStages: ['AWSPENDING'] });
    expect(sent.filter((c) => c.command === 'UpdateSecretVersionStageCommand').map((c) => c.input)).toEqual([
      { SecretId: SECRET, VersionStage: 'AWSCURRENT', MoveToVersionId: 'token-1', RemoveFromVersionId: 'v0' },
    ]);
    // Every read names the secret, and the pending reads name the version and its stage.
    for (const call of sent.filter((c) => c.command === 'GetSecretValueCommand')) {
      expect(call.input).toSatisfy((i: { SecretId: string; VersionId?: string; VersionStage?: string }) =>
        i.SecretId === SECRET && (i.VersionStage === 'AWSCURRENT' ? i.VersionId === undefined : i.VersionId === 'token-1' && i.VersionStage === 'AWSPENDING'),
      );
    }
  });

  it('a later rotation adds a key that signs only publishAhead later, keeping the old one', async () => {
    const clock = testClock(T0);
    await rotate('token-1', clock);
    clock.advance(30 * 86_400_000);
    await rotate('token-2', clock);
    const current = parseKeySet(versions.get('token-2')?.value ?? '', 'current');
    expect(versionWith('AWSCURRENT')).toBe('token-2');
    expect(current.keys).toHaveLength(2);
    const [old, added] = current.keys;
    expect(added?.activatesAt).toBe(new Date(clock().getTime() + settings.publishAheadMs).toISOString());
    expect(signingKeyAt(current, clock())?.kid).toBe(old?.kid);
  });

  it('steps run twice (Secrets Manager retries) write once', async () => {
    const clock = testClock(T0);
    await rotate('token-1', clock);
    const event = (Step: SecretRotationEvent['Step']): SecretRotationEvent => ({ Step, SecretId: SECRET, ClientRequestToken: 'token-1' });
    sm.resetHistory();
    expect(await runRotationStep(client, event('createSecret'), clock, settings)).toEqual({ step: 'createSecret', alreadyDone: true });
    expect(await runRotationStep(client, event('finishSecret'), clock, settings)).toEqual({ step: 'finishSecret', alreadyDone: true });
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
  });

  it('refuses to make a stalled pending version current: its key would sign before verifiers saw it', async () => {
    const clock = testClock(T0);
    await rotate('token-1', clock);
    const current = parseKeySet(versions.get('token-1')?.value ?? '', 'current');
    const pending = await rotateKeySet(current, clock(), settings);
    versions.set('token-2', { value: serializeKeySet(pending.set), stages: ['AWSPENDING'] }); // createSecret ran, then nothing
    clock.advance(settings.publishAheadMs - settings.jwksMaxAgeSeconds * 1000); // the rotation stalled this long
    const finish: SecretRotationEvent = { Step: 'finishSecret', SecretId: SECRET, ClientRequestToken: 'token-2' };
    await expect(runRotationStep(client, finish, clock, settings)).rejects.toThrow(/too soon to be published .* rotate again/);
    expect(versionWith('AWSCURRENT')).toBe('token-1');
  });

  it('refuses a secret without rotation enabled, and a version it was not asked to rotate to', async () => {
    const clock = testClock(T0);
    sm.on(DescribeSecretCommand).resolves({ ARN: SECRET, RotationEnabled: false, VersionIdsToStages: { v0: ['AWSCURRENT'] } });
    await expect(runRotationStep(client, { Step: 'createSecret', SecretId: SECRET, ClientRequestToken: 't' }, clock, settings)).rejects.toThrow(/does not have rotation enabled/);
    sm.on(DescribeSecretCommand).resolves({ ARN: SECRET, RotationEnabled: true, VersionIdsToStages: { v0: ['AWSCURRENT'] } });
    await expect(runRotationStep(client, { Step: 'createSecret', SecretId: SECRET, ClientRequestToken: 't' }, clock, settings)).rejects.toThrow(/has no version t/);
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('token functions read AWSCURRENT, by secret id only', async () => {
    await rotate('token-1', testClock(T0));
    sm.resetHistory();
    const set = await new SigningKeySecret(SECRET, client).load();
    expect(set.keys).toHaveLength(1);
    expect(sm.calls().map((c) => c.args[0].input)).toEqual([{ SecretId: SECRET }]);
  });

  it('makes its own client on the first read when given none (as on Lambda), and reuses it', async () => {
    await rotate('token-1', testClock(T0));
    sm.resetHistory();
    const secret = new SigningKeySecret(SECRET);
    await secret.load();
    await secret.load();
    expect(sm.calls().map((c) => c.args[0].input)).toEqual([{ SecretId: SECRET }, { SecretId: SECRET }]);
    expect(new Set(sm.calls().map((c) => c.thisValue)).size).toBe(1);
  });
});

describe('reading the signing keys from a stalled Secrets Manager', () => {
  it('gives up within the deadline with UnavailableError (a 503), never waiting for the function timeout', async () => {
    // A client that never answers, but honours the abort signal the read must pass.
    const stalled = {
      send: (_command: unknown, options?: { abortSignal?: AbortSignal }) =>
        new Promise<never>((_done, fail) => {
          options?.abortSignal?.addEventListener('abort', () => fail(Object.assign(new Error('aborted'), { name: 'AbortError' })));
        }),
    };
    const started = Date.now();
    await expect(new SigningKeySecret(SECRET, stalled as never).load()).rejects.toBeInstanceOf(UnavailableError);
    expect(Date.now() - started).toBeLessThan(CALL_TIMEOUTS.deadlineMs + 1_000);
  });
});
