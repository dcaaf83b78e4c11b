import { verifyKey } from '../../functions/access/verify-key.js';
import { authenticateKey } from '../../functions/keys/key-authentication.js';
import { createKey, type IssuedKey } from '../../functions/keys/key-lifecycle.js';
import type { RateLimit } from '../../functions/usage/limit-model.js';
import { fastBatch } from '../../functions/usage/limit-model.js';
import type { BenchWorld } from './bench-world.js';
import { type BenchServer, compareUnderLoad, type LoadFigures, type LoadTarget, startServer } from './http-load.js';
import type { Row } from './report.js';
import { us } from './report.js';

/**
 * Rate limits, strict next to fast next to a key without limits (functions/usage/rate-limits.ts):
 *
 * - in process: CPU per verification (verifyKey, 10 at a time, process.cpuUsage) and the DynamoDB
 *   calls of 1,000 verifications, counted on the client (a key without limits: no counter call);
 * - via the gateway at 10 connections: CPU per request in the gateway's process;
 * - overshoot: 10 connections spread over 4 keygate gateway processes (bench-server.ts) over one
 *   DynamoDB Local, verifying one key whose limit is far below the requests sent: how many were
 *   admitted beyond the limit (strict: none by construction; fast: at most (P − 1) × K).
 *
 * Limits of the CPU and write rows are never reached (1,000,000 a day), so every verification is
 * admitted and counted: the rows measure the counting, not refusals.
 */

const ORIGIN = { requestId: 'bench', sourceIp: '127.0.0.1', userAgent: 'keygate-bench' };
const ROOMY = 1_000_000;
const OVERSHOOT_LIMIT = 2_000;
const VERIFICATIONS = 1_000;

type Mode = 'none' | 'strict' | 'fast';
const MODES: readonly Mode[] = ['none', 'strict', 'fast'];

export interface RateLimitFigures {
  cpuMicros: Record<Mode, number>;
  calls: Record<Mode, { total: number; writes: number; counterCalls: number }>;
  gateway: Record<Mode, LoadFigures>;
  overshoot: Record<'strict' | 'fast', { limit: number; sent: number; admitted: number; bound: number; batch: number }>;
}

async function keysFor(world: BenchWorld, limit: number, window: string, tag: string): Promise<Record<Mode, IssuedKey>> {
  const principal = await authenticateKey(world.deps, world.keys.admin.key);
  const make = (mode: Mode) => {
    const rateLimits: RateLimit[] | undefined = mode === 'none' ? undefined : [{ limit, window, mode }];
    return createKey(world.deps, principal, {
      name: `bench-limits-${tag}-${mode}`,
      description: '',
      owner: 'bench',
      roles: [],
      permissions: ['alerts:read'],
      expiresIn: 'P30D',
      ...(rateLimits === undefined ? {} : { rateLimits }),
    });
  };
  return { none: await make('none'), strict: await make('strict'), fast: await make('fast') };
}

/** `count` verifications of `key`, `concurrency` at a time, in this process; the valid ones. */
async function verifyMany(world: BenchWorld, key: string, count: number, concurrency: number): Promise<number> {
  let next = 0;
  let valid = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        if ((await verifyKey(world.deps, { key, permission: 'alerts:read' }, ORIGIN)).valid) valid++;
      }
    }),
  );
  return valid;
}

