import type { ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';
import type { ServerConfig, ServerMessage } from './bench-server.js';
import { type Summary, summarize } from './stats.js';
import { forkServer } from '../support/forked-server.js';

/** A bench server in its own process (bench-server.ts), and its CPU time so far. */
export interface BenchServer {
  url: string;
  /** The peer's client credentials header (oidc-provider only); never printed. */
  authorization?: string;
  cpuMicros(): Promise<number>;
  stop(): Promise<void>;
}

const SERVER_SCRIPT = new URL('./bench-server.ts', import.meta.url);

/** `cpuProfileDir`: the server runs under --cpu-prof and writes its profile there when stopped. */
export async function startServer(config: ServerConfig, options: { cpuProfileDir?: string } = {}): Promise<BenchServer> {
  const profile = options.cpuProfileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`];
  const server = await forkServer<{ url: string; authorization?: string }>(SERVER_SCRIPT, {
    label: `bench server ${config.kind}`,
    env: { BENCH_SERVER: JSON.stringify(config) },
    execArgv: profile,
  });
  return {
    ...server.ready,
    cpuMicros: () => cpuMicros(server.child),
    // Disconnecting makes the server exit by itself (so a --cpu-prof profile is written); SIGTERM if it does not.
    stop: async () => {
      await server.stop();
    },
  };
}

function cpuMicros(child: ChildProcess): Promise<number> {
  return new Promise((done) => {
    const answer = (message: ServerMessage) => {
      if (!('cpuMicros' in message)) return;
      child.off('message', answer);
      done(message.cpuMicros);
    };
    child.on('message', answer);
    child.send('cpu');
  });
}

/** One kind of request against one server. */
export interface LoadTarget {
  server: BenchServer;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

interface Slice {
  latencies: number[];
  ok: number;
  failed: number;
  seconds: number;
  cpuMicros: number;
}

/** autocannon for `seconds` at `connections`; every answer's latency is kept (autocannon's own histogram rounds to whole ms). */
async function slice(target: LoadTarget, connections: number, seconds: number): Promise<Slice> {
  const latencies: number[] = [];
  let ok = 0;
  let failed = 0;
  const cpuBefore = await target.server.cpuMicros();
  const started = process.hrtime.bigint();
  let instance: autocannon.Instance | undefined;
  const finished = new Promise<autocannon.Result>((done, fail) => {
    instance = autocannon(
      {
        url: `${target.server.url}${target.path}`,
        method: target.method,
        headers: target.headers,
        ...(target.body === undefined ? {} : { body: target.body }),
        connections,
        duration: seconds,
      },
      (error, result) => (error ? fail(error) : done(result)),
    );
  });
  // autocannon 9 emits (client, statusCode, bytes, responseTime); @types/autocannon still types it without the client.
  (instance as NodeJS.EventEmitter).on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode >= 200 && statusCode < 300) {
      ok++;
      latencies.push(responseTime);
    } else failed++;
  });
  const result = await finished;
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuAfter = await target.server.cpuMicros();
  return { latencies, ok, failed: failed + result.errors + result.timeouts, seconds: elapsed, cpuMicros: cpuAfter - cpuBefore };
}

export interface LoadFigures extends Summary {
  requestsPerSecond: number;
  /** Server process CPU (user + system) per successful request, in µs. */
  cpuMicrosPerRequest: number;
  failed: number;
}

/**
 * Loads each target in turn, `rounds` slices of `seconds` each after one warm-up slice per
 * target, so drift on the machine spreads evenly over subject and reference.
 */
export async function compareUnderLoad<K extends string>(
  targets: Record<K, LoadTarget>,
  { connections, rounds, seconds, warmupSeconds }: { connections: number; rounds: number; seconds: number; warmupSeconds: number },
): Promise<Record<K, LoadFigures>> {
  const names = Object.keys(targets) as K[];
  for (const name of names) await slice(targets[name], connections, warmupSeconds);
  const slices = Object.fromEntries(names.map((name) => [name, [] as Slice[]])) as Record<K, Slice[]>;
  for (let round = 0; round < rounds; round++) {
    for (const name of names) slices[name].push(await slice(targets[name], connections, seconds));
  }
  return Object.fromEntries(
    names.map((name) => {
      const all = slices[name];
      const ok = all.reduce((sum, s) => sum + s.ok, 0);
      const figures: LoadFigures = {
        ...summarize(all.flatMap((s) => s.latencies)),
        requestsPerSecond: ok / all.reduce((sum, s) => sum + s.seconds, 0),
        cpuMicrosPerRequest: all.reduce((sum, s) => sum + s.cpuMicros, 0) / ok,
        failed: all.reduce((sum, s) => sum + s.failed, 0),
      };
      return [name, figures];
    }),
  ) as Record<K, LoadFigures>;
}
