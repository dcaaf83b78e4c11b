import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PersonTrust } from '../access/person-credential.js';
import type { ChannelDeps } from '../channels/channel-deps.js';
import type { SecretBox } from '../channels/secret-box.js';
import type { DeploymentConfig } from '../deployment-config.js';
import type { KeyStore } from '../keys/key-store-interface.js';
import type { ReminderDeps } from '../reminders/schedules.js';
import type { KeyJwtTrust } from '../signing/key-jwt-trust.js';
import type { TokenDeps } from '../signing/token-deps.js';
import type { Clock } from '../shared/clock.js';

/**
 * What domain functions run against. Every field is set explicitly: on Lambda by the composition
 * root (functions/runtime/, once per cold start, from the function's route-table entry and its
 * validated environment), in the local run by dev/, in tests by the test. Nothing below
 * functions/runtime/ reads the environment to fill a missing field.
 */
export interface Deps {
  ddb: DynamoDBDocumentClient;
  tableName: string;
  clock: Clock;
  config: DeploymentConfig;
  /** Signing keys and issuer: token endpoints, key create and reset, the JWKS routes. */
  tokens?: TokenDeps | undefined;
  /** The issuer URL alone, for functions that need it without the signing keys (metadata routes). */
  issuer?: string | undefined;
  /**
   * Seals webhook signing secrets before they are stored, and opens them to sign
   * (functions/channels/secret-box.ts): KMS on AWS, given only to the functions that create
   * webhook channels (to seal) and to the notifier (to open). Absent: webhook channels can be
   * neither created nor signed for.
   */
  webhookSecrets?: SecretBox | undefined;
  /** Schedules, email and local-mode switches, for the channel and reminder parts only. */
  notifications?: (ChannelDeps & ReminderDeps) | undefined;
  /**
   * What verifies JWT-format keys. Absent in a process that holds the signing keys (`tokens`):
   * it trusts its own (functions/keys/key-jwt-keys.ts).
   */
  keyJwts?: KeyJwtTrust | undefined;
  /**
   * The OpenID Connect issuer people sign in with (the console), on the management API only.
   * Absent: no sign-in, keys only.
   */
  people?: PersonTrust | undefined;
  /** The folder holding the console's built files (console/dist locally; in the bundle on Lambda). */
  consoleAssets?: string | undefined;
  /**
   * Where keys are stored. The composition root sets the DynamoDB store; unit tests an in-memory
   * one. Absent: the DynamoDB store over `ddb` and `tableName` (functions/keys/key-store.ts keyStore).
   */
  keys?: KeyStore | undefined;
}
