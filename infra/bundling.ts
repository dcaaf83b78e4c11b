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
