import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseKeySet, type SigningKeySet, type SigningKeySource } from './signing-keys.js';

/**
 * The signing keys on AWS: one Secrets Manager secret whose AWSCURRENT version is the whole key
 * set. Token functions only read it; the rotation function is the only writer, and it writes
 * through Secrets Manager's own rotation protocol (signing-key-rotation.ts).
 *
 * The SDK's Secrets Manager client is loaded on the first read, not when the function starts:
 * every function that checks keys bundles this module (a JWT-format key may need the signing
 * keys), and most never read the secret. The SDK import must stay a dynamic import(): esbuild
 * hoists a static import of an external package to the top of the bundle, even from a module
 * that is itself imported lazily.
 */
export class SigningKeySecret implements SigningKeySource {
  constructor(
    readonly secretId: string,
    /** Absent: a client is made on the first read. */
    private client?: Pick<SecretsManagerClient, 'send'>,
  ) {}

  async load(): Promise<SigningKeySet> {
    const sdk = await import('@aws-sdk/client-secrets-manager');
    this.client ??= new sdk.SecretsManagerClient({});
    const { SecretString } = await this.client.send(new sdk.GetSecretValueCommand({ SecretId: this.secretId }));
    if (SecretString === undefined) throw new Error(`secret ${this.secretId} has no string value`);
    return parseKeySet(SecretString, `secret ${this.secretId}`);
  }
}
