import './bench-environment.js';
import { availableParallelism, loadavg } from 'node:os';
import { relative } from 'node:path';
import { projectRoot } from '../../infra/api.js';
import { type BenchWorld, startBenchWorld } from './bench-world.js';
import { type BundleFigures, measureBundles, synthesize } from './bundles.js';
import { type BenchServer, compareUnderLoad, type LoadFigures, type LoadTarget, startServer } from './http-load.js';
import { badChecksumRefusal, keyVerificationInProcess, tokenVerification, writesPerMinute } from './in-process.js';
import { ms, type Row, renderTable, us, writeResults } from './report.js';
import { msSince } from './stats.js';

/**
 * `npm run bench`: keygate's hot paths, each next to its floor or its peer measured in the same
 * run, as ratios (absolute times on a shared 2-core machine are noise; ratios much less so).
 * Prints one table and writes the run to .keygate/bench/. See the README's "Performance".
 *
 * BENCH_SECONDS (default 1.5) sets the length of one load slice; each HTTP comparison runs three
 * slices per contender, interleaved, after a warm-up slice.
 */
const SLICE_SECONDS = Number(process.env.BENCH_SECONDS ?? 1.5);
const SETTINGS = { sliceSeconds: SLICE_SECONDS, slicesPerContender: 3, warmupSeconds: Math.max(1, SLICE_SECONDS / 2), inProcessRounds: 1_000, coldStartsPerBundle: 1 };

const TARGETS = { inProcess: 1.3, gateway: 1.5, bundleKilobytes: 300, coldStartMs: 150, useWrites: 2 };

const started = process.hrtime.bigint();

function log(line: string): void {
  process.stderr.write(`bench: ${(msSince(started) / 1000).toFixed(0).padStart(3)} s  ${line}\n`);
}

function loadLine(figures: LoadFigures): string {
  return `${figures.requestsPerSecond.toFixed(0)} req/s, p50 ${ms(figures.median)}, p99 ${ms(figures.p99)}`;
}

