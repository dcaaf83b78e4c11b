import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { type RouteContract, routes, tokenAccess } from '../../functions/routes.js';
import { stackEsbuildOptions } from '../../infra/bundling.js';
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

  it('runs parallel work through settleAll, never Promise.all (which answers while the rest is still in flight)', () => {
    const users = [...graph.edges.keys()].filter((file) => /Promise\s*\.\s*all\s*\(/.test(readFileSync(resolve(root, file), 'utf8')));
    expect(users).toEqual([]);
    expect(readFileSync(resolve(root, 'functions/keys/key-operations.ts'), 'utf8')).toContain('await settleAll(');
  });
});

/**
 * What the function bundles carry, from esbuild as the stack runs it (infra/api.ts: bundled, ESM,
 * the AWS SDK included, with the stack's aliases, infra/bundling.ts; a dynamic import() is
 * bundled too): every route-table entry and every other function entry named in infra/.
 */
describe('the function bundles', () => {
  const SECRETS_MANAGER = 'node_modules/@aws-sdk/client-secrets-manager/';
  const routeTable = routes as readonly RouteContract[];
  const otherEntries = readdirSync(resolve(root, 'infra'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .flatMap((file) => [...readFileSync(resolve(root, 'infra', file), 'utf8').matchAll(/\bentry: '([^']+)'/g)].map((match) => match[1] as string));
  const entries = [...new Set([...routeTable.map((route) => route.entry), ...otherEntries])];
  let metafile: Metafile;

  beforeAll(async () => {
    ({ metafile } = await build({
      ...stackEsbuildOptions(root),
      entryPoints: entries.map((entry) => resolve(root, entry)),
      write: false,
      metafile: true,
      outdir: resolve(root, '.keygate', 'architecture-test'),
      // As the stack compiles them in: the configuration's validation and the OpenAPI build stay out.
      define: { __KEYGATE_DEPLOYMENT_CONFIG__: JSON.stringify('{}'), __KEYGATE_OPENAPI_DOCUMENT__: JSON.stringify('') },
      minifySyntax: true,
      logLevel: 'silent',
    }));
  }, 120_000);

  it('are built for every function entry of the stack', () => {
    expect(otherEntries).toContain('functions/authorizer/authorizer-handler.ts');
    expect(otherEntries).toContain('functions/reminders/handlers/notifier.ts');
    expect(Object.values(metafile.outputs).filter((output) => output.entryPoint !== undefined).length).toBe(entries.length);
  });

  /*
   * Every other bundle was ~37 KB larger with it: the routes that read the signing keys pass
   * runtime/secret-signing-keys.ts to lambdaHandler.
   */
  it('carry the Secrets Manager client of the routes only where the contract reads the signing keys', () => {
    const carrying = Object.values(metafile.outputs)
      .filter((output) => output.entryPoint !== undefined && Object.keys(output.inputs).some((input) => input.includes(SECRETS_MANAGER)))
      .map((output) => routeTable.find((route) => resolve(root, route.entry) === resolve(root, output.entryPoint as string))?.id)
      .filter((id) => id !== undefined)
      .sort();
    const signing = routeTable.filter((route) => tokenAccess(route) === 'signing-keys').map((route) => route.id).sort();
    expect(signing.length).toBeGreaterThan(0);
    expect(carrying).toEqual(signing);
  });

  /*
   * The DynamoDB clients are some 60 ms of a cold start (README, Performance): a route that
   * declares no table access starts through runtime/lambda-tableless.ts and bundles neither.
   */
  it('carry the DynamoDB clients exactly where the contract declares table access', () => {
    const dynamoDb = /node_modules\/@aws-sdk\/(client-dynamodb|lib-dynamodb)\//;
    const carrying = (route: RouteContract) => {
      const output = Object.values(metafile.outputs).find((candidate) => candidate.entryPoint !== undefined && resolve(root, candidate.entryPoint) === resolve(root, route.entry));
      if (output === undefined) throw new Error(`no bundle for ${route.id}`);
      return Object.keys(output.inputs).some((input) => dynamoDb.test(input));
    };
    const tableless = routeTable.filter((route) => route.tableAccess.length === 0);
    expect(tableless.map((route) => route.id).sort()).toEqual(
      ['GetAuthorizationServerMetadata', 'GetConsole', 'GetConsoleAsset', 'GetJwks', 'GetKeyJwks', 'GetOpenApi', 'GetOpenIdConfiguration'],
    );
    expect(tableless.filter(carrying).map((route) => route.id)).toEqual([]);
    expect(routeTable.filter((route) => route.tableAccess.length > 0 && !carrying(route)).map((route) => route.id)).toEqual([]);
    for (const route of tableless) expect(readFileSync(resolve(root, route.entry), 'utf8'), route.id).toContain('tablelessLambdaHandler(');
  });

  /*
   * A dynamic import() or a require() of ES module code makes esbuild initialise that module, and
   * every module it imports, lazily, in wrappers kept out of tree shaking. In a bundle of one file
   * the import saves nothing (the code is parsed anyway); the SDK's own dynamic import of its
   * event-stream code wrapped most of its core that way, about 11 ms of every cold start. The two the
   * SDK makes are aliased to a module that is never loaded (functions/runtime/sdk-parts-left-out.ts).
   */
  it('load every ES module at import: no dynamic import() or require() of one', () => {
    const leftOut = resolve(root, 'functions/runtime/sdk-parts-left-out.ts');
    const lazy = Object.entries(metafile.inputs).flatMap(([file, input]) =>
      input.imports
        .filter((edge) => (edge.kind === 'dynamic-import' || edge.kind === 'require-call') && edge.external !== true)
        .filter((edge) => metafile.inputs[edge.path]?.format === 'esm' && resolve(root, edge.path) !== leftOut)
        .map((edge) => `${file} -> ${edge.path} (${edge.kind})`),
    );
    expect(lazy).toEqual([]);
    const aliased = Object.values(metafile.inputs).flatMap((input) => input.imports.filter((edge) => resolve(root, edge.path) === leftOut));
    expect(aliased.map((edge) => edge.original).sort()).toEqual(expect.arrayContaining(['@smithy/core/event-streams']));
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
