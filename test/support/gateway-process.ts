import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { localDynamoClientConfig } from '../../dev/dynamodb-local.js';
import { createGateway, type GatewayRoute } from '../../dev/gateway.js';
import { localTokenDeps } from '../../dev/local-tokens.js';
import { deploymentConfig } from '../../functions/deployment-config.js';
import { routes } from '../../functions/routes.js';
import type { Deps } from '../../functions/runtime/deps.js';
import { systemClock } from '../../functions/shared/clock.js';
import { documentClient } from '../../functions/shared/dynamodb.js';
import { type ForkedServer, forkServer } from './forked-server.js';

/** One keygate gateway over a DynamoDB Local table that other processes share. */
export interface GatewayProcessConfig {
  endpoint: string;
  tableName: string;
  /** The signing-key file the token routes use (the process that starts the gateways creates it). */
  signingKeysPath: string;
}

/**
 * The local gateway over `config`'s table, listening on a free port of 127.0.0.1, with the token
 * routes' issuer set to its own URL: what a keygate gateway process serves (the bench's, and
 * gateway-child.ts). Throttling off unless asked: these processes are driven by a load generator.
 */
export async function serveKeygate(
  config: GatewayProcessConfig,
  options: { routeTable?: readonly GatewayRoute[]; throttles?: 'off' } = {},
): Promise<{ url: string; server: Server; deps: Deps }> {
  const ddb = documentClient(localDynamoClientConfig(config.endpoint));
  const deps: Deps = { ddb, tableName: config.tableName, clock: systemClock, config: deploymentConfig };
  const server = createGateway({ deps, routeTable: options.routeTable ?? routes, throttles: options.throttles ?? 'off' });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => done());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  deps.tokens = localTokenDeps(url, { path: config.signingKeysPath });
  return { url, server, deps };
}

const CHILD_SCRIPT = new URL('./gateway-child.ts', import.meta.url);

/**
 * A keygate gateway in a process of its own (gateway-child.ts) over a shared table: what the tests
 * that run several gateways use. `stop('SIGTERM')` is a shutdown as a platform signals it (the
 * process flushes its usage counts, then exits 0).
 */
export function startGatewayProcess(config: GatewayProcessConfig): Promise<ForkedServer<{ url: string }>> {
  return forkServer<{ url: string }>(CHILD_SCRIPT, { label: 'keygate gateway process', env: { KEYGATE_GATEWAY_PROCESS: JSON.stringify(config) } });
}
