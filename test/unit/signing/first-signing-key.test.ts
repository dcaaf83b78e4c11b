import { GetSecretValueCommand, InvalidRequestException, RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { startFirstRotation } from '../../../functions/signing/first-signing-key.js';

/*
 * Mocked, not moto: starting the rotation invokes the rotation Lambda, which moto cannot run
 * (no Docker); test/contract/aws-adapters.test.ts covers the reads against moto.
 */
const sm = mockClient(SecretsManagerClient);
const client = new SecretsManagerClient({ region: 'eu-west-1' });
const SECRET = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:KeygateSigningKeys-abc';
const PLACEHOLDER = '{"version":1,"keys":[],"placeholder":"Zr8yQ2pW"}';

afterEach(() => sm.reset());

describe('starting the first signing-key rotation at deploy', () => {
  it('asks Secrets Manager to rotate the secret now when it holds no key', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: PLACEHOLDER });
    sm.on(RotateSecretCommand).resolves({});
    expect(await startFirstRotation(client, SECRET, new Date())).toBe('rotating');
    expect(sm.commandCalls(RotateSecretCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: SECRET, RotateImmediately: true }]);
  });

  it('takes "a rotation is already under way" (the schedule started one) as started', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: PLACEHOLDER });
    sm.on(RotateSecretCommand).rejects(new InvalidRequestException({ message: "A previous rotation isn't complete. That rotation will be reattempted.", $metadata: {} }));
    expect(await startFirstRotation(client, SECRET, new Date())).toBe('rotating');
  });

  it('fails the deploy step on any other error', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: PLACEHOLDER });
    sm.on(RotateSecretCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await expect(startFirstRotation(client, SECRET, new Date())).rejects.toThrow(/denied/);
  });
});
