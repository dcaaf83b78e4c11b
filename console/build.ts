import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';

/**
 * Builds the console into console/dist: app.js (Preact + oauth4webapi, one minified ES module),
 * app.css and index.html. About a tenth of a second; `npm start` runs it, and CDK bundling
 * copies the result into the console functions' bundles (infra/api.ts).
 */
export const CONSOLE_DIR = import.meta.dirname;
export const CONSOLE_DIST = join(CONSOLE_DIR, 'dist');

export async function buildConsole(): Promise<{ ms: number }> {
  const started = performance.now();
  await mkdir(CONSOLE_DIST, { recursive: true });
  await build({
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
  });
  await copyFile(join(CONSOLE_DIR, 'src/app.css'), join(CONSOLE_DIST, 'app.css'));
  await copyFile(join(CONSOLE_DIR, 'src/index.html'), join(CONSOLE_DIST, 'index.html'));
  return { ms: performance.now() - started };
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const { ms } = await buildConsole();
  console.log(`console built into ${CONSOLE_DIST} in ${ms.toFixed(0)} ms`);
}
