import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mintAdminKey } from '../../functions/bootstrap/admin-key.js';
import { deploymentConfig } from '../../functions/deployment-config.js';
import { authenticateKey } from '../../functions/keys/key-authentication.js';
import { createKey, type IssuedKey } from '../../functions/keys/key-lifecycle.js';
import { systemClock } from '../../functions/shared/clock.js';
import type { Deps } from '../../functions/runtime/deps.js';
import { documentClient } from '../../functions/shared/dynamodb.js';
import type { TokenDeps } from '../../functions/signing/token-deps.js';
import { ensureTable } from '../../dev/create-table.js';
import { type DynamoDbLocal, localDynamoClientConfig, startDynamoDbLocal } from '../../dev/dynamodb-local.js';
import { localTokenDeps } from '../../dev/local-tokens.js';
import { type CallCounter, countCalls } from '../support/ddb-calls.js';

/**
 * What every measurement runs against: one in-memory DynamoDB Local (nothing under .keygate/
 * is touched but the results), one table, the signing keys in a temporary file, and the keys:
 *   admin    the bootstrap admin key (mints the others)
 *   service  a service's key holding key-verification:read, the caller of POST /v1/keys/verify
 *   subject  the key being verified, used on the demo API and exchanged for tokens
 * Key strings stay in memory: the bench prints figures only.
 */
export interface BenchWorld {
  endpoint: string;
  tableName: string;
  deps: Deps;
  tokens: TokenDeps;
  signingKeysPath: string;
  calls: CallCounter;
  keys: { admin: IssuedKey; service: IssuedKey; subject: IssuedKey };
  /** A key of its own for each measurement that must start from a key never used. */
  freshKey(name: string): Promise<IssuedKey>;
  close(): Promise<void>;
}

export async function startBenchWorld(): Promise<BenchWorld> {
  const dynamoDb: DynamoDbLocal = await startDynamoDbLocal();
  const dir = await mkdtemp(join(tmpdir(), 'keygate-bench-'));
  try {
    const config = localDynamoClientConfig(dynamoDb.endpoint);
    const tableName = 'bench';
    await ensureTable(new DynamoDBClient(config), tableName);
    const ddb = documentClient(config);
    const calls = countCalls(ddb);
    const signingKeysPath = join(dir, 'signing-keys.json');
    // The issuer is the keygate bench server's URL only in that process; here it names no server.
    const tokens = localTokenDeps('http://127.0.0.1:3000', { path: signingKeysPath });
    const deps: Deps = { ddb, tableName, clock: systemClock, config: deploymentConfig, tokens };
    await tokens.keys.jwks(new Date()); // writes the first signing key, before any server reads the file

    const admin = await mintAdminKey(deps);
    const principal = await authenticateKey(deps, admin.key);
    const freshKey = (name: string, permissions = ['alerts:read', 'cases:read']) =>
      createKey(deps, principal, { name, description: '', owner: 'bench', roles: [], permissions, expiresIn: 'P30D' });
    const keys = { admin, service: await freshKey('bench-service', ['key-verification:read']), subject: await freshKey('bench-subject') };
    return {
      endpoint: dynamoDb.endpoint,
      tableName,
      deps,
      tokens,
      signingKeysPath,
      calls,
      keys,
      freshKey: (name) => freshKey(name),
      close: async () => {
        await dynamoDb.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await dynamoDb.stop();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