async function gatewayRows(world: BenchWorld, servers: { keygate: BenchServer; getitem: BenchServer }): Promise<{ rows: Row[]; raw: Record<string, Record<string, LoadFigures>> }> {
  const { service, subject } = world.keys;
  const oneRead: LoadTarget = { server: servers.getitem, method: 'GET', path: '/', headers: {} };
  const twoReads: LoadTarget = { server: servers.getitem, method: 'GET', path: '/each', headers: {} };
  const batchRead: LoadTarget = { server: servers.getitem, method: 'GET', path: '/batch', headers: {} };
  const verify: LoadTarget = {
    server: servers.keygate,
    method: 'POST',
    path: '/v1/keys/verify',
    headers: { authorization: `Bearer ${service.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ key: subject.key, permission: 'alerts:read' }),
  };
  const authorizer: LoadTarget = { server: servers.keygate, method: 'GET', path: '/demo/alerts', headers: { authorization: `Bearer ${subject.key}` } };
  const rows: Row[] = [];
  const raw: Record<string, Record<string, LoadFigures>> = {};
  for (const connections of [1, 10]) {
    log(`gateway at ${connections} connection(s)`);
    // At 10 connections also handlers reading verify's two keys (the caller's, the one it asks
    // about): one GetItem of each in turn (how verify read them before), one BatchGetItem of both (how it does now).
    const targets: Record<string, LoadTarget> = {
      getItem: oneRead,
      verify,
      authorizer,
      ...(connections === 10 ? { twoGetItems: twoReads, batchGetItem: batchRead } : {}),
    };
    const figures: Record<string, LoadFigures> = await compareUnderLoad(targets, {
      connections,
      rounds: SETTINGS.slicesPerContender,
      seconds: SETTINGS.sliceSeconds,
      warmupSeconds: SETTINGS.warmupSeconds,
    });
    const failed = Object.entries(figures).filter(([, f]) => f.failed > 0);
    if (failed.length > 0) throw new Error(`requests failed under load: ${failed.map(([name, f]) => `${name} ${f.failed}`).join(', ')}`);
    raw[`c${connections}`] = figures;
    const floor = figures.getItem as LoadFigures;
    for (const [name, label] of [
      ['verify', 'POST /v1/keys/verify'],
      ['authorizer', 'GET /demo/alerts (authorizer, uncached)'],
    ] as const) {
      const subjectFigures = figures[name] as LoadFigures;
      const ratio = subjectFigures.median / floor.median;
      rows.push({
        measurement: `gateway: ${label}, ${connections} conn`,
        result: loadLine(subjectFigures),
        reference: `GetItem handler: ${loadLine(floor)}`,
        ratio,
        target: connections === 10 ? `median ≤ ${TARGETS.gateway}×` : '',
        met: connections === 10 ? ratio <= TARGETS.gateway : null,
      });
    }
    for (const [name, against, label] of [
      ['twoGetItems', 'two GetItems in turn', 'two-GetItem handler'],
      ['batchGetItem', 'one BatchGetItem of both keys', 'BatchGetItem handler'],
    ] as const) {
      const twoKeys = figures[name];
      if (!twoKeys) continue;
      rows.push({
        measurement: `gateway: POST /v1/keys/verify, ${connections} conn, against ${against}`,
        result: loadLine(figures.verify as LoadFigures),
        reference: `${label}: ${loadLine(twoKeys)}`,
        ratio: (figures.verify as LoadFigures).median / twoKeys.median,
        target: '',
        met: null,
      });
    }
  }
  return { rows, raw };
}

async function tokenRows(world: BenchWorld, servers: { keygate: BenchServer; oidc: BenchServer; getitem: BenchServer }): Promise<{ rows: Row[]; raw: unknown }> {
  const { subject } = world.keys;
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  log('token issuance at 10 connections');
  const figures = await compareUnderLoad(
    {
      keygate: {
        server: servers.keygate,
        method: 'POST',
        path: '/oauth/token',
        headers: { authorization: `Basic ${Buffer.from(`${subject.details.id}:${subject.key}`).toString('base64')}`, ...form },
        body: 'grant_type=client_credentials',
      },
      oidcProvider: { server: servers.oidc, method: 'POST', path: '/token', headers: { authorization: servers.oidc.authorization ?? '', ...form }, body: 'grant_type=client_credentials' },
      // keygate reads the key on every exchange; oidc-provider holds its client in memory. The
      // one-read handler's CPU per request, measured alongside, shows what that read costs.
      getItem: { server: servers.getitem, method: 'GET', path: '/', headers: {} },
    },
    { connections: 10, rounds: SETTINGS.slicesPerContender, seconds: SETTINGS.sliceSeconds, warmupSeconds: SETTINGS.warmupSeconds },
  );
  const failed = Object.entries(figures).filter(([, f]) => f.failed > 0);
  if (failed.length > 0) throw new Error(`token requests failed under load: ${failed.map(([name, f]) => `${name} ${f.failed}`).join(', ')}`);
  const line = (f: LoadFigures) => `${f.requestsPerSecond.toFixed(0)} tokens/s, p50 ${ms(f.median)}, p99 ${ms(f.p99)}, ${us(f.cpuMicrosPerRequest)} CPU/token`;
  const cpuRatio = figures.keygate.cpuMicrosPerRequest / figures.oidcProvider.cpuMicrosPerRequest;
  return {
    rows: [
      {
        measurement: 'token issuance (client credentials, ES256 JWT), 10 conn',
        result: line(figures.keygate),
        reference: `oidc-provider: ${line(figures.oidcProvider)}; GetItem handler: ${us(figures.getItem.cpuMicrosPerRequest)} CPU/request (keygate beyond it: ${us(figures.keygate.cpuMicrosPerRequest - figures.getItem.cpuMicrosPerRequest)})`,
        ratio: cpuRatio,
        target: 'CPU/token ≤ 1×',
        met: cpuRatio <= 1,
      },
    ],
    raw: figures,
  };
}

async function inProcessRows(world: BenchWorld): Promise<{ rows: Row[]; raw: unknown }> {
  log('verify a key in process');
  const verification = await keyVerificationInProcess(world, SETTINGS.inProcessRounds);
  log('verify an access token');
  const token = await tokenVerification(world);
  log('refuse bad-checksum keys');
  const refusal = await badChecksumRefusal(world);
  log('lastUsedAt writes of 10,000 verifications');
  const writes = await writesPerMinute(world);
  const medianRatio = verification.verify.median / verification.getItem.median;
  const rows: Row[] = [
    {
      measurement: 'verify a key in process (verifyKey), median',
      result: ms(verification.verify.median),
      reference: `GetItem, same item and client: ${ms(verification.getItem.median)}`,
      ratio: medianRatio,
      target: `≤ ${TARGETS.inProcess}×`,
      met: medianRatio <= TARGETS.inProcess,
    },
    {
      measurement: 'verify a key in process (verifyKey), p99',
      result: ms(verification.verify.p99),
      reference: `GetItem: ${ms(verification.getItem.p99)}`,
      ratio: verification.verify.p99 / verification.getItem.p99,
      target: '',
      met: null,
    },
    {
      measurement: 'verify an access token (JWKS in memory)',
      result: `${us(token.keygateMicros)} per token`,
      reference: `jose jwtVerify alone: ${us(token.joseMicros)}`,
      ratio: token.keygateMicros / token.joseMicros,
      target: '',
      met: null,
    },
    {
      measurement: 'refuse a bad-checksum key (verifyKey)',
      result: `${us(refusal.micros)}, ${refusal.dbCalls} DB calls in ${refusal.refusals.toLocaleString('en')} refusals`,
      reference: '',
      ratio: null,
      target: '0 DB calls',
      met: refusal.dbCalls === 0,
      must: true,
    },
    {
      measurement: `DynamoDB writes, ${writes.verifications.toLocaleString('en')} verifications of one key in ${writes.spanSeconds.toFixed(0)} s`,
      result: `${writes.writes} write call(s)`,
      reference: '',
      ratio: null,
      target: `≤ ${TARGETS.useWrites}`,
      met: writes.writes <= TARGETS.useWrites,
      must: true,
    },
  ];
  return { rows, raw: { verification, token, refusal, writes } };
}

function bundleRows(bundles: readonly BundleFigures[]): Row[] {
  return bundles.map((bundle) => {
    const coldStart = bundle.importMs + (bundle.firstInvokeMs ?? 0);
    const invoked = bundle.firstInvokeMs === undefined ? 'not invoked' : `first request ${ms(bundle.firstInvokeMs)} (${bundle.outcome})`;
    return {
      measurement: `bundle ${bundle.name}`,
      result: `${bundle.kilobytes.toFixed(0)} KB; import ${ms(bundle.importMs)} + ${invoked} = ${ms(coldStart)}`,
      reference: `DynamoDB SDK import alone: ${ms(bundle.sdkImportMs)}`,
      ratio: null,
      target: `≤ ${TARGETS.bundleKilobytes} KB, ≤ ${TARGETS.coldStartMs} ms`,
      met: bundle.kilobytes <= TARGETS.bundleKilobytes && coldStart <= TARGETS.coldStartMs,
      verdict: `size ${bundle.kilobytes <= TARGETS.bundleKilobytes ? 'met' : 'missed'}, start ${coldStart <= TARGETS.coldStartMs ? 'met' : 'missed'}`,
    };
  });
}

async function main(): Promise<void> {
  const startedAt = new Date();
  // Other work on the machine moves every absolute figure; the load average says how much there was.
  const loadAtStart = loadavg()[0] ?? 0;
  log('synth of infra/app.ts (bundles every function), DynamoDB Local, servers');
  const synth = synthesize();
  synth.catch(() => {}); // awaited below; a failure before then must not be unhandled
  const world = await startBenchWorld();
  const servers: BenchServer[] = [];
  try {
    const common = { endpoint: world.endpoint, tableName: world.tableName, signingKeysPath: world.signingKeysPath, keyIds: [world.keys.subject.details.id, world.keys.service.details.id] };
    const [keygate, getitem, oidc] = await Promise.all([
      startServer({ ...common, kind: 'keygate' }),
      startServer({ ...common, kind: 'getitem' }),
      startServer({ ...common, kind: 'oidc-provider' }),
    ]);
    servers.push(keygate, getitem, oidc);
    await synth;

    const inProcess = await inProcessRows(world);
    const gateway = await gatewayRows(world, { keygate, getitem });
    const tokens = await tokenRows(world, { keygate, oidc, getitem });
    await Promise.all(servers.map((server) => server.stop()));
    log('bundle sizes and cold starts');
    const bundles = await measureBundles(world, SETTINGS.coldStartsPerBundle);

    const rows = [...inProcess.rows, ...gateway.rows, ...tokens.rows, ...bundleRows(bundles)];
    const seconds = msSince(started) / 1000;
    const file = writeResults(
      {
        startedAt: startedAt.toISOString(),
        seconds,
        machine: { node: process.version, platform: process.platform, arch: process.arch, cores: availableParallelism(), loadAverage: { atStart: loadAtStart, atEnd: loadavg()[0] ?? 0 } },
        settings: SETTINGS,
        targets: TARGETS,
        rows,
        raw: { inProcess: inProcess.raw, gateway: gateway.raw, tokens: tokens.raw, bundles },
      },
      startedAt,
    );
    console.log(
      `\nkeygate bench, ${startedAt.toISOString()}, node ${process.version}, ${availableParallelism()} cores, load average ${loadAtStart.toFixed(1)} at start and ${(loadavg()[0] ?? 0).toFixed(1)} at end, ${seconds.toFixed(0)} s\n`,
    );
    console.log(renderTable(rows));
    const missed = rows.filter((row) => row.met === false && !row.must);
    const broken = rows.filter((row) => row.met === false && row.must);
    console.log(`\n${rows.filter((row) => row.met === true).length} met, ${missed.length} missed${broken.length > 0 ? `, ${broken.length} BROKEN` : ''}; written to ${relative(projectRoot, file)}`);
    if (broken.length > 0) process.exitCode = 1;
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    await world.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
