import './bench-environment.js';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startBenchWorld } from './bench-world.js';
import { coldStartRig, lambdaBundles } from './bundles.js';

/**
 * Where one function's cold start goes: its bundle started in fresh processes under --cpu-prof
 * (100 µs samples), each sample's function mapped back through the bundle's source map to the
 * source file or package it came from, self time summed over the runs.
 *
 *   node --import tsx test/bench/profile-cold-start.ts DIR --only VerifyKey [--runs 5] [--top 30]
 *
 * DIR is a synthesized cdk.out (`cold-starts.ts --synth DIR` makes one). Three tables: up to the end
 * of the import (Node's own start-up included), the first request, and the same request again (warm). Parsing and compiling the
 * bundle shows as Node's `internal/modules/esm/utils`; `--functions` names functions and lines.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { only: { type: 'string' }, runs: { type: 'string', default: '5' }, top: { type: 'string', default: '30' }, functions: { type: 'boolean', default: false } },
});
const [outDir] = positionals;
if (outDir === undefined || values.only === undefined) {
  console.error('usage: profile-cold-start.ts CDK_OUT_DIR --only FunctionName [--runs N] [--top N]');
  process.exit(2);
}
const bundle = lambdaBundles(resolve(outDir)).find((candidate) => candidate.name.toLowerCase().endsWith(`/${values.only?.toLowerCase()}`));
if (bundle === undefined) {
  console.error(`no bundle named ${values.only} in ${outDir}`);
  process.exit(2);
}
const map = new SourceMap(JSON.parse(readFileSync(`${bundle.file}.map`, 'utf8')) as SourceMapPayload);
const bundleUrl = `file://${bundle.file}`;

/** A sample's place: the package (node_modules) or project file its function's source is in. */
function placeOf(frame: ProfileNode['callFrame']): string {
  if (frame.url !== bundleUrl) return frame.url === '' ? frame.functionName || '(native)' : `node ${frame.url.replace(/^node:/, '')}`;
  const entry = map.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string };
  const source = entry.originalSource ?? '(unmapped)';
  const pkg = source.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  const place = pkg ? (pkg[1] as string) : source.replace(/^.*?\/(functions|dev)\//, '$1/');
  return values.functions ? `${place} ${(entry as { name?: string }).name ?? frame.functionName}:${((entry as { originalLine?: number }).originalLine ?? 0) + 1}` : place;
}

const world = await startBenchWorld();
const dir = mkdtempSync(join(tmpdir(), 'keygate-cold-profile-'));
const rig = await coldStartRig(world, resolve(outDir), { cpuProfileDir: dir });
/** Self time per place, before the import ended (Node's start-up included) and after it (the first request). */
const phases = { import: new Map<string, number>(), 'first request': new Map<string, number>(), 'second request': new Map<string, number>() };
const totals = { import: 0, 'first request': 0, 'second request': 0 };
const runs = Number(values.runs);
try {
  const importEnds: number[] = [];
  const firstEnds: number[] = [];
  for (let run = 0; run < runs; run++) {
    const start = await rig.start(bundle);
    importEnds.push(start.importedAtUs);
    firstEnds.push(start.firstAnsweredAtUs ?? Number.POSITIVE_INFINITY);
    console.log(
      `run ${run + 1}: import ${start.importMs.toFixed(0)} ms, first request ${start.invokeMs.toFixed(0)} ms (${start.outcome ?? '-'}; ` +
        `${(start.calls ?? []).join(', ') || 'no HTTP calls'}), warm second ${start.warmInvokeMs?.toFixed(1) ?? '-'} ms (${start.warmOutcome ?? '-'})`,
    );
  }
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
    // The run this profile belongs to: the import that ended within its span.
    const run = importEnds.findIndex((at) => at >= profile.startTime && at <= profile.endTime);
    const importEnd = importEnds[run] ?? profile.endTime;
    const firstEnd = firstEnds[run] ?? profile.endTime;
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    let at = profile.startTime;
    profile.samples.forEach((id, i) => {
      const delta = profile.timeDeltas[i] ?? 0;
      at += delta;
      const node = byId.get(id);
      if (node === undefined) return;
      const phase = at <= importEnd ? 'import' : at <= firstEnd ? 'first request' : 'second request';
      const place = placeOf(node.callFrame);
      phases[phase].set(place, (phases[phase].get(place) ?? 0) + delta / 1000);
      totals[phase] += delta / 1000;
    });
  }
} finally {
  rig.close();
  await world.close();
  rmSync(dir, { recursive: true, force: true });
}
for (const phase of ['import', 'first request', 'second request'] as const) {
  console.log(`\n${bundle.name}, ${phase}: ${(totals[phase] / runs).toFixed(1)} ms per process profiled, self time per place, mean of ${runs}`);
  console.log('| ms | place |\n|---|---|');
  for (const [place, ms] of [...phases[phase]].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) console.log(`| ${(ms / runs).toFixed(1)} | ${place} |`);
}
