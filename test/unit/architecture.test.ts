import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
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
