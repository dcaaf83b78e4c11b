/**
 * What the stack's bundles take for two parts of the AWS SDK that no keygate function runs (an
 * esbuild alias each, infra/bundling.ts):
 *
 * - `@smithy/core/event-streams`: the SDK loads it for operations that stream events; no service
 *   call of keygate's does (DynamoDB, Secrets Manager, KMS, EventBridge Scheduler, SES);
 * - `bowser`: the SDK parses a browser's user agent with it, in a browser only.
 *
 * The SDK loads both with a dynamic import(). Bundled into one file, such an import is parsed
 * with the rest and makes esbuild initialise the imported module, and every module it imports,
 * lazily: the event-stream code pulled most of the SDK's core into lazy initialisers, out of tree
 * shaking. Without them a function imports about 11 ms faster (the median of 44; the DynamoDB
 * clients alone, 19 ms: README, Performance). Were either ever loaded after all, the import fails
 * with this message rather than with a part missing.
 */
throw new Error(
  'keygate bundles leave out @smithy/core/event-streams and bowser (functions/runtime/sdk-parts-left-out.ts): ' +
    'an AWS SDK call that streams events, or parses a browser user agent, is not one keygate makes',
);
