import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer } from 'node:net';
import { mintAdminKey } from '../functions/bootstrap/admin-key.js';
import type { DynamoDbLocal } from './dynamodb-local.js';
import { join } from 'node:path';
import { localDynamoClientConfig } from './dynamodb-local.js';
import { localDemoRoutes } from './local-demo.js';
import { routes } from '../functions/routes.js';
import { createGateway } from './gateway.js';
import { flushUsage } from '../functions/usage/usage-counts.js';
import { type Throttles, throttlesFromSettings } from '../functions/contract/throttles.js';
import { buildConsole, CONSOLE_DIST } from '../console/build.js';
import { deploymentConfig } from '../functions/deployment-config.js';
import { personTrust } from '../functions/access/person-credential.js';
import { type IdentityProvider, startIdentityProvider } from './identity-provider.js';
import { localScheduleRoutes } from './local-schedule-route.js';
import { type LocalNotifications, localNotificationDeps, startLocalNotifications } from './local-notifications.js';
import { LOCAL_KEY_ISSUER, localTokenDeps } from './local-tokens.js';
import { ADMIN_KEY_FILE, displayPath, LocalRunError, LOCAL_DIR, openLocalData, runCommand, saveAdminKey, showAdminKey } from './local-data.js';

/**
 * `npm start`: keygate on a laptop. The handlers of the route table behind the local gateway,
 * over DynamoDB Local with its data in `.keygate/`. The first run mints the admin key.
 */
const HOST = '127.0.0.1';

interface Running {
  server: Server;
  identityProvider: IdentityProvider;
  consoleBuildMs: number;
  dynamoDb: DynamoDbLocal;
  notifications: LocalNotifications;
}

/** Where notification emails go: one file per message. */
const OUTBOX_DIR = join(LOCAL_DIR, 'outbox');
/** How often due notifications are looked for (and key changes synced to schedules). */
const NOTIFICATION_TICK_MS = 1_000;

/** integrationRateLimit → INTEGRATION_RATE_LIMIT */
const environmentName = (setting: string) => setting.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();

/**
 * The stage throttling the deployed stack has (functions/contract/throttles.ts), changed like the
 * deploy's `-c integrationRateLimit=...` with INTEGRATION_RATE_LIMIT=... (and the other three), or
 * THROTTLE=off.
 */
function throttlesFromEnvironment(): Throttles | 'off' {
  if (process.env.THROTTLE === 'off') return 'off';
  try {
    return throttlesFromSettings((name) => process.env[environmentName(name)], environmentName);
  } catch (error) {
    throw new LocalRunError((error as Error).message);
  }
}

function portFromEnvironment(): number {
  const text = process.env.PORT ?? '3000';
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) throw new LocalRunError(`PORT must be a port number from 1 to 65535, not "${text}"`);
  return port;
}

/** The development identity provider listens on the port after keygate's (IDP_PORT to choose another). */
function idpPort(port: number): number {
  const text = process.env.IDP_PORT;
  if (text === undefined) return port + 1;
  const chosen = Number(text);
  if (!/^\d+$/.test(text) || chosen < 1 || chosen > 65535) throw new LocalRunError(`IDP_PORT must be a port number from 1 to 65535, not "${text}"`);
  return chosen;
}

function portInUse(port: number): LocalRunError {
  return new LocalRunError(`${HOST}:${port} is already in use (another keygate?): stop it, or run on another port with PORT=${port + 1} npm start`);
}

/** Fails fast, before DynamoDB Local starts or a first admin key is minted. */
async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((done, fail) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => fail(error.code === 'EADDRINUSE' ? portInUse(port) : error));
    probe.listen(port, HOST, () => probe.close(() => done()));
  });
}

