import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { collectBody } from '../shared/aws-http.js';

/**
 * Where webhook signing secrets are sealed before they are stored (the channel item holds only
 * the sealed form), and opened when the notifier signs. The context binds a sealed secret to its
 * channel: a sealed value copied onto another channel's item does not open there.
 *
 *   AWS        KMS Encrypt/Decrypt under the stack's customer-managed key (infra/webhook-secrets.ts);
 *              only the functions that create webhook channels may encrypt, only the notifier
 *              may decrypt, each with the channel id as encryption context (kms:EncryptionContext
 *              is logged by CloudTrail: every opening is on record).
 *   local run  AES-256-GCM under a key file in `.keygate/` (dev/local-data.ts), the context as
 *              additional authenticated data. Tests use a random key.
 *
 * Webhook secrets are at most a few dozen bytes, well under KMS's 4 KB limit for direct
 * encryption, so no data key is needed.
 */
export interface SecretBox {
  seal(plain: string, context: { channelId: string }): Promise<string>;
  open(sealed: string, context: { channelId: string }): Promise<string>;
}

const KMS_PREFIX = 'kms:';
const LOCAL_PREFIX = 'aesgcm:';

export class KmsSecretBox implements SecretBox {
  #client: KMSClient | undefined;

  constructor(
    private readonly keyArn: string,
    client?: KMSClient,
  ) {
    this.#client = client;
  }

  private get client(): KMSClient {
    this.#client ??= new KMSClient({ streamCollector: collectBody });
    return this.#client;
  }

  async seal(plain: string, context: { channelId: string }): Promise<string> {
    const { CiphertextBlob } = await this.client.send(
      new EncryptCommand({ KeyId: this.keyArn, Plaintext: Buffer.from(plain, 'utf8'), EncryptionContext: { ...context } }),
    );
    if (!CiphertextBlob) throw new Error('KMS Encrypt returned no ciphertext');
    return KMS_PREFIX + Buffer.from(CiphertextBlob).toString('base64');
  }

  async open(sealed: string, context: { channelId: string }): Promise<string> {
    if (!sealed.startsWith(KMS_PREFIX)) throw new Error('not a KMS-sealed secret');
    const { Plaintext } = await this.client.send(
      new DecryptCommand({
        // Naming the key makes KMS refuse a ciphertext of any other key.
        KeyId: this.keyArn,
        CiphertextBlob: Buffer.from(sealed.slice(KMS_PREFIX.length), 'base64'),
        EncryptionContext: { ...context },
      }),
    );
    if (!Plaintext) throw new Error('KMS Decrypt returned no plaintext');
    return Buffer.from(Plaintext).toString('utf8');
  }
}

/** The local run's and the tests' box: AES-256-GCM, a 12-byte random IV per seal, the context as AAD. */
export class LocalSecretBox implements SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('the local secret box needs a 32-byte key');
  }

  static random(): LocalSecretBox {
    return new LocalSecretBox(randomBytes(32));
  }

  async seal(plain: string, context: { channelId: string }): Promise<string> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context.channelId, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return LOCAL_PREFIX + [iv, cipher.getAuthTag(), body].map((part) => part.toString('base64url')).join('.');
  }

  async open(sealed: string, context: { channelId: string }): Promise<string> {
    const [iv, tag, body] = sealed.startsWith(LOCAL_PREFIX) ? sealed.slice(LOCAL_PREFIX.length).split('.') : [];
    if (iv === undefined || tag === undefined || body === undefined) throw new Error('not a locally sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'), { authTagLength: 16 });
    decipher.setAAD(Buffer.from(context.channelId, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}
