import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeploymentConfig } from '../deployment-config.js';
import type { KeyJwtTrust } from '../keys/key-jwt-keys.js';
import type { KeyStore } from '../keys/key-store-interface.js';
import type { ChannelDeps } from '../channels/channel-deps.js';
import type { ReminderDeps } from '../reminders/schedules.js';
import type { TokenDeps } from '../tokens/token-deps.js';
import type { Clock } from './clock.js';

/** What domain functions run against. Lambda builds it once per cold start; tests build their own. */
export interface Deps {
  ddb: DynamoDBDocumentClient;
  tableName: string;
  clock: Clock;
  config: DeploymentConfig;
  /**
   * Signing keys and issuer, for the token endpoints only. The local run and tests set it; on
   * Lambda the token functions build it from their environment when it is absent.
   */
  tokens?: TokenDeps;
  /**
   * Schedules, email and local-mode switches, for the notification parts only. The local run and
   * tests set it; on Lambda the notification functions build it from their environment.
   */
  notifications?: ChannelDeps & ReminderDeps;
  /**
   * What verifies JWT-format keys, when the process decides it itself (the authorizer, from its
   * environment). Absent: functions/keys/key-jwt-keys.ts chooses from `tokens` or the environment.
   */
  keyJwts?: KeyJwtTrust;
  /**
   * Where keys are stored. The composition root sets the DynamoDB store; unit tests an in-memory
   * one. Absent: the DynamoDB store over `ddb` and `tableName` (functions/keys/key-store.ts keyStore).
   */
  keys?: KeyStore;
}