async function start(port: number): Promise<Running> {
  const throttles = throttlesFromEnvironment();
  await assertPortFree(port);
  const { deps, dynamoDb } = await openLocalData();
  try {
    if (!existsSync(ADMIN_KEY_FILE)) {
      const admin = await mintAdminKey(deps);
      saveAdminKey(admin.key);
      console.log(`\n${showAdminKey('First run: keygate minted an admin key', admin)}\nLost or expired? Stop keygate and run: npm run admin:mint`);
    }
    // The token endpoints' issuer is this gateway; their signing keys live in .keygate/. JWT-format
    // keys name a fixed issuer instead, so they keep working when PORT changes.
    // Expiry notifications: the local Scheduler stand-in keeps its schedules in DynamoDB Local.
    const localDeps = { ...deps, notifications: localNotificationDeps(deps, OUTBOX_DIR) };
    // The console: built from console/src (esbuild, a fraction of a second), served on /console;
    // people sign in at the development identity provider on the next port (loopback only).
    const { ms: consoleBuildMs } = await buildConsole();
    const identityProvider = await startIdentityProvider({ host: HOST, port: idpPort(port), consoleUrl: `http://${HOST}:${port}/console` }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE') throw error;
      throw new LocalRunError(`${HOST}:${idpPort(port)} (the local identity provider) is already in use: stop what holds it, or choose another port with IDP_PORT=...`);
    });
    const people = personTrust(identityProvider.issuer, identityProvider.clientId, deploymentConfig.people);
    // The demo API (infra/demo) is served too, behind the keygate authorizer: see README.
    const server = createGateway({
      deps: { ...localDeps, tokens: localTokenDeps(`http://${HOST}:${port}`, { keyIssuer: LOCAL_KEY_ISSUER }), people, consoleAssets: CONSOLE_DIST },
      // DELETE /dev/schedules/{name}: delete a schedule as in the AWS console (dev/local-schedule-route.ts).
      routeTable: [...routes, ...localDemoRoutes(), ...localScheduleRoutes()],
      throttles,
    });
    await new Promise<void>((done, fail) => {
      server.once('error', (error: NodeJS.ErrnoException) => fail(error.code === 'EADDRINUSE' ? portInUse(port) : error));
      server.listen(port, HOST, () => done());
    });
    const notifications = await startLocalNotifications(localDeps, {
      clientConfig: localDynamoClientConfig(dynamoDb.endpoint),
      intervalMs: NOTIFICATION_TICK_MS,
      log: (line) => console.log(line),
    });
    return { server, dynamoDb, notifications, identityProvider, consoleBuildMs };
  } catch (error) {
    await dynamoDb.stop();
    throw error;
  }
}

/** Lines that run as printed in bash, from the directory npm was run in. */
function tryItLines(base: string): string[] {
  const field = (name: string) => `node -pe 'JSON.parse(require("fs").readFileSync(0)).${name}'`;
  const body = '{"name":"my-first-key","owner":"alice","permissions":["alerts:read"],"expiresIn":"P30D"}';
  return [
    `export KG_ADMIN=$(cat ${displayPath(ADMIN_KEY_FILE)})`,
    `CREATED=$(curl -s -X POST ${base}/v1/keys -H "Authorization: Bearer $KG_ADMIN" -H 'Content-Type: application/json' -d '${body}'); echo "$CREATED"`,
    `KEY=$(echo "$CREATED" | ${field('key')}); KEY_ID=$(echo "$CREATED" | ${field('id')})`,
    `curl -s ${base}/v1/catalog -H "Authorization: Bearer $KEY" -w '\\n'`,
    `curl -s ${base}/v1/keys -H "Authorization: Bearer $KG_ADMIN" -w '\\n'`,
    `curl -s -X DELETE ${base}/v1/keys/$KEY_ID -H "Authorization: Bearer $KG_ADMIN" -w '%{http_code}\\n'`,
  ];
}

async function main(): Promise<void> {
  const port = portFromEnvironment();
  const starting = start(port);

  // Ctrl-C, SIGTERM, SIGHUP (terminal closed) or the parent gone (npm passes SIGTERM to its
  // `sh`, which dies without passing it on): let a start in progress finish, then close the
  // server and stop DynamoDB Local, so no Java process outlives us. A second signal gives up.
  let stopping = false;
  const stop = async () => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log('\nStopping keygate...');
    const running = await starting.catch(() => undefined);
    if (running) {
      running.server.close();
      running.server.closeAllConnections();
      // The usage counts this process holds (functions/usage/usage-counts.ts), while DynamoDB Local still runs.
      await flushUsage();
      await running.identityProvider.close();
      await running.notifications.stop();
      await running.dynamoDb.stop();
    }
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stop);
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void stop();
  }, 1_000).unref();

  const running = await starting;
  if (stopping) return;
  const base = `http://${HOST}:${port}`;
  console.log(
    [
      '',
      `keygate is running at ${base} (data in ${displayPath(LOCAL_DIR)}, ready in ${(performance.now() / 1000).toFixed(1)} s).`,
      '',
      'Try it: create a key for alice, call the API with it, list the keys, delete it (bash):',
      '',
      ...tryItLines(base).map((line) => `  ${line}`),
      '',
      `Console: ${base}/console (built in ${running.consoleBuildMs.toFixed(0)} ms). Sign in at the local development identity provider (${running.identityProvider.issuer}, for this local run only) as:`,
      ...running.identityProvider.users.map((u) => `  ${u.email}  password ${u.password}  (${u.role})`),
      '',
      `Expiry notifications fire from here: email goes to ${displayPath(OUTBOX_DIR)}/, webhooks are sent, operator messages are in GET /v1/operator-messages.`,
      '',
      'Ctrl-C stops keygate.',
    ].join('\n'),
  );
}

runCommand(main);
