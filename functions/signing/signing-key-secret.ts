import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { collectBody, requestHandlerOptions } from '../shared/aws-http.js';
import { CALL_TIMEOUTS, isUnavailable } from '../shared/bounded-calls.js';
import { UnavailableError } from '../shared/errors.js';
import { parseKeySet, type SigningKeySet, type SigningKeySource } from './signing-keys.js';

/**
 * The signing keys on AWS: one Secrets Manager secret whose AWSCURRENT version is the whole key
 * set. Token functions only read it; the rotation function is the only writer, and it writes
 * through Secrets Manager's own rotation protocol (signing-key-rotation.ts).
 *
 * It names the AWSCURRENT stage rather than relying on the default version: the rotation protocol
 * moves that label, and the moto contract test showed an engine whose default did not follow it.
 *
 * Only the routes that read the signing keys bundle this module (functions/runtime/
 * secret-signing-keys.ts), and even they make the Secrets Manager client on the first read, not
 * when the function starts (creating a key in the kg_ format, say, never reads the secret).
 * The SDK's module is imported statically. A dynamic import() would save nothing in a Lambda
 * bundle, one file parsed whole, and it costs: esbuild then wraps the imported module and all it
 * imports, the SDK's shared core included, in lazy initialisers that escape tree shaking
 * (infra/bundling.ts).
 */
export class SigningKeySecret implements SigningKeySource {
  constructor(
    readonly secretId: string,
    /** Absent: a client is made on the first read. */
    private client?: Pick<SecretsManagerClient, 'send'>,
  ) {}

  async load(): Promise<SigningKeySet> {
    // Bounded like the table (functions/shared/dynamodb.ts): a stalled read is a 503, not a request held until the function times out.
    this.client ??= new SecretsManagerClient({ requestHandler: requestHandlerOptions(CALL_TIMEOUTS), streamCollector: collectBody });
    let SecretString: string | undefined;
    try {
      ({ SecretString } = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId, VersionStage: 'AWSCURRENT' }), { abortSignal: AbortSignal.timeout(CALL_TIMEOUTS.deadlineMs) }));
    } catch (error) {
      if (isUnavailable(error)) throw new UnavailableError('keygate could not read its signing keys in time; retry shortly', 1);
      throw error;
    }
    if (SecretString === undefined) throw new Error(`secret ${this.secretId} has no string value`);
    return parseKeySet(SecretString, `secret ${this.secretId}`);
  }
}
