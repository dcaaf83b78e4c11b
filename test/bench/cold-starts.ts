import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startBenchWorld } from './bench-world.js';
import { type ColdStart, type ColdStartRig, coldStartRig, FLOOR_KINDS, FLOOR_NAMES, type FloorKind, type LambdaBundle, lambdaBundles, synthesize } from './bundles.js';

/**
 * Cold starts only, without the rest of `npm run bench`: fresh processes per bundle, as the bench
 * measures them, several per bundle, medians and spread. Compares synths side by side: give
 * several cdk.out folders (say one synthesized on main and one on a branch) and each round starts
 * every folder's bundle in turn, so a busy moment of the machine falls on all of them alike.
 *
 *   node --import tsx test/bench/cold-starts.ts --synth .keygate/bench/after [--rounds 9] [--only VerifyKey,Authorizer]
 *   node --import tsx test/bench/cold-starts.ts .keygate/bench/before .keygate/bench/after
 *
 * `--synth DIR` synthesizes infra/app.ts (both stacks) into DIR first (the bench's own synth).
 * The folders are left in place; delete them when done.
 */
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { synth: { type: 'string' }, rounds: { type: 'string', default: '7' }, only: { type: 'string' } },
});
const rounds = Number(values.rounds);
const only = values.only?.split(',').map((name) => name.trim().toLowerCase());
const outDirs = [...(values.synth === undefined ? [] : [values.synth]), ...positionals].map((dir) => resolve(dir));
if (outDirs.length === 0 || !Number.isInteger(rounds) || rounds < 1) {
  console.error('usage: cold-starts.ts [--synth DIR] [--rounds N] [--only Name,Name] [cdk.out DIR...]');
  process.exit(2);
}
if (values.synth !== undefined) await synthesize(resolve(values.synth));

const picked = (bundle: LambdaBundle) => only === undefined || only.some((name) => bundle.name.toLowerCase().endsWith(`/${name}`));
const bundlesOf = new Map(outDirs.map((dir) => [dir, new Map(lambdaBundles(dir).filter(picked).map((bundle) => [bundle.name, bundle]))]));
const names = [...new Set([...bundlesOf.values()].flatMap((bundles) => [...bundles.keys()]))].sort();

const median = (of: number[]) => {
  const sorted = [...of].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};
const ms = (value: number) => value.toFixed(0).padStart(4);

const world = await startBenchWorld();
const rigs = new Map(await Promise.all(outDirs.map(async (dir) => [dir, await coldStartRig(world, dir)] as const)));
try {
  const floors: Record<FloorKind, ColdStart[]> = { sdk: [], lean: [] };
  const rig = rigs.get(outDirs[0] as string) as ColdStartRig;
  console.log(
    `${rounds} fresh processes per bundle and folder; import + first request in ms: median [min–max] ` +
      '(medians: import / first request; CPU time of import + first request, of the import, of the first request); ' +
      'then the same request again in the same process (warm), and the HTTP calls of each',
  );
  for (const name of names) {
    const samples = new Map<string, ColdStart[]>(outDirs.map((dir) => [dir, []]));
    for (let round = 0; round < rounds; round++) {
      for (const kind of FLOOR_KINDS) floors[kind].push(await rig.floor(kind));
      // Every other round in the opposite order: what one process leaves behind for the next (the
      // once-a-minute use write, DynamoDB Local's caches) falls on each folder alike.
      for (const dir of round % 2 === 0 ? outDirs : [...outDirs].reverse()) {
        const bundle = bundlesOf.get(dir)?.get(name);
        if (bundle !== undefined) samples.get(dir)?.push(await (rigs.get(dir)?.start(bundle) as Promise<ColdStart>));
      }
    }
    console.log(name);
    for (const dir of outDirs) {
      const starts = samples.get(dir) ?? [];
      if (starts.length === 0) continue;
      const totals = starts.map((start) => start.importMs + start.invokeMs);
      const outcomes = [...new Set(starts.map((start) => start.outcome ?? '-'))].join(', ');
      const errors = [...new Set(starts.flatMap((start) => (start.error === undefined ? [] : [start.error])))];
      console.log(
        `  ${basename(dir).padEnd(12)} ${ms(median(totals))} [${ms(Math.min(...totals))}–${ms(Math.max(...totals))}]` +
          `  (${ms(median(starts.map((s) => s.importMs)))} / ${ms(median(starts.map((s) => s.invokeMs)))}; ` +
          `CPU ${ms(median(starts.map((s) => s.importCpuMs + s.invokeCpuMs)))}: ${ms(median(starts.map((s) => s.importCpuMs)))} / ${ms(median(starts.map((s) => s.invokeCpuMs)))})` +
          `  ${outcomes}${errors.length > 0 ? `: ${errors.join(' | ')}` : ''}`,
      );
      const warm = starts.filter((start) => start.warmInvokeMs !== undefined);
      if (warm.length === 0) continue;
      const [sample] = warm;
      const callsOf = (calls: string[] | undefined, connections: number | undefined) => `${(calls ?? []).join(', ') || 'no HTTP calls'} (${connections ?? 0} new connections)`;
      console.log(
        `  ${''.padEnd(12)} warm second request ${ms(median(warm.map((s) => s.warmInvokeMs ?? 0)))} (CPU ${ms(median(warm.map((s) => s.warmInvokeCpuMs ?? 0)))})` +
          `  ${[...new Set(warm.map((s) => s.warmOutcome ?? '-'))].join(', ')}`,
      );
      console.log(`  ${''.padEnd(12)} calls, first: ${callsOf(sample?.calls, sample?.connections)}; second: ${callsOf(sample?.warmCalls, sample?.warmConnections)}`);
      const webStreams = warm.filter((s) => s.webStreamsLoaded).length;
      if (webStreams > 0) console.log(`  ${''.padEnd(12)} web streams loaded by the first request in ${webStreams} of ${warm.length} processes`);
    }
  }
  // The floors (bench/cold-start-floors/), started before every round of every function.
  for (const kind of FLOOR_KINDS) {
    const totals = floors[kind].map((start) => start.importMs + start.invokeMs);
    console.log(
      `${FLOOR_NAMES[kind]} (bundled as the stack bundles): ${ms(median(totals))} [${ms(Math.min(...totals))}–${ms(Math.max(...totals))}]` +
        `  (${ms(median(floors[kind].map((s) => s.importMs)))} / ${ms(median(floors[kind].map((s) => s.invokeMs)))}; ` +
        `CPU ${ms(median(floors[kind].map((s) => s.importCpuMs + s.invokeCpuMs)))}: ${ms(median(floors[kind].map((s) => s.importCpuMs)))} / ${ms(median(floors[kind].map((s) => s.invokeCpuMs)))})`,
    );
  }
} finally {
  for (const rig of rigs.values()) rig.close();
  await world.close();
}
