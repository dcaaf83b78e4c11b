import {
  CreateScheduleGroupCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand, PutSecretValueCommand, RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateEmailIdentityCommand, MessageRejected, SESv2Client } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deploymentConfig } from '../../functions/deployment-config.js';
import { KmsSecretBox } from '../../functions/channels/secret-box.js';
import { SesEmail } from '../../functions/channels/ses-email.js';
import { EventBridgeSchedules, SCHEDULE_RETRY_POLICY } from '../../functions/reminders/eventbridge-schedules.js';
import { hasSigningKey, startFirstRotation } from '../../functions/signing/first-signing-key.js';
import { runRotationStep } from '../../functions/signing/signing-key-rotation.js';
import { SigningKeySecret } from '../../functions/signing/signing-key-secret.js';
import { parseKeySet, rotateKeySet, serializeKeySet, signingKeyAt } from '../../functions/signing/signing-keys.js';
import { tokenSettings } from '../../functions/signing/token-settings.js';
import { testClock } from '../support/dynamodb.js';
import { type Moto, startMoto } from '../support/moto.js';

/**
 * Contract tests of keygate's AWS adapters against moto's server mode (test/support/moto.ts):
 * the real SDK clients, real requests over HTTP, answers from an engine that keeps state.
 *
 * What moto checks here (tried, moto 5.2): Scheduler: a second CreateSchedule of a name is a
 * ConflictException, UpdateSchedule/DeleteSchedule of a missing one ResourceNotFoundException,
 * and it stores every field. It does NOT validate the at() expression, the time zone, the
 * flexible-window mode, ActionAfterCompletion or the role ARN: those are asserted on what moto
 * stored, and the template tests keep the rest. SES v2: SendEmail from an identity not created in
 * SES is MessageRejected; a verified domain covers its addresses. Secrets Manager: versions and
 * stage labels, RotateSecret enabling rotation and registering AWSPENDING. KMS: Decrypt refuses
 * a ciphertext under another encryption context or with another KeyId.
 *
 * Still mocked (aws-sdk-client-mock), because moto does not model it: a rotation's createSecret
 * step (moto's RotateSecret fills the AWSPENDING version with a copy of AWSCURRENT, where the
 * service leaves it empty for the rotation function to write; test/unit/tokens/
 * signing-key-secret.test.ts), Scheduler throttling and 5xx answers (test/integration/
 * notifications-schedules.test.ts injects them), and invoking Lambda (moto needs Docker for it).
 */
let moto: Moto;
const START = new Date('2026-11-23T12:00:00.000Z');

beforeAll(async () => {
  moto = await startMoto();
}, 90_000);
afterAll(async () => {
  await moto?.stop();
});

