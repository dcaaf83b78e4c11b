import path from 'node:path';
import type { BuildOptions } from 'esbuild';

/**
 * How the stack's esbuild bundles every function (infra/api.ts through NodejsFunction), in one
 * place for what else builds a bundle the same way: the architecture test and the bench's
 * cold-start floors (test/bench/bundles.ts).
 */

/** The newest Node.js runtime Lambda offers (infra/api.ts) is what esbuild targets. */
export const ESBUILD_TARGET = 'node24';

/** Bundled CommonJS dependencies may call require() on Node built-ins; ESM has none. */
export const BUNDLE_BANNER = "import { createRequire as __keygateCreateRequire } from 'node:module'; const require = __keygateCreateRequire(import.meta.url);";

/**
 * Modules the stack's bundles take in place of parts of the AWS SDK (esbuild aliases; the tests,
 * the local run and the CDK keep the SDK whole):
 *
 * - the SDK's default credential chain, cut to what Lambda hands a function (its environment, or a
 *   container credentials endpoint): the SSO, login, INI-file, process, web-identity and EC2
 *   providers (about 120 KB minified, and child_process) stay out of every bundle;
 * - two parts no keygate function runs, which the SDK loads with a dynamic import(): in a bundle
 *   of one file that import wrapped most of the SDK's core in lazy initialisers, out of tree
 *   shaking (functions/runtime/sdk-parts-left-out.ts). keygate's own code imports the SDK
 *   statically for the same reason; test/unit/architecture.test.ts holds every bundle to it.
 */
export const bundleAliases: Readonly<Record<string, string>> = {
  '@aws-sdk/credential-provider-node': 'functions/runtime/lambda-credentials.ts',
  '@smithy/core/event-streams': 'functions/runtime/sdk-parts-left-out.ts',
  bowser: 'functions/runtime/sdk-parts-left-out.ts',
};

/** The aliases with absolute paths, as esbuild takes them, for a project at `root`. */
export function bundleAliasPaths(root: string): Record<string, string> {
  return Object.fromEntries(Object.entries(bundleAliases).map(([name, file]) => [name, path.join(root, file)]));
}

/**
 * The esbuild options of the stack's bundling (infra/api.ts), for a build made outside the CDK:
 * one ESM file per entry for Node on Lambda, the AWS SDK included, with the stack's aliases.
 * Minifying, source maps and defines are the caller's.
 */
export function stackEsbuildOptions(root: string) {
  return {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: ESBUILD_TARGET,
    mainFields: ['module', 'main'],
    banner: { js: BUNDLE_BANNER },
    alias: bundleAliasPaths(root),
    absWorkingDir: root,
  } satisfies BuildOptions;
}
