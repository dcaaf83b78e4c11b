import './bench-environment.js';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BatchGetCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { deploymentConfig } from '../../functions/deployment-config.js';
import { systemClock } from '../../functions/shared/clock.js';
import type { Deps } from '../../functions/runtime/deps.js';
import { documentClient } from '../../functions/shared/dynamodb.js';
import { settingsFor } from '../../functions/signing/token-settings.js';
import { localDemoRoutes } from '../../dev/local-demo.js';
import { localDynamoClientConfig } from '../../dev/dynamodb-local.js';
import { routes } from '../../functions/routes.js';
import { echoRoutes } from '../support/echo-route.js';
import { serveKeygate } from '../support/gateway-process.js';
import { leanFloor } from './lean-floor.js';

/**
 * One HTTP server of the bench, in a process of its own so that the load generator does not share
 * its event loop and its CPU time can be read alone (process.cpuUsage, asked for over IPC):
 *
 *   keygate        the local gateway: every route, the demo API behind the authorizer with its
 *                  decision cache off (each request runs the authorizer, as on a cache miss), and
 *                  the test Echo route (GET /echo/{id}: the gateway's own cost, no handler work)
 *   getitem        the floors, on node:http: GET /lean one consistent GetItem of a key item and
 *                  GET /lean-batch one consistent BatchGetItem of both keys, each a pre-signed
 *                  request replayed over keep-alive (lean-floor.ts: the physical floor); GET / the
 *                  same GetItem, GET /each one GetItem of each key in turn and GET /batch the
 *                  BatchGetItem through the AWS SDK's document client (the SDK floor);
 *                  GET /nothing answers without reading (node:http's own cost)
 *   oidc-provider  the peer: a certified OAuth server issuing ES256 JWT access tokens by client
 *                  credentials, its client and keys in memory
 */
export type ServerKind = 'keygate' | 'getitem' | 'oidc-provider';

export interface ServerConfig {
  kind: ServerKind;
  endpoint: string;
  tableName: string;
  /** keygate: the signing-key file the bench process created. */
  signingKeysPath: string;
  /** getitem: the keys whose items are read (GET / reads the first). */
  keyIds: string[];
}

export type ServerMessage = { ready: { url: string; authorization?: string } } | { cpuMicros: number };

function deps(config: ServerConfig): Deps {
  return { ddb: documentClient(localDynamoClientConfig(config.endpoint)), tableName: config.tableName, clock: systemClock, config: deploymentConfig };
}

function listen(server: Server): Promise<string> {
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => done(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

async function keygate(config: ServerConfig): Promise<{ url: string }> {
  // Throttling off: the bench measures the code, and the deployed buckets (1,000 rps on verify) would cap the load.
  const routeTable = [...routes, ...localDemoRoutes({ cacheTtlSeconds: 0 }), ...echoRoutes];
  const { url } = await serveKeygate(config, { routeTable, throttles: 'off' });
  return { url };
}

async function getItem(config: ServerConfig): Promise<{ url: string }> {
  const { ddb, tableName } = deps(config);
  const readKey = (keyId: string) => ddb.send(new GetCommand({ TableName: tableName, Key: { pk: `KEY#${keyId}`, sk: 'KEY' }, ConsistentRead: true }));
  const readAll = async (keyIds: readonly string[]) => {
    let found = true;
    for (const keyId of keyIds) found = (await readKey(keyId)).Item !== undefined && found;
    return found;
  };
  // The bench's table is idle: no key is left unprocessed, so no retry.
  const readBatch = async () => {
    const Keys = config.keyIds.map((keyId) => ({ pk: `KEY#${keyId}`, sk: 'KEY' }));
    const { Responses } = await ddb.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys, ConsistentRead: true } } }));
    return Responses?.[tableName]?.length === Keys.length;
  };
  const lean = await leanFloor(config.endpoint, tableName, config.keyIds);
  const read = (path: string | undefined): Promise<boolean> => {
    switch (path) {
      case '/lean':
        return lean.getItem();
      case '/lean-batch':
        return lean.batchGetItem();
      case '/nothing':
        return Promise.resolve(true);
      case '/batch':
        return readBatch();
      case '/each':
        return readAll(config.keyIds);
      default:
        return readAll(config.keyIds.slice(0, 1));
    }
  };
  const server = createServer((req, res) => {
    req.resume();
    read(req.url).then(
      (found) => res.writeHead(found ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify({ found })),
      () => res.writeHead(500).end(),
    );
  });
  return { url: await listen(server) };
}

/** Same audience, lifetime and algorithm as keygate's tokens; the client secret never leaves this process but in the header. */
async function oidcProvider(): Promise<{ url: string; authorization: string }> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'bench', alg: 'ES256', use: 'sig' };
  const clientSecret = randomBytes(32).toString('base64url');
  const { audience, lifetimeSeconds } = settingsFor(deploymentConfig.tokens);
  const server = createServer();
  const url = await listen(server);
  const provider = new Provider(url, {
    clients: [
      {
        client_id: 'bench',
        client_secret: clientSecret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'ES256',
      },
    ],
    jwks: { keys: [jwk] },
    scopes: ['alerts:read', 'cases:read'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        getResourceServerInfo: () => ({
          scope: 'alerts:read cases:read',
          audience,
          accessTokenFormat: 'jwt',
          accessTokenTTL: lifetimeSeconds,
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
  });
  server.on('request', provider.callback());
  return { url, authorization: `Basic ${Buffer.from(`bench:${clientSecret}`).toString('base64')}` };
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env.BENCH_SERVER ?? '{}') as ServerConfig;
  const send = (message: ServerMessage) => process.send?.(message);
  process.on('message', () => {
    const { user, system } = process.cpuUsage();
    send({ cpuMicros: user + system });
  });
  process.on('disconnect', () => process.exit(0));
  const started = config.kind === 'keygate' ? await keygate(config) : config.kind === 'getitem' ? await getItem(config) : await oidcProvider();
  send({ ready: started });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
