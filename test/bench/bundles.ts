import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { APIGatewayProxyEventV2, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { build } from 'esbuild';
import { verifyCredential } from '../../functions/access/verify-credential.js';
import { callerContext } from '../../functions/authorizer/authorizer-context.js';
import { projectRoot } from '../../infra/api.js';
import { stackEsbuildOptions } from '../../infra/bundling.js';
import { demoRoutes } from '../../infra/demo/demo-routes.js';
import { type RouteDefinition, routes } from '../../functions/routes.js';
import type { BenchWorld } from './bench-world.js';

/**
 * Every Lambda function's bundle as the stack deploys it, and its cold start.
 *
 * The bundles come from a real synth of infra/app.ts (both stacks, as `cdk synth -c demo=true`
 * runs it): NodejsFunction runs esbuild with the stack's own options, so what is measured is
 * what is deployed. The synth runs in a child process (it loads the CDK and waits on esbuild).
 *
 * Cold start: a fresh `node` per bundle, with the environment the template gives the function
 * (NODE_OPTIONS included) pointed at DynamoDB Local and at a stand-in for Secrets Manager, times
 * the import of the bundle and its first invocation with a request of the function's kind.
 * Node's own start-up, which Lambda's runtime does before the import, is not counted.
 */
export interface BundleFigures {
  /** The construct path without the stack's "Resource" leaf, e.g. Keygate/Api/VerifyKey. */
  name: string;
  kilobytes: number;
  /** index.mjs gzip-compressed (the deployment package is a zip: about the same). */
  gzipKilobytes: number;
  importMs: number;
  /** Undefined when the bench knows no request for this function (imported only). */
  firstInvokeMs?: number;
  /** What the first invocation answered: an HTTP status, "allow"/"deny", "ok" or "threw <Error name>". */
  outcome?: string;
  /** The same request again in the same process: the function warm. */
  warmInvokeMs?: number;
  /** Import + first request in one process (the best process: importMs and firstInvokeMs may come from two). */
  coldStartMs?: number;
  /**
   * The process's CPU time over import + first request, all its threads (V8 compiles and collects
   * garbage beside the main thread): above coldStartMs when they ran in parallel, below it by the
   * waits (on DynamoDB Local, mostly) when they did not.
   */
  coldStartCpuMs?: number;
  /** The floors' import + first request (a read of one key item), in fresh processes started next to this bundle's. */
  floorMs: Record<FloorKind, number>;
}

export const CDK_OUT = join(projectRoot, '.keygate', 'bench', 'cdk.out');
/** BENCH_SYNTH_TIMEOUT_SECONDS raises it on a machine busy with other work (the synth bundles ~45 functions). */
const SYNTH_TIMEOUT_MS = Number(process.env.BENCH_SYNTH_TIMEOUT_SECONDS ?? 180) * 1000;

/** Starts the synth; await it before measuring anything else, it takes both cores. */
export function synthesize(outDir = CDK_OUT): Promise<void> {
  rmSync(outDir, { recursive: true, force: true });
  const context = (JSON.parse(readFileSync(join(projectRoot, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;
  const child = spawn(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
    cwd: projectRoot,
    env: {
      ...process.env,
      CDK_OUTDIR: outDir,
      CDK_CONTEXT_JSON: JSON.stringify({ ...context, demo: 'true', 'aws:cdk:enable-asset-metadata': true, 'aws:cdk:enable-path-metadata': true }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-8_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  return new Promise((done, fail) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), SYNTH_TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) done();
      else fail(new Error(`the synth of infra/app.ts failed (${code ?? signal}):\n${output}`));
    });
  });
}

export interface LambdaBundle {
  name: string;
  file: string;
  environment: Record<string, unknown>;
}

type TemplateResource = { Type: string; Metadata?: Record<string, unknown>; Properties: { Handler?: string; Environment?: { Variables?: Record<string, unknown> } } };

/** keygate's own functions: bundled by NodejsFunction to index.mjs (CDK's custom-resource framework is not ours). */
export function lambdaBundles(outDir = CDK_OUT): LambdaBundle[] {
  const manifest = JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8')) as { artifacts: Record<string, { type: string; properties?: { templateFile?: string } }> };
  const bundles: LambdaBundle[] = [];
  for (const artifact of Object.values(manifest.artifacts)) {
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
    const template = JSON.parse(readFileSync(join(outDir, artifact.properties.templateFile), 'utf8')) as { Resources: Record<string, TemplateResource> };
    for (const resource of Object.values(template.Resources)) {
      const assetPath = resource.Metadata?.['aws:asset:path'];
      if (resource.Type !== 'AWS::Lambda::Function' || typeof assetPath !== 'string' || resource.Properties.Handler !== 'index.handler') continue;
      const file = join(outDir, assetPath, 'index.mjs');
      if (!existsSync(file)) continue;
      const name = String(resource.Metadata?.['aws:cdk:path'] ?? assetPath).replace(/\/Resource$/, '');
      bundles.push({ name, file, environment: resource.Properties.Environment?.Variables ?? {} });
    }
  }
  return bundles.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * A template value that is not a plain string gets its local stand-in: a Ref, GetAtt or
 * ImportValue by the variable's name; an Fn::Join joins its parts, with the pseudo parameters
 * (region, URL suffix, account) resolved. PEOPLE_ISSUER (Cognito's URL) is the local stand-in.
 */
function localEnvironment(variables: Record<string, unknown>, locals: { tableName: string; issuer: string; peopleIssuer: string }): Record<string, string> {
  const pseudo: Record<string, string> = { 'AWS::Region': 'us-east-1', 'AWS::URLSuffix': 'amazonaws.com', 'AWS::AccountId': '000000000000', 'AWS::Partition': 'aws' };
  const standIn = (name: string, value: unknown): string => {
    if (typeof value === 'string') return value;
    if (name === 'PEOPLE_ISSUER') return locals.peopleIssuer;
    const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
    if (join !== undefined) return join[1].map((part, i) => standIn(`${name}_${i}`, part)).join(join[0]);
    const ref = (value as { Ref?: unknown }).Ref;
    if (typeof ref === 'string' && pseudo[ref] !== undefined) return pseudo[ref];
    if (name === 'TABLE_NAME') return locals.tableName;
    if (name === 'ISSUER_URL' || name === 'KEYGATE_ISSUER') return locals.issuer;
    if (name.endsWith('_ARN')) return `arn:aws:bench:us-east-1:000000000000:${name.toLowerCase()}`;
    return `bench-${name.toLowerCase().replaceAll('_', '-')}`;
  };
  return Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, standIn(name, value)]));
}

/**
 * Secrets Manager as the token functions and the rotation function use it: the signing-key set
 * (the bench's own, from its temporary file) for GetSecretValue, a finished rotation for
 * DescribeSecret, and an empty answer to anything else (the bootstrap's PutSecretValue). It also
 * stands in for the people's issuer (Cognito in the template): its discovery document.
 */
const ROTATION_VERSION = 'bench-version';
/** The same server is the people's OpenID issuer: the console's first request reads its discovery document. */
const PEOPLE_ISSUER_PATH = '/people';

async function startSecretsManager(keySetDocument: string): Promise<{ url: string; close(): void }> {
  const server = createServer((req, res) => {
    req.resume();
    req.once('end', () => {
      if (req.method === 'GET' && req.url === `${PEOPLE_ISSUER_PATH}/.well-known/openid-configuration`) {
        const issuer = `http://${req.headers.host}${PEOPLE_ISSUER_PATH}`;
        const endpoints = { authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks` };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer, ...endpoints }));
        return;
      }
      const operation = String(req.headers['x-amz-target'] ?? '').replace(/^secretsmanager\./, '');
      const answers: Record<string, unknown> = {
        GetSecretValue: { ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench', Name: 'bench', SecretString: keySetDocument, VersionId: ROTATION_VERSION, VersionStages: ['AWSCURRENT'] },
        DescribeSecret: { RotationEnabled: true, VersionIdsToStages: { [ROTATION_VERSION]: ['AWSCURRENT'] } },
      };
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(answers[operation] ?? {}));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

const ABSENT_ID = '0000000000000000000000';

function httpEvent(method: string, path: string, headers: Record<string, string>, body?: string, authorizer?: unknown): APIGatewayProxyEventV2 {
  const pathParameters: Record<string, string> = {};
  const rawPath = path.replace(/\{(\w+)\}/g, (_, name: string) => {
    pathParameters[name] = name === 'accountId' ? 'acct-1' : ABSENT_ID;
    return pathParameters[name] as string;
  });
  const now = new Date();
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath,
    rawQueryString: '',
    headers: { host: 'bench.local', 'user-agent': 'keygate-bench', ...headers },
    ...(Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
    requestContext: {
      accountId: 'bench',
      apiId: 'bench',
      domainName: 'bench.local',
      domainPrefix: 'bench',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'keygate-bench' },
      requestId: 'bench-cold-start',
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
      ...(authorizer === undefined ? {} : { authorizer: { lambda: authorizer } }),
    } as APIGatewayProxyEventV2['requestContext'],
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: false,
  };
}

/** The first request each function gets: the real work of its kind (a key to check, a token to issue) where the bench has one. */
async function firstRequests(world: BenchWorld): Promise<Map<string, unknown>> {
  const { admin, service, subject } = world.keys;
  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
  const json = { 'content-type': 'application/json' };
  const special: Partial<Record<string, APIGatewayProxyEventV2>> = {
    VerifyKey: httpEvent('POST', '/v1/keys/verify', { ...bearer(service.key), ...json }, JSON.stringify({ key: subject.key, permission: 'alerts:read' })),
    // A key really made (a transaction and an audit entry), not a 400 for an empty body; each
    // fresh process names its own (a name is unique per owner), see COLD_START_SCRIPT.
    CreateKey: httpEvent(
      'POST',
      '/v1/keys',
      { ...bearer(admin.key), ...json },
      JSON.stringify({ name: 'bench-cold-start-<unique>', description: '', owner: 'bench', roles: [], permissions: ['alerts:read'], expiresIn: 'P30D' }),
    ),
    IssueToken: httpEvent(
      'POST',
      '/oauth/token',
      { authorization: `Basic ${Buffer.from(`${subject.details.id}:${subject.key}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      'grant_type=client_credentials',
    ),
  };
  const requests = new Map<string, unknown>();
  for (const route of routes as readonly RouteDefinition[]) {
    const withBody = route.method === 'POST' || route.method === 'PATCH';
    requests.set(`Keygate/Api/${route.id}`, special[route.id] ?? httpEvent(route.method, route.path, { ...bearer(admin.key), ...(withBody ? json : {}) }, withBody ? '{}' : undefined));
  }
  const [demoRoute] = demoRoutes;
  if (demoRoute) {
    const authorizerEvent = { ...httpEvent(demoRoute.method, demoRoute.path, bearer(subject.key)), type: 'REQUEST' as const, cookies: [], identitySource: [`Bearer ${subject.key}`], routeArn: 'arn:aws:execute-api:us-east-1:000000000000:bench/$default/GET/demo/alerts' };
    requests.set('KeygateDemo/DemoApi/Authorizer', authorizerEvent satisfies APIGatewayRequestAuthorizerEventV2);
  }
  const context = callerContext(await verifyCredential(world.deps, { header: 'authorization', value: subject.key }));
  for (const route of demoRoutes) requests.set(`KeygateDemo/${route.id}`, httpEvent(route.method, route.path, bearer(subject.key), undefined, context));
  requests.set('Keygate/Bootstrap', { action: 'mint-admin-key' });
  requests.set('Keygate/Notifications/Notifier', { keyId: ABSENT_ID, slot: 'own', rev: 'bench' });
  requests.set('Keygate/Notifications/ScheduleSync', { Records: [] });
  requests.set('Keygate/SigningKeys/Rotation', { Step: 'finishSecret', SecretId: 'bench', ClientRequestToken: ROTATION_VERSION });
  return requests;
}

/**
 * Runs in the fresh process: plain JavaScript, so nothing but the bundle is loaded. It answers the
 * request twice: the first is the cold one, the second what the same process costs once warm (the
 * rest of the first is compiling code on first use, connecting, loading what is loaded lazily).
 * Each request's HTTP calls (an AWS operation by its X-Amz-Target, else method and path) and the
 * connections it opened are listed, through Node's diagnostics channels.
 */
const COLD_START_SCRIPT = `
const cpuAtStart = process.cpuUsage();
const started = performance.now();
const { subscribe } = await import('node:diagnostics_channel');
let calls = [];
let connections = 0;
subscribe('http.client.request.start', ({ request }) => {
  const target = request.getHeader('x-amz-target');
  calls.push(target ? String(target).replace(/^[^.]*\\./, '') : request.method + ' ' + request.path.split('?')[0]);
});
subscribe('net.client.socket', () => connections++);
const mod = await import(process.env.BENCH_BUNDLE_URL);
const imported = performance.now();
const importedAtUs = Number(process.hrtime.bigint() / 1000n);
const importCpu = process.cpuUsage(cpuAtStart);
const importCpuMs = (importCpu.user + importCpu.system) / 1000;
async function invoke(round) {
  calls = [];
  connections = 0;
  const cpuBefore = process.cpuUsage();
  const before = performance.now();
  let outcome;
  let error;
  try {
    const event = JSON.parse(process.env.BENCH_EVENT.replaceAll('<unique>', process.pid + '-' + Date.now() + '-' + round));
    const result = await mod.handler(event);
    outcome = result && typeof result === 'object' && 'statusCode' in result ? String(result.statusCode)
      : result && typeof result === 'object' && 'isAuthorized' in result ? (result.isAuthorized ? 'allow' : 'deny') : 'ok';
  } catch (thrown) {
    outcome = 'threw ' + (thrown && thrown.name);
    error = String(thrown && thrown.message).slice(0, 300);
  }
  const cpu = process.cpuUsage(cpuBefore);
  return { ms: performance.now() - before, cpuMs: (cpu.user + cpu.system) / 1000, outcome, error, calls, connections, endedAtUs: Number(process.hrtime.bigint() / 1000n) };
}
let figures = { importMs: imported - started, importCpuMs, importedAtUs, invokeMs: 0, invokeCpuMs: 0 };
if (process.env.BENCH_EVENT !== undefined) {
  const first = await invoke(1);
  // Node 20 loads its web streams (some 4 ms of CPU) on the first touch of ReadableStream.
  const webStreamsLoaded = process.moduleLoadList.includes('NativeModule internal/webstreams/readablestream');
  const second = await invoke(2);
  figures = {
    ...figures,
    invokeMs: first.ms, invokeCpuMs: first.cpuMs, outcome: first.outcome, error: first.error, calls: first.calls, connections: first.connections,
    firstAnsweredAtUs: first.endedAtUs, webStreamsLoaded,
    warmInvokeMs: second.ms, warmInvokeCpuMs: second.cpuMs, warmOutcome: second.outcome, warmCalls: second.calls, warmConnections: second.connections,
  };
}
process.send(figures, () => process.exit(0));
`;

export interface ColdStart {
  importMs: number;
  /** CPU time of this process during the import: on a busy machine a steadier figure than importMs. */
  importCpuMs: number;
  /** When the import ended, on the monotonic clock of CPU profiles (µs): what came after is the first request. */
  importedAtUs: number;
  invokeMs: number;
  /** CPU time of this process during the first invocation: the rest of invokeMs is waiting (on DynamoDB Local, mostly). */
  invokeCpuMs: number;
  outcome?: string;
  /** The message of what the first invocation threw. */
  error?: string;
  /** The HTTP calls of the first request (AWS operations by name) and the connections it opened. */
  calls?: string[];
  connections?: number;
  /** When the first request was answered (µs, as importedAtUs): what came after is the second. */
  firstAnsweredAtUs?: number;
  /** Whether the import or the first request loaded Node's web streams (ReadableStream). */
  webStreamsLoaded?: boolean;
  /** The same request again in the same process, warm. */
  warmInvokeMs?: number;
  warmInvokeCpuMs?: number;
  warmOutcome?: string;
  warmCalls?: string[];
  warmConnections?: number;
}

async function coldStart(bundle: LambdaBundle, env: Record<string, string>, event: unknown, cpuProfileDir?: string): Promise<ColdStart> {
  const profile = cpuProfileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', cpuProfileDir];
  const child: ChildProcess = spawn(process.execPath, [...profile, '--input-type=module', '-e', COLD_START_SCRIPT], {
    cwd: join(bundle.file, '..'),
    // Lambda sets LAMBDA_TASK_ROOT to the folder of the unzipped bundle (the console's files are there).
    env: { ...env, LAMBDA_TASK_ROOT: join(bundle.file, '..'), BENCH_BUNDLE_URL: pathToFileURL(bundle.file).href, ...(event === undefined ? {} : { BENCH_EVENT: JSON.stringify(event) }) },
    // stdout a pipe the bench drains, as Lambda's runtime reads a function's logs: writes never wait on a full pipe.
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout?.resume();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4_000);
  });
  const [message] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`the cold start of ${bundle.name} exited (${code}) without an answer:\n${stderr}`);
    }),
  ])) as [ColdStart];
  if (child.exitCode === null) await once(child, 'exit');
  return message;
}

/**
 * The floors of a cold start (test/bench/cold-start-floors/): a function that only reads the
 * presented key's item, once through the AWS SDK's document client (every keygate function
 * carries the SDK: none starts faster than that one) and once signed by aws4 and sent with
 * node:http (what any Node function that reads a key pays). Built with esbuild as the stack
 * builds keygate's functions (infra/bundling.ts: minified, ESM, the stack's aliases), into
 * `outDir`/bench-floors/.
 */
const FLOOR_SOURCES = { sdk: 'sdk-get-item.ts', lean: 'lean-get-item.ts' } as const;
export type FloorKind = keyof typeof FLOOR_SOURCES;
export const FLOOR_KINDS: readonly FloorKind[] = ['sdk', 'lean'];
export const FLOOR_NAMES: Readonly<Record<FloorKind, string>> = { sdk: 'SDK GetItem alone', lean: 'lean GetItem alone' };

async function buildFloors(outDir: string): Promise<Record<FloorKind, LambdaBundle>> {
  const dir = join(outDir, 'bench-floors');
  await build({
    ...stackEsbuildOptions(projectRoot),
    entryPoints: Object.fromEntries(Object.entries(FLOOR_SOURCES).map(([kind, file]) => [`${kind}/index`, join(projectRoot, 'test', 'bench', 'cold-start-floors', file)])),
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'error',
  });
  const bundle = (kind: FloorKind): LambdaBundle => ({ name: FLOOR_NAMES[kind], file: join(dir, kind, 'index.mjs'), environment: {} });
  return { sdk: bundle('sdk'), lean: bundle('lean') };
}

/** Fresh-process cold starts against the bench world: each bundle with its template's environment and its first request. */
export interface ColdStartRig {
  /** One fresh process: import `bundle`, then answer its first request if the bench has one for it. */
  start(bundle: LambdaBundle): Promise<ColdStart>;
  /** One fresh process starting a floor (built on first use): import, then one read of the subject key's item. */
  floor(kind: FloorKind): Promise<ColdStart>;
  hasRequest(bundle: LambdaBundle): boolean;
  close(): void;
}

export async function coldStartRig(world: BenchWorld, outDir = CDK_OUT, options: { cpuProfileDir?: string } = {}): Promise<ColdStartRig> {
  const secrets = await startSecretsManager(readFileSync(world.signingKeysPath, 'utf8'));
  try {
    const requests = await firstRequests(world);
    const baseEnv = {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      DYNAMODB_ENDPOINT: world.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    };
    const environment = (bundle: LambdaBundle) => ({ ...baseEnv, ...localEnvironment(bundle.environment, { tableName: world.tableName, issuer: 'http://127.0.0.1:3000', peopleIssuer: `${secrets.url}${PEOPLE_ISSUER_PATH}` }) });
    let floors: Promise<Record<FloorKind, LambdaBundle>> | undefined;
    const floorEnv = { ...baseEnv, FLOOR_TABLE: world.tableName, FLOOR_KEY_ID: world.keys.subject.details.id };
    return {
      start: (bundle) => coldStart(bundle, environment(bundle), requests.get(bundle.name), options.cpuProfileDir),
      floor: async (kind) => {
        floors ??= buildFloors(outDir);
        const start = await coldStart((await floors)[kind], floorEnv, {}, options.cpuProfileDir);
        // A floor that did not read the item measures nothing.
        if (start.outcome !== '200') throw new Error(`the ${FLOOR_NAMES[kind]} floor answered ${start.outcome}${start.error === undefined ? '' : `: ${start.error}`}`);
        return start;
      },
      hasRequest: (bundle) => requests.has(bundle.name),
      close: () => secrets.close(),
    };
  } catch (error) {
    secrets.close();
    throw error;
  }
}

/** Sizes and cold starts of every bundle; `synthesize()` must have finished. */
export async function measureBundles(world: BenchWorld, rounds: number): Promise<BundleFigures[]> {
  const rig = await coldStartRig(world);
  try {
    const figures: BundleFigures[] = [];
    for (const bundle of lambdaBundles()) {
      // The best of a few fresh processes, each next to the two floors started just before it:
      // what a start costs, less the moments the machine was busy elsewhere, and its floors at
      // those moments.
      const starts: ColdStart[] = [];
      const floors: Record<FloorKind, ColdStart[]> = { sdk: [], lean: [] };
      for (let i = 0; i < rounds; i++) {
        for (const kind of FLOOR_KINDS) floors[kind].push(await rig.floor(kind));
        starts.push(await rig.start(bundle));
      }
      const best = (of: ColdStart[], pick: (start: ColdStart) => number) => Math.min(...of.map(pick));
      const total = (start: ColdStart) => start.importMs + start.invokeMs;
      const outcome = starts[0]?.outcome;
      figures.push({
        name: bundle.name,
        kilobytes: statSync(bundle.file).size / 1024,
        gzipKilobytes: gzipSync(readFileSync(bundle.file)).length / 1024,
        importMs: best(starts, (s) => s.importMs),
        ...(!rig.hasRequest(bundle)
          ? {}
          : {
              firstInvokeMs: best(starts, (s) => s.invokeMs),
              coldStartMs: best(starts, total),
              coldStartCpuMs: best(starts, (s) => s.importCpuMs + s.invokeCpuMs),
              warmInvokeMs: best(starts, (s) => s.warmInvokeMs ?? Number.NaN),
              ...(outcome === undefined ? {} : { outcome }),
            }),
        floorMs: { sdk: best(floors.sdk, total), lean: best(floors.lean, total) },
      });
    }
    return figures;
  } finally {
    rig.close();
    // Some 20 MB of bundles and maps: the JSON keeps their sizes; `npm run synth` makes them again.
    rmSync(CDK_OUT, { recursive: true, force: true });
  }
}
