import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// The AWS SDK warns once per process that its 2027 releases will need Node 22; keygate runs on
// Node 20 on purpose (see TOOLCHAIN), so the warning would only bury the test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/contract/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/infra/**/*.test.ts', 'test/browser/**/*.test.ts'],
    // One DynamoDB Local for the whole run; each test gets its own table (test/support/dynamodb.ts).
    globalSetup: ['test/support/global-setup.ts'],
    // Captures stdout/stderr of every test file and fails it if a key, token or secret was logged.
    setupFiles: ['test/support/capture-logs.ts'],
    pool: 'forks',
    // Two files at a time at least. The files mostly wait (on DynamoDB Local, the gateways' child
    // processes, Chromium, cfn-lint), so on a 2-core machine vitest's default of one worker (cores
    // less one) leaves a core idle: the whole run took 578 s with one worker, 378 s with two.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 20_000,
    hookTimeout: 120_000,
  },
});
