import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { LocalSecretBox } from '../../functions/channels/secret-box.js';
import { deploymentConfig } from '../../functions/deployment-config.js';
import { type Clock, systemClock } from '../../functions/shared/clock.js';
import type { Deps } from '../../functions/runtime/deps.js';
import { documentClient } from '../../functions/shared/dynamodb.js';
import { ensureTable } from '../../dev/create-table.js';
import { localDynamoClientConfig } from '../../dev/dynamodb-local.js';
import { createGateway, type GatewayOptions, type GatewayRoute } from '../../dev/gateway.js';
import { routes } from '../../functions/routes.js';
import { guardTableAccess, requestAccess, withTableAccess } from './table-access-guard.js';

/**
 * Test support over the run's one DynamoDB Local (started by global-setup.ts). Every call of
 * `freshDeps` makes a new table, so each test sees only its own data and tests can run in
 * parallel. Clients are made once per test worker.
 */
const TEST_TIMEOUTS = { connectionTimeoutMs: 5_000, requestTimeoutMs: 10_000, deadlineMs: 15_000 };

let clients: { raw: DynamoDBClient; ddb: Deps['ddb'] } | undefined;

function localClients() {
  if (!clients) {
    const config = localDynamoClientConfig(inject('dynamoDbEndpoint'));
    // Bounded like production, but looser: the test machines are shared and often loaded, and a
    // slow answer here is not what a test is about. test/integration/database-stall.test.ts
    // checks the production timeouts against a paused DynamoDB Local.
    clients = { raw: new DynamoDBClient(config), ddb: documentClient(config, TEST_TIMEOUTS) };
    guardTableAccess(clients.ddb);
  }
  return clients;
}

export async function freshDeps(options: { clock?: Clock } = {}): Promise<Deps> {
  const { raw, ddb } = localClients();
  const tableName = `test-${randomUUID()}`;
  await ensureTable(raw, tableName);
  // Webhook signing secrets sealed as the local run seals them (AES-GCM), under a key of this test's own.
  return { ddb, tableName, clock: options.clock ?? systemClock, config: deploymentConfig, webhookSecrets: LocalSecretBox.random() };
}

/** Serves every route of the route table over `deps`, on a free port of 127.0.0.1. */
export async function startGateway(
  deps: Deps,
  routeTable?: readonly GatewayRoute[],
  options: Omit<GatewayOptions, 'deps' | 'routeTable'> = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createGateway({ ...options, deps, ...(routeTable === undefined ? {} : { routeTable }) });
  // Each request runs with its route's table grants enforced on the client (table-access-guard.ts).
  const served = routeTable ?? routes;
  for (const listener of server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[]) {
    server.off('request', listener);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const granted = requestAccess(served, req);
      if (granted === undefined) listener(req, res);
      else withTableAccess(granted.who, granted.access, () => listener(req, res));
    });
  }
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', done);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done, fail) => {
        server.close((error) => (error ? fail(error) : done()));
        server.closeAllConnections(); // fetch keeps connections alive; close() alone would wait for them
      }),
  };
}

/** A Clock that stands still until told: `advance(ms)` or `set(date)`. `now` is the clock itself. */
export interface TestClock extends Clock {
  now: Clock;
  advance(ms: number): void;
  set(date: Date): void;
}

export function testClock(start: Date): TestClock {
  let current = start.getTime();
  const clock = (() => new Date(current)) as TestClock;
  clock.now = clock;
  clock.advance = (ms) => {
    current += ms;
  };
  clock.set = (date) => {
    current = date.getTime();
  };
  return clock;
}