describe('EventBridge Scheduler (EventBridgeSchedules)', () => {
  const group = 'keygate-contract';
  const settings = {
    groupName: group,
    roleArn: 'arn:aws:iam::123456789012:role/keygate-scheduler',
    notifierArn: 'arn:aws:lambda:eu-west-1:123456789012:function:keygate-notifier',
    deadLetterArn: 'arn:aws:sqs:eu-west-1:123456789012:keygate-dlq',
  };
  let client: SchedulerClient;
  let schedules: EventBridgeSchedules;
  let clock: ReturnType<typeof testClock>;

  beforeEach(async () => {
    await moto.reset();
    client = new SchedulerClient(moto.clientConfig);
    await client.send(new CreateScheduleGroupCommand({ Name: group }));
    clock = testClock(START);
    schedules = new EventBridgeSchedules(settings, clock.now, client);
  });

  const fire = { keyId: 'k1', slot: 'own' as const, rev: 'r1' };

  it('creates a one-shot at() schedule in UTC, without a flexible window, deleted after it runs, with retries, DLQ and role', async () => {
    await schedules.put({ name: 'key-k1-own', at: '2026-12-01T09:30:00.000Z', input: fire });
    const stored = await client.send(new GetScheduleCommand({ Name: 'key-k1-own', GroupName: group }));
    expect(stored).toMatchObject({
      Arn: `arn:aws:scheduler:eu-west-1:123456789012:schedule/${group}/key-k1-own`,
      GroupName: group,
      ScheduleExpression: 'at(2026-12-01T09:30:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      State: 'ENABLED',
      Target: {
        Arn: settings.notifierArn,
        RoleArn: settings.roleArn,
        Input: JSON.stringify(fire),
        RetryPolicy: SCHEDULE_RETRY_POLICY,
        DeadLetterConfig: { Arn: settings.deadLetterArn },
      },
    });
  });

  it('replaces a schedule of the same name through the ConflictException → UpdateSchedule path', async () => {
    await schedules.put({ name: 'key-k1-own', at: '2026-12-01T09:30:00.000Z', input: fire });
    await schedules.put({ name: 'key-k1-own', at: '2026-12-02T10:00:00.000Z', input: { ...fire, rev: 'r2' } });
    const stored = await client.send(new GetScheduleCommand({ Name: 'key-k1-own', GroupName: group }));
    expect(stored.ScheduleExpression).toBe('at(2026-12-02T10:00:00)');
    expect(JSON.parse(stored.Target?.Input ?? '{}')).toEqual({ ...fire, rev: 'r2' });
    const listed = await client.send(new ListSchedulesCommand({ GroupName: group }));
    expect(listed.Schedules?.map((s) => s.Name)).toEqual(['key-k1-own']);
  });

  it('moves a time already past to a minute from now: a one-shot schedule must lie in the future', async () => {
    clock.set(new Date('2026-12-05T08:00:00.400Z')); // plus a minute, rounded up to the whole second
    await schedules.put({ name: 'key-k1-own', at: '2026-12-01T09:30:00.000Z', input: fire });
    const stored = await client.send(new GetScheduleCommand({ Name: 'key-k1-own', GroupName: group }));
    expect(stored.ScheduleExpression).toBe('at(2026-12-05T08:01:01)');
  });

  it('deletes a schedule, and treats deleting a missing one as done', async () => {
    await schedules.put({ name: 'key-k1-own', at: '2026-12-01T09:30:00.000Z', input: fire });
    await schedules.remove('key-k1-own');
    await expect(client.send(new GetScheduleCommand({ Name: 'key-k1-own', GroupName: group }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(schedules.remove('key-k1-own')).resolves.toBeUndefined();
  });
});

describe('SES v2 (SesEmail)', () => {
  beforeEach(() => moto.reset());

  /** SES v1's GetSendQuota counts what was sent; moto keeps one count for both APIs. */
  async function sentLast24Hours(): Promise<number> {
    const response = await fetch(moto.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'AWS4-HMAC-SHA256 Credential=moto/20261205/eu-west-1/ses/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: 'Action=GetSendQuota&Version=2010-12-01',
    });
    return Number(/<SentLast24Hours>([\d.]+)</.exec(await response.text())?.[1]);
  }

  it('sends a plain-text email from the deployment sender once that identity exists in SES', async () => {
    const client = new SESv2Client(moto.clientConfig);
    await client.send(new CreateEmailIdentityCommand({ EmailIdentity: 'keygate@example.com' }));
    await new SesEmail('keygate@example.com', client).send({ to: ['ops@example.org'], subject: 'Key k1 expires soon', text: 'It expires on 2026-12-01.' });
    expect(await sentLast24Hours()).toBe(1);
  });

  it('is refused (MessageRejected) when the sender was never verified: the notifier records a failure', async () => {
    const client = new SESv2Client(moto.clientConfig);
    const sending = new SesEmail('keygate@example.com', client).send({ to: ['ops@example.org'], subject: 's', text: 't' });
    await expect(sending).rejects.toBeInstanceOf(MessageRejected);
    expect(await sentLast24Hours()).toBe(0);
  });
});

describe('Secrets Manager (signing-key rotation steps and SigningKeySecret)', () => {
  const settings = tokenSettings(deploymentConfig.tokens);
  const PLACEHOLDER = '{"version":1,"keys":[],"placeholder":"Zr8yQ2pW"}';
  const ROTATION_LAMBDA = 'arn:aws:lambda:eu-west-1:123456789012:function:keygate-rotation';
  let client: SecretsManagerClient;
  let secretId: string;

  beforeEach(async () => {
    await moto.reset();
    client = new SecretsManagerClient(moto.clientConfig);
    secretId = (await client.send(new CreateSecretCommand({ Name: 'keygate-signing-keys', SecretString: PLACEHOLDER }))).ARN ?? '';
  });

  /** What the service does when rotation starts: enable it, register the token as AWSPENDING, invoke the function (which moto cannot). */
  async function startRotation(token: string): Promise<void> {
    await expect(
      client.send(new RotateSecretCommand({ SecretId: secretId, ClientRequestToken: token, RotationLambdaARN: ROTATION_LAMBDA, RotationRules: { AutomaticallyAfterDays: 30 } })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' }); // no Lambda function in moto: the test runs the steps
    const stages = (await client.send(new DescribeSecretCommand({ SecretId: secretId }))).VersionIdsToStages ?? {};
    expect(stages[token]).toEqual(['AWSPENDING']);
  }

  it('refuses to rotate a secret whose rotation is not enabled', async () => {
    const clock = testClock(START);
    await expect(runRotationStep(client, { Step: 'setSecret', SecretId: secretId, ClientRequestToken: 't' }, clock, settings)).rejects.toThrow(/does not have rotation enabled/);
  });

  it('setSecret, testSecret and finishSecret make the new key set AWSCURRENT, and token functions read it', async () => {
    const clock = testClock(START);
    const token = 'rotation-00000000-0000-0000-0000-000000000001';
    await startRotation(token);
    // createSecret's write (moto pre-fills AWSPENDING, see above): the key set that step computes.
    const next = await rotateKeySet(parseKeySet(PLACEHOLDER, 'placeholder'), clock(), settings);
    await client.send(new PutSecretValueCommand({ SecretId: secretId, ClientRequestToken: token, SecretString: serializeKeySet(next.set), VersionStages: ['AWSPENDING'] }));

    for (const Step of ['setSecret', 'testSecret', 'finishSecret'] as const) {
      await runRotationStep(client, { Step, SecretId: secretId, ClientRequestToken: token }, clock, settings);
    }
    const stages = (await client.send(new DescribeSecretCommand({ SecretId: secretId }))).VersionIdsToStages ?? {};
    expect(stages[token]).toContain('AWSCURRENT');
    // By stage: moto's GetSecretValue without one keeps answering the version that was current before
    // UpdateSecretVersionStage (its default-version pointer does not move); SigningKeySecret names the stage.
    const current = await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' }));
    expect(current.VersionId).toBe(token);

    const set = await new SigningKeySecret(secretId, client).load();
    expect(set.keys.map((k) => k.kid)).toEqual([next.added.kid]);
    expect(signingKeyAt(set, clock())?.kid).toBe(next.added.kid);
    // Run again (Secrets Manager retries a step): nothing changes.
    expect(await runRotationStep(client, { Step: 'finishSecret', SecretId: secretId, ClientRequestToken: token }, clock, settings)).toEqual({ step: 'finishSecret', alreadyDone: true });
  });

  it('the deploy-time waiter sees no key in the placeholder, then the key once a rotation wrote it, and then starts no rotation', async () => {
    const clock = testClock(START);
    expect(await hasSigningKey(client, secretId, clock())).toBe(false);
    const next = await rotateKeySet(parseKeySet(PLACEHOLDER, 'placeholder'), clock(), settings);
    await client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: serializeKeySet(next.set) }));
    expect(await hasSigningKey(client, secretId, clock())).toBe(true);
    expect(await startFirstRotation(client, secretId, clock())).toBe('has-key');
    // No rotation was started: nothing is AWSPENDING.
    const stages = Object.values((await client.send(new DescribeSecretCommand({ SecretId: secretId }))).VersionIdsToStages ?? {}).flat();
    expect(stages).not.toContain('AWSPENDING');
  });

  it('SigningKeySecret reads the placeholder as a set with no key', async () => {
    expect((await new SigningKeySecret(secretId, client).load()).keys).toEqual([]);
  });
});

describe('KMS (KmsSecretBox, webhook signing secrets)', () => {
  let client: KMSClient;
  let box: KmsSecretBox;
  let keyArn: string;

  beforeEach(async () => {
    await moto.reset();
    client = new KMSClient(moto.clientConfig);
    keyArn = (await client.send(new CreateKeyCommand({ Description: 'keygate webhook secrets (contract test)' }))).KeyMetadata?.Arn ?? '';
    box = new KmsSecretBox(keyArn, client);
  });

  it('seals to a KMS ciphertext that holds no trace of the secret, and opens it for the same channel', async () => {
    const secret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
    const sealed = await box.seal(secret, { channelId: 'ch_1' });
    expect(sealed).toMatch(/^kms:/);
    expect(sealed).not.toContain(secret.slice('whsec_'.length, 20));
    expect(await box.open(sealed, { channelId: 'ch_1' })).toBe(secret);
  });

  it('refuses to open a ciphertext under another channel id (the encryption context), or under another key', async () => {
    const sealed = await box.seal('whsec_x', { channelId: 'ch_1' });
    await expect(box.open(sealed, { channelId: 'ch_2' })).rejects.toThrow();
    const otherKey = (await client.send(new CreateKeyCommand({}))).KeyMetadata?.Arn ?? '';
    await expect(new KmsSecretBox(otherKey, client).open(sealed, { channelId: 'ch_1' })).rejects.toThrow();
    await expect(box.open('aesgcm:not-kms', { channelId: 'ch_1' })).rejects.toThrow('not a KMS-sealed secret');
  });
});
