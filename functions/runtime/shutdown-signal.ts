import { request } from 'node:http';
import { logger } from '../observability/logger.js';
import { flushUsage } from '../usage/usage-counts.js';

/**
 * Lambda sends its runtime a SIGTERM before it shuts an execution environment down only when an
 * extension is registered; otherwise the process is killed without notice. This registers an
 * internal extension from the function's own process, as aws-lambda-go's EnableSIGTERM does: a
 * POST to the Extensions API at init, for no events (internal extensions may not take SHUTDOWN),
 * and a GET of the next event that never returns. Its cost: one round trip to the local Runtime
 * API at cold start. On SIGTERM the process writes its pending usage counts
 * (functions/usage/usage-counts.ts), within the ~500 ms Lambda leaves a runtime with an internal
 * extension, and exits. Without it an instance's last `usage.flushIntervalSeconds` of counts are
 * lost when Lambda retires it.
 *
 * Only where AWS_LAMBDA_RUNTIME_API says the process is a Lambda runtime (not locally, not in tests).
 */
const EXTENSION_NAME = 'keygate-usage-flush';
const API = '2020-01-01/extension';
/** How long the registration may hold the cold start before it is given up (the function then runs without SIGTERM). */
const REGISTER_TIMEOUT_MS = 1_000;
/** The flush gives up before Lambda's SIGKILL (500 ms after SIGTERM for a runtime with an internal extension). */
const FLUSH_DEADLINE_MS = 400;

interface Hooks {
  signals: Pick<NodeJS.Process, 'once'>;
  flush: () => Promise<void>;
  exit: (code: number) => void;
}

const processHooks: Hooks = { signals: process, flush: () => flushUsage(), exit: (code) => process.exit(code) };

let enabled: Promise<boolean> | undefined;

/** flushOnShutdown for this process, once (every Lambda entry that counts usage calls it at init). */
export function enableShutdownFlush(): Promise<boolean> {
  enabled ??= flushOnShutdown(process.env.AWS_LAMBDA_RUNTIME_API);
  return enabled;
}

/** Registers the extension (`runtimeApi`: host:port of the Runtime API) and flushes on SIGTERM. Never throws. */
export async function flushOnShutdown(runtimeApi: string | undefined, hooks: Hooks = processHooks): Promise<boolean> {
  if (!runtimeApi) return false;
  let id: string;
  try {
    id = await register(runtimeApi);
  } catch (error) {
    logger.warn('could not register the shutdown extension: usage counts since the last flush are lost when this instance stops', {
      errorMessage: error instanceof Error ? error.message : String(error),
    });
    return false;
  }
  // Init ends once every extension asks for its next event; with no events this request stays open for good.
  request(`http://${runtimeApi}/${API}/event/next`, { headers: { 'Lambda-Extension-Identifier': id }, agent: false })
    .on('error', () => {})
    .end();
  hooks.signals.once('SIGTERM', () => {
    const deadline = new Promise<void>((done) => setTimeout(done, FLUSH_DEADLINE_MS).unref());
    void Promise.race([hooks.flush(), deadline]).finally(() => hooks.exit(0));
  });
  return true;
}

function register(runtimeApi: string): Promise<string> {
  return new Promise((done, fail) => {
    const body = JSON.stringify({ events: [] });
    const req = request(
      `http://${runtimeApi}/${API}/register`,
      {
        method: 'POST',
        headers: { 'Lambda-Extension-Name': EXTENSION_NAME, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        agent: false,
        timeout: REGISTER_TIMEOUT_MS,
      },
      (res) => {
        res.resume();
        const id = res.headers['lambda-extension-identifier'];
        if (res.statusCode === 200 && typeof id === 'string' && id !== '') done(id);
        else fail(new Error(`the Extensions API answered ${res.statusCode} to the registration`));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`the Extensions API did not answer within ${REGISTER_TIMEOUT_MS} ms`)));
    req.on('error', fail);
    req.end(body);
  });
}
