import { InvalidRequestException, RotateSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SigningKeySecret } from './signing-key-secret.js';
import { signingKeyAt } from './signing-keys.js';

/**
 * The deploy waits for the first signing key (infra/signing-keys.ts: a custom resource whose
 * provider calls these): without one, /oauth/token could only answer 503 until the asynchronous
 * first rotation ends. `startFirstRotation` makes sure a rotation runs; `hasSigningKey` is polled
 * until the key is there (or the provider's timeout fails the deploy).
 */
export async function hasSigningKey(client: Pick<SecretsManagerClient, 'send'>, secretId: string, now: Date): Promise<boolean> {
  const set = await new SigningKeySecret(secretId, client).load();
  return signingKeyAt(set, now) !== undefined;
}

/**
 * Starts the secret's configured rotation unless a key already signs. The rotation schedule
 * starts one as soon as it is made; a second RotateSecret while it runs is refused by Secrets
 * Manager (InvalidRequestException), which means one is under way: fine.
 */
export async function startFirstRotation(client: Pick<SecretsManagerClient, 'send'>, secretId: string, now: Date): Promise<'has-key' | 'rotating'> {
  if (await hasSigningKey(client, secretId, now)) return 'has-key';
  try {
    await client.send(new RotateSecretCommand({ SecretId: secretId, RotateImmediately: true }));
  } catch (error) {
    if (!(error instanceof InvalidRequestException)) throw error;
  }
  return 'rotating';
}
