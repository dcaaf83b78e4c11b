import { copyFileSync, mkdirSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { build, type BuildOptions, buildSync } from 'esbuild';

/**
 * Builds the console into console/dist: app.js (Preact + oauth4webapi, one minified ES module),
 * app.css and index.html. About a tenth of a second; `npm start` runs it, and CDK bundling
 * copies the result into the console functions' bundles (infra/api.ts).
 */
export const CONSOLE_DIR = import.meta.dirname;
export const CONSOLE_DIST = join(CONSOLE_DIR, 'dist');

const options: BuildOptions = {
  entryPoints: [join(CONSOLE_DIR, 'src/main.tsx')],
  outfile: join(CONSOLE_DIST, 'app.js'),
  bundle: true,
  format: 'esm',
  target: ['es2022'],
  minify: true,
  sourcemap: false,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  logLevel: 'warning',
};
const STATIC_FILES = ['app.css', 'index.html'];

export async function buildConsole(): Promise<{ ms: number }> {
  const started = performance.now();
  await mkdir(CONSOLE_DIST, { recursive: true });
  await build(options);
  for (const file of STATIC_FILES) await copyFile(join(CONSOLE_DIR, 'src', file), join(CONSOLE_DIST, file));
  return { ms: performance.now() - started };
}

/** The same, synchronously: the CDK app builds it once while it defines the stack (infra/api.ts). */
export function buildConsoleSync(): void {
  mkdirSync(CONSOLE_DIST, { recursive: true });
  buildSync(options);
  for (const file of STATIC_FILES) copyFileSync(join(CONSOLE_DIR, 'src', file), join(CONSOLE_DIST, file));
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const { ms } = await buildConsole();
  console.log(`console built into ${CONSOLE_DIST} in ${ms.toFixed(0)} ms`);
}
