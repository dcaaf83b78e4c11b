import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';

/**
 * A server in a process of its own, run from a TypeScript script (tsx): the bench's servers
 * (test/bench/bench-server.ts) and the tests that run several keygate gateways over one DynamoDB
 * Local (test/support/gateway-process.ts). The script reports `{ ready: ... }` over IPC once it
 * listens; its stderr is kept (the last 4 KB) for the error when it does not.
 */
export interface ForkedServer<Ready> {
  child: ChildProcess;
  ready: Ready;
  /** Sends `signal` (default: disconnects, so the script ends by itself; SIGTERM after 5 s) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const START_TIMEOUT_MS = 30_000;

export async function forkServer<Ready>(
  script: URL,
  options: { label: string; env: Record<string, string>; execArgv?: string[] },
): Promise<ForkedServer<Ready>> {
  const child = fork(script, [], {
    execArgv: ['--import', 'tsx', ...(options.execArgv ?? [])],
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4_000);
  });
  const ready = await new Promise<Ready>((done, fail) => {
    const late = () => fail(new Error(`${options.label} did not start within ${START_TIMEOUT_MS / 1000} s:\n${stderr}`));
    const timer = setTimeout(late, START_TIMEOUT_MS);
    child.on('message', (message: { ready?: Ready }) => {
      if (message && typeof message === 'object' && 'ready' in message) {
        clearTimeout(timer);
        done(message.ready as Ready);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`${options.label} exited (${code}) before it was ready:\n${stderr}`));
    });
  });
  return {
    child,
    ready,
    stop: async (signal) => {
      if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
      const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
      if (signal === undefined) child.disconnect();
      else child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGTERM'), 5_000);
      const [code, exitSignal] = await exited;
      clearTimeout(timer);
      return { code, signal: exitSignal };
    },
  };
}