async function inProcess(world: BenchWorld, keys: Record<Mode, IssuedKey>) {
  const cpu: Record<Mode, number[]> = { none: [], strict: [], fast: [] };
  for (const mode of MODES) await verifyMany(world, keys[mode].key, 200, 10); // warm-up, and this minute's use record
  for (let round = 0; round < 5; round++) {
    for (const mode of MODES) {
      const before = process.cpuUsage();
      await verifyMany(world, keys[mode].key, 400, 10);
      const used = process.cpuUsage(before);
      cpu[mode].push((used.user + used.system) / 400);
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  const calls = {} as RateLimitFigures['calls'];
  for (const mode of MODES) {
    world.calls.reset();
    await verifyMany(world, keys[mode].key, VERIFICATIONS, 10);
    const sent = world.calls.sent();
    const counterCalls = sent.filter((c) => /^(LIMIT|QUOTA)#/.test(String((c.input.Key as { pk?: string } | undefined)?.pk))).length;
    calls[mode] = { total: world.calls.total(), writes: world.calls.writes(), counterCalls };
  }
  return { cpuMicros: { none: median(cpu.none), strict: median(cpu.strict), fast: median(cpu.fast) }, calls };
}

const verifyTarget = (server: BenchServer, service: IssuedKey, key: IssuedKey): LoadTarget => ({
  server,
  method: 'POST',
  path: '/v1/keys/verify',
  headers: { authorization: `Bearer ${service.key}`, 'content-type': 'application/json' },
  body: JSON.stringify({ key: key.key, permission: 'alerts:read' }),
});

/**
 * 10 connections over `servers` (round robin), `sent` verifications of `key` in all; how many
 * were valid. Each answer is read, so a refusal (valid: false, rate_limited) is told apart.
 */
async function spreadLoad(servers: readonly BenchServer[], service: IssuedKey, key: IssuedKey, sent: number): Promise<number> {
  let next = 0;
  let admitted = 0;
  const body = JSON.stringify({ key: key.key, permission: 'alerts:read' });
  await Promise.all(
    Array.from({ length: 10 }, async (_, connection) => {
      const server = servers[connection % servers.length] as BenchServer;
      while (next < sent) {
        next++;
        const response = await fetch(`${server.url}/v1/keys/verify`, {
          method: 'POST',
          headers: { authorization: `Bearer ${service.key}`, 'content-type': 'application/json' },
          body,
        });
        const answer = (await response.json()) as { valid?: boolean; code?: string };
        if (response.status !== 200) throw new Error(`bench: verify answered ${response.status}`);
        if (answer.valid) admitted++;
        else if (answer.code !== 'rate_limited') throw new Error(`bench: verify refused the key (${answer.code})`);
      }
    }),
  );
  return admitted;
}

export async function rateLimitFigures(
  world: BenchWorld,
  keygate: BenchServer,
  settings: { sliceSeconds: number; rounds: number; warmupSeconds: number },
  log: (line: string) => void,
): Promise<RateLimitFigures> {
  const roomy = await keysFor(world, ROOMY, 'P1D', 'roomy');
  log('rate limits: CPU and DynamoDB calls per verification in process (no limit, strict, fast)');
  const local = await inProcess(world, roomy);

  log('rate limits: verify via the gateway at 10 connections (no limit, strict, fast)');
  const { service } = world.keys;
  const gateway = (await compareUnderLoad(
    {
      none: verifyTarget(keygate, service, roomy.none),
      strict: verifyTarget(keygate, service, roomy.strict),
      fast: verifyTarget(keygate, service, roomy.fast),
    },
    { connections: 10, rounds: settings.rounds, seconds: settings.sliceSeconds, warmupSeconds: settings.warmupSeconds },
  )) as Record<Mode, LoadFigures>;

  log('rate limits: overshoot, 10 connections over 4 gateway processes, one DynamoDB Local');
  const tight = await keysFor(world, OVERSHOOT_LIMIT, 'P1D', 'tight');
  const common = { endpoint: world.endpoint, tableName: world.tableName, signingKeysPath: world.signingKeysPath, keyIds: [] };
  const gateways = await Promise.all(Array.from({ length: 4 }, () => startServer({ ...common, kind: 'keygate' })));
  const overshoot = {} as RateLimitFigures['overshoot'];
  try {
    for (const mode of ['strict', 'fast'] as const) {
      const sent = 3 * OVERSHOOT_LIMIT;
      const admitted = await spreadLoad(gateways, service, tight[mode], sent);
      const batch = mode === 'fast' ? fastBatch(OVERSHOOT_LIMIT) : 0;
      overshoot[mode] = { limit: OVERSHOOT_LIMIT, sent, admitted, bound: OVERSHOOT_LIMIT + (gateways.length - 1) * batch, batch };
    }
  } finally {
    await Promise.all(gateways.map((server) => server.stop()));
  }
  return { ...local, gateway, overshoot };
}

/** DynamoDB on-demand, us-east-1 list price (README, Cost): $0.625 per million write units. */
const WRITE_UNIT_DOLLARS = 0.625 / 1e6;
/** Lambda arm64: $0.0000133334 per GB-second at 256 MB, per µs of CPU (taken as duration). */
const LAMBDA_DOLLARS_PER_MICRO = (0.0000133334 * 0.25) / 1e6;

export function rateLimitRows(f: RateLimitFigures): Row[] {
  const rows: Row[] = [];
  for (const mode of MODES) {
    const calls = f.calls[mode];
    const added = f.cpuMicros[mode] - f.cpuMicros.none;
    const gatewayAdded = f.gateway[mode].cpuMicrosPerRequest - f.gateway.none.cpuMicrosPerRequest;
    const counterWrites = calls.counterCalls;
    const dollars = (counterWrites / VERIFICATIONS) * 1e6 * WRITE_UNIT_DOLLARS + Math.max(0, gatewayAdded) * 1e6 * LAMBDA_DOLLARS_PER_MICRO;
    rows.push({
      measurement: `rate limit ${mode === 'none' ? 'none (a key without limits)' : `${mode} mode`}: verify in process, 10 at a time`,
      result:
        `${us(f.cpuMicros[mode])} CPU/verification${mode === 'none' ? '' : ` (+${us(added)})`}; ` +
        `${calls.total} DB calls, ${calls.writes} writes, ${counterWrites} counter calls per ${VERIFICATIONS} verifications`,
      reference:
        `gateway, 10 conn: ${f.gateway[mode].requestsPerSecond.toFixed(0)} req/s, ${us(f.gateway[mode].cpuMicrosPerRequest)} CPU/req` +
        (mode === 'none' ? '' : ` (+${us(gatewayAdded)}); added cost ≈ $${dollars.toFixed(2)} per million`),
      ratio: mode === 'none' ? null : f.gateway[mode].cpuMicrosPerRequest / f.gateway.none.cpuMicrosPerRequest,
      target: mode === 'none' ? '0 counter calls' : '',
      met: mode === 'none' ? counterWrites === 0 : null,
      must: mode === 'none',
    });
  }
  for (const mode of ['strict', 'fast'] as const) {
    const o = f.overshoot[mode];
    rows.push({
      measurement: `rate limit ${mode}: overshoot, 10 conn over 4 gateway processes, limit ${o.limit}`,
      result: `${o.admitted} admitted of ${o.sent} (overshoot ${o.admitted - o.limit})`,
      reference: mode === 'fast' ? `bound limit + (P − 1) × K = ${o.limit} + 3 × ${o.batch} = ${o.bound}` : 'exact by construction',
      ratio: null,
      target: `≤ ${o.bound}`,
      met: o.admitted <= o.bound && o.admitted >= o.limit,
      must: true,
    });
  }
  return rows;
}
