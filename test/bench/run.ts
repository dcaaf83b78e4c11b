import './bench-environment.js';
import { availableParallelism, loadavg } from 'node:os';
import { relative } from 'node:path';
import { projectRoot } from '../../infra/api.js';
import { type BenchWorld, startBenchWorld } from './bench-world.js';
import { type BundleFigures, FLOOR_NAMES, measureBundles, synthesize } from './bundles.js';
import { type BenchServer, compareUnderLoad, type LoadFigures, type LoadTarget, startServer } from './http-load.js';
import { badChecksumRefusal, keyVerificationInProcess, tokenVerification, writesPerMinute } from './in-process.js';
import { rateLimitFigures, rateLimitRows } from './rate-limits.js';
import { ms, type Row, renderTable, us, writeResults } from './report.js';
import { msSince, summarize } from './stats.js';

/**
 * `npm run bench`: keygate's hot paths, each next to its floor or its peer measured in the same
 * run, as ratios (absolute times on a shared 2-core machine are noise; ratios much less so).
 * Prints one table and writes the run to .keygate/bench/. See the README's "Performance".
 *
 * BENCH_SECONDS (default 1.5) sets the length of one load slice; each HTTP comparison runs three
 * slices per contender, interleaved, after a warm-up slice.
 */
const SLICE_SECONDS = Number(process.env.BENCH_SECONDS ?? 1.5);
const SETTINGS = { sliceSeconds: SLICE_SECONDS, slicesPerContender: 3, warmupSeconds: Math.max(1, SLICE_SECONDS / 2), inProcessRounds: 1_000, coldStartsPerBundle: 3 };

/** Ratios against the lean floor (lean-floor.ts) or the peer, measured in the same run; sizes gzip-compressed. */
const TARGETS = { inProcess: 1.5, gateway: 1.5, tokenCpu: 1.5, bundleGzipKilobytes: 250, coldStartMs: 120, useWrites: 2 };

const started = process.hrtime.bigint();

function log(line: string): void {
  process.stderr.write(`bench: ${(msSince(started) / 1000).toFixed(0).padStart(3)} s  ${line}\n`);
}

function loadLine(figures: LoadFigures): string {
  return `${figures.requestsPerSecond.toFixed(0)} req/s, p50 ${ms(figures.median)}, p99 ${ms(figures.p99)}`;
}

