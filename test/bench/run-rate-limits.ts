import './bench-environment.js';
import { loadavg } from 'node:os';
import { startBenchWorld } from './bench-world.js';
import { startServer } from './http-load.js';
import { rateLimitFigures, rateLimitRows } from './rate-limits.js';
import { renderTable } from './report.js';

/**
 * The rate-limit rows of `npm run bench` alone (no synth, no other rows): about a minute.
 * `node --import tsx test/bench/run-rate-limits.ts`; BENCH_SECONDS sets the load slices as in run.ts.
 */
const SLICE_SECONDS = Number(process.env.BENCH_SECONDS ?? 1.5);

async function main(): Promise<void> {
  const world = await startBenchWorld();
  const load = loadavg()[0] ?? 0;
  const common = { endpoint: world.endpoint, tableName: world.tableName, signingKeysPath: world.signingKeysPath, keyIds: [] };
  const keygate = await startServer({ ...common, kind: 'keygate' });
  try {
    const settings = { sliceSeconds: SLICE_SECONDS, rounds: 3, warmupSeconds: Math.max(1, SLICE_SECONDS / 2) };
    const figures = await rateLimitFigures(world, keygate, settings, (line) => process.stderr.write(`bench: ${line}\n`));
    console.log(`\nrate limits, ${new Date().toISOString()}, load average ${load.toFixed(1)} at start, ${(loadavg()[0] ?? 0).toFixed(1)} at end\n`);
    console.log(renderTable(rateLimitRows(figures)));
    console.log(JSON.stringify(figures, null, 1));
  } finally {
    await keygate.stop();
    await world.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
