import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The import graph of a source folder, read from the files themselves: every static `import` and
 * `export ... from` (type-only ones too: a cycle of types is still a cycle for a reader), and
 * every dynamic `import('...')` with a literal path. Relative specifiers are resolved the way
 * `moduleResolution: nodenext` does for this project (`./x.js` is the file `./x.ts`); package
 * imports are kept as they are written, so a test can check what a folder reaches outside itself.
 */
export interface ImportGraph {
  /** Project-relative file → project-relative files (or package names) it imports. */
  edges: Map<string, string[]>;
}

const IMPORT = /(?:^|[\s;}])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Drops comments so that an example import in a comment is not taken for a real one. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

export function importGraph(root: string, folder: string): ImportGraph {
  const edges = new Map<string, string[]>();
  for (const file of sourceFiles(resolve(root, folder))) {
    const text = withoutComments(readFileSync(file, 'utf8'));
    const targets: string[] = [];
    for (const match of text.matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2];
      if (specifier === undefined) continue;
      targets.push(specifier.startsWith('.') ? relative(root, resolve(dirname(file), specifier.replace(/\.js$/, '.ts'))) : specifier);
    }
    edges.set(relative(root, file), targets);
  }
  return { edges };
}

/** Every import cycle among the graph's own files (strongly connected components, Tarjan), each sorted. */
export function importCycles({ edges }: ImportGraph): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!edges.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(next) ?? 0));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) ?? 0, index.get(next) ?? 0));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop();
        if (member === undefined) break;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      const selfImport = (edges.get(node) ?? []).includes(node);
      if (component.length > 1 || selfImport) cycles.push(component.sort());
    }
  };
  for (const node of edges.keys()) if (!index.has(node)) visit(node);
  return cycles;
}