async function gatewayRows(world: BenchWorld, servers: { keygate: BenchServer; getitem: BenchServer }): Promise<{ rows: Row[]; raw: Record<string, Record<string, LoadFigures>> }> {
  const { service, subject } = world.keys;
  const floor = (path: string): LoadTarget => ({ server: servers.getitem, method: 'GET', path, headers: {} });
  const verify: LoadTarget = {
    server: servers.keygate,
    method: 'POST',
    path: '/v1/keys/verify',
    headers: { authorization: `Bearer ${service.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ key: subject.key, permission: 'alerts:read' }),
  };
  const authorizer: LoadTarget = { server: servers.keygate, method: 'GET', path: '/demo/alerts', headers: { authorization: `Bearer ${subject.key}` } };
  // The gateway alone: the test Echo route told what to answer, so no handler work but parsing one small header.
  const gatewayAlone: LoadTarget = { server: servers.keygate, method: 'GET', path: '/echo/bench', headers: { 'x-echo-reply': '{"statusCode":200,"body":"{}"}' } };
  const rows: Row[] = [];
  const raw: Record<string, Record<string, LoadFigures>> = {};
  for (const connections of [1, 10]) {
    log(`gateway at ${connections} connection(s)`);
    // verify reads two keys (the caller's, the one it asks about) in one BatchGetItem; the
    // authorizer one key with one GetItem. Each is compared with a handler doing just that read,
    // lean (pre-signed, replayed) and through the SDK; at 10 connections also with the gateway alone.
    const targets: Record<string, LoadTarget> = {
      leanGetItem: floor('/lean'),
      leanBatchGetItem: floor('/lean-batch'),
      getItem: floor('/'),
      batchGetItem: floor('/batch'),
      verify,
      authorizer,
      ...(connections === 10 ? { gatewayAlone, nothing: floor('/nothing') } : {}),
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
    const at = (name: string) => figures[name] as LoadFigures;
    for (const [name, label, lean, sdk, read] of [
      ['verify', 'POST /v1/keys/verify', 'leanBatchGetItem', 'batchGetItem', 'BatchGetItem'],
      ['authorizer', 'GET /demo/alerts (authorizer, uncached)', 'leanGetItem', 'getItem', 'GetItem'],
    ] as const) {
      const ratio = at(name).median / at(lean).median;
      rows.push({
        measurement: `gateway: ${label}, ${connections} conn`,
        result: `${loadLine(at(name))}, ${us(at(name).cpuMicrosPerRequest)} CPU/req`,
        reference: `lean ${read} handler: ${loadLine(at(lean))}, ${us(at(lean).cpuMicrosPerRequest)} CPU/req; SDK ${read} handler: p50 ${ms(at(sdk).median)} (${ratioText(at(name).median / at(sdk).median)})`,
        ratio,
        target: connections === 10 ? `median ≤ ${TARGETS.gateway}× lean` : '',
        met: connections === 10 ? ratio <= TARGETS.gateway : null,
      });
    }
    if (connections === 10) {
      const gateway = at('gatewayAlone');
      const nothing = at('nothing');
      rows.push({
        measurement: 'local gateway alone (Echo route, no handler work), 10 conn',
        result: `${loadLine(gateway)}, ${us(gateway.cpuMicrosPerRequest)} CPU/req`,
        reference: `node:http answering at once: ${loadLine(nothing)}, ${us(nothing.cpuMicrosPerRequest)} CPU/req`,
        ratio: gateway.median / nothing.median,
        target: '',
        met: null,
      });
    }
  }
  return { rows, raw };
}

const ratioText = (value: number) => `${value.toFixed(2)}×`;

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
      // lean one-read handler's CPU per request, measured alongside, shows what that read costs.
      leanGetItem: { server: servers.getitem, method: 'GET', path: '/lean', headers: {} },
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
        reference: `oidc-provider: ${line(figures.oidcProvider)}; lean GetItem handler: ${us(figures.leanGetItem.cpuMicrosPerRequest)} CPU/request (keygate beyond it: ${us(figures.keygate.cpuMicrosPerRequest - figures.leanGetItem.cpuMicrosPerRequest)})`,
        ratio: cpuRatio,
        target: `CPU/token ≤ ${TARGETS.tokenCpu}×`,
        met: cpuRatio <= TARGETS.tokenCpu,
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
  const medianRatio = verification.verify.median / verification.leanGetItem.median;
  const rows: Row[] = [
    {
      measurement: 'verify a key in process (verifyKey), median',
      result: ms(verification.verify.median),
      reference: `lean GetItem (pre-signed, replayed): ${ms(verification.leanGetItem.median)}; SDK GetItem: ${ms(verification.getItem.median)} (${ratioText(verification.verify.median / verification.getItem.median)})`,
      ratio: medianRatio,
      target: `≤ ${TARGETS.inProcess}× lean`,
      met: medianRatio <= TARGETS.inProcess,
    },
    {
      measurement: 'verify a key in process (verifyKey), p99',
      result: ms(verification.verify.p99),
      reference: `lean GetItem: ${ms(verification.leanGetItem.p99)}; SDK GetItem: ${ms(verification.getItem.p99)}`,
      ratio: verification.verify.p99 / verification.leanGetItem.p99,
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
      // The usage counts are written by a flush every usage.flushIntervalSeconds of real time, not per verification: apart.
      measurement: `DynamoDB writes caused by ${writes.verifications.toLocaleString('en')} verifications of one key in ${writes.spanSeconds.toFixed(0)} s (all but usage-count flushes)`,
      result: `${writes.writes} write call(s), ${writes.useRecords} of them use records (lastUsedAt)`,
      reference: `usage-count writes meanwhile (a flush every ${world.deps.config.usage.flushIntervalSeconds} s of real time): ${writes.usageWrites}`,
      ratio: null,
      target: `≤ ${TARGETS.useWrites}`,
      met: writes.writes <= TARGETS.useWrites,
      must: true,
    },
  ];
  return { rows, raw: { verification, token, refusal, writes } };
}

/** Import + first request; the import alone for a function the bench has no request for. */
const coldStartOf = (bundle: BundleFigures) => bundle.coldStartMs ?? bundle.importMs;

function bundleRows(bundles: readonly BundleFigures[]): Row[] {
  return bundles.map((bundle) => {
    const coldStart = coldStartOf(bundle);
    const invoked = bundle.firstInvokeMs === undefined ? 'not invoked' : `first request ${ms(bundle.firstInvokeMs)} (${bundle.outcome}; warm second ${ms(bundle.warmInvokeMs ?? Number.NaN)})`;
    return {
      measurement: `bundle ${bundle.name}`,
      result: `${bundle.gzipKilobytes.toFixed(0)} KB gzip (${bundle.kilobytes.toFixed(0)} KB); import ${ms(bundle.importMs)} + ${invoked}; cold start ${ms(coldStart)}${bundle.coldStartCpuMs === undefined ? '' : ` (CPU ${ms(bundle.coldStartCpuMs)})`}`,
      reference: `cold start of ${FLOOR_NAMES.sdk}: ${ms(bundle.floorMs.sdk)}, ${FLOOR_NAMES.lean}: ${ms(bundle.floorMs.lean)}`,
      // Against the SDK floor: every function carries the SDK.
      ratio: coldStart / bundle.floorMs.sdk,
      target: `≤ ${TARGETS.bundleGzipKilobytes} KB gzip, ≤ ${TARGETS.coldStartMs} ms`,
      met: bundle.gzipKilobytes <= TARGETS.bundleGzipKilobytes && coldStart <= TARGETS.coldStartMs,
      verdict: `size ${bundle.gzipKilobytes <= TARGETS.bundleGzipKilobytes ? 'met' : 'missed'}, start ${coldStart <= TARGETS.coldStartMs ? 'met' : 'missed'}`,
    };
  });
}

/** The cold starts in one row: how many functions meet the target, and the floors over the whole run. */
function coldStartSummary(bundles: readonly BundleFigures[]): Row {
  const median = (of: number[]) => summarize(of).median;
  const starts = bundles.map(coldStartOf);
  const met = starts.filter((start) => start <= TARGETS.coldStartMs).length;
  const sdkFloor = median(bundles.map((bundle) => bundle.floorMs.sdk));
  const leanFloor = median(bundles.map((bundle) => bundle.floorMs.lean));
  return {
    measurement: 'cold start, every function (import + first request, fresh process)',
    result: `median ${ms(median(starts))}, ${ms(Math.min(...starts))}–${ms(Math.max(...starts))}; met by ${met} of ${bundles.length}`,
    reference: `${FLOOR_NAMES.sdk} median ${ms(sdkFloor)}, ${FLOOR_NAMES.lean} ${ms(leanFloor)}`,
    ratio: median(starts) / sdkFloor,
    target: `≤ ${TARGETS.coldStartMs} ms each`,
    met: met === bundles.length,
    verdict: `${met === bundles.length ? 'met' : 'missed'}; the SDK floor ${sdkFloor <= TARGETS.coldStartMs ? 'meets' : 'misses'} it`,
  };
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
    const limitSettings = { sliceSeconds: SETTINGS.sliceSeconds, rounds: SETTINGS.slicesPerContender, warmupSeconds: SETTINGS.warmupSeconds };
    const limits = await rateLimitFigures(world, keygate, limitSettings, log);
    await Promise.all(servers.map((server) => server.stop()));
    log('bundle sizes and cold starts');
    const bundles = await measureBundles(world, SETTINGS.coldStartsPerBundle);

    const rows = [...inProcess.rows, ...gateway.rows, ...tokens.rows, ...rateLimitRows(limits), ...bundleRows(bundles), coldStartSummary(bundles)];
    const seconds = msSince(started) / 1000;
    const file = writeResults(
      {
        startedAt: startedAt.toISOString(),
        seconds,
        machine: { node: process.version, platform: process.platform, arch: process.arch, cores: availableParallelism(), loadAverage: { atStart: loadAtStart, atEnd: loadavg()[0] ?? 0 } },
        settings: SETTINGS,
        targets: TARGETS,
        rows,
        raw: { inProcess: inProcess.raw, gateway: gateway.raw, tokens: tokens.raw, rateLimits: limits, bundles },
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
