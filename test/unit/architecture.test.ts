import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { type RouteContract, routes, tokenAccess } from '../../functions/routes.js';
import { importCycles, importGraph } from '../support/import-graph.js';

/**
 * The layout rules of issue 11, made permanent (see README, Layout): the runtime code in
 * functions/ has no import cycle (type imports count), never reaches into the CDK app (infra/)
 * or the local run (dev/), and reads the environment only in its composition root
 * (functions/runtime/). The graph is read from the sources by test/support/import-graph.ts.
 */
const root = resolve(import.meta.dirname, '../..');
const graph = importGraph(root, 'functions');

describe('the import graph of functions/', () => {
  it('is read from every source file (a scan that finds nothing would pass every rule)', () => {
    expect(graph.edges.size).toBeGreaterThan(50);
    expect(graph.edges.get('functions/runtime/lambda.ts')).toContain('functions/runtime/route-deps.ts');
  });

  it('has no import cycle', () => {
    expect(importCycles(graph)).toEqual([]);
  });

  it('never imports infra/ or dev/', () => {
    const outward = [...graph.edges].flatMap(([file, targets]) =>
      targets.filter((target) => /^(infra|dev)\//.test(target)).map((target) => `${file} -> ${target}`),
    );
    expect(outward).toEqual([]);
  });

  it('reads process.env only in functions/runtime/', () => {
    const readers = [...graph.edges.keys()].filter(
      (file) => !file.startsWith('functions/runtime/') && /process\s*\.\s*env|process\s*\[\s*['"]env/.test(readFileSync(resolve(root, file), 'utf8')),
    );
    expect(readers).toEqual([]);
  });
});

/**
 * What each route's bundle carries, from esbuild as the stack runs it (infra/api.ts: bundled,
 * ESM, the AWS SDK included, a dynamic import() bundled too): the Secrets Manager client goes only
 * into the bundles of the routes that read the signing keys (their handlers pass
 * runtime/secret-signing-keys.ts to lambdaHandler). Every other bundle was ~37 KB larger with it.
 */
describe('the route bundles', () => {
  const SECRETS_MANAGER = 'node_modules/@aws-sdk/client-secrets-manager/';
  const routeTable = routes as readonly RouteContract[];

  it('carry the Secrets Manager client only where the contract reads the signing keys', { timeout: 60_000 }, async () => {
    const result = await build({
      entryPoints: Object.fromEntries(routeTable.map((route) => [route.id, resolve(root, route.entry)])),
      absWorkingDir: root,
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outdir: resolve(root, '.keygate', 'architecture-test'),
      logLevel: 'silent',
    });
    const carrying = Object.values(result.metafile.outputs)
      .filter((output) => output.entryPoint !== undefined && Object.keys(output.inputs).some((input) => input.includes(SECRETS_MANAGER)))
      .map((output) => routeTable.find((route) => resolve(root, route.entry) === resolve(root, output.entryPoint as string))?.id)
      .sort();
    const signing = routeTable.filter((route) => tokenAccess(route) === 'signing-keys').map((route) => route.id).sort();
    expect(signing.length).toBeGreaterThan(0);
    expect(carrying).toEqual(signing);
  });
});

describe('the import scan', () => {
  it('finds a cycle, type imports included', () => {
    const edges = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts', 'zod']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(importCycles({ edges })).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });
});
