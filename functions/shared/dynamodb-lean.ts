import { type Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http';
import { type Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshall, type NativeAttributeValue, unmarshall } from '@aws-sdk/util-dynamodb';
import aws4 from 'aws4';
import { type KeepAliveAgents, keepAliveAgents } from './aws-http.js';
import { CALL_TIMEOUTS, type CallTimeouts, isUnavailable } from './bounded-calls.js';
import { UnavailableError } from './errors.js';

/**
 * The two reads on every request's path (a key by id: GetItem; the caller's and the presented
 * key: BatchGetItem), without the AWS SDK's per-call machinery. The SDK v3 rebuilds a middleware
 * stack, a signer and a schema serializer per call: some 800 µs of CPU per GetItem on a small
 * machine, several times the read itself (see the README's Performance). Here a call is: DynamoDB
 * JSON in, SigV4 by the aws4 library (synchronous, its signing key cached per day, region and
 * secret; some 30 µs a call where the SDK's SignatureV4 took 80, measured side by side, and the
 * same signature: test/integration/dynamodb-lean.test.ts checks it against SignatureV4), one
 * keep-alive connection pool, JSON out, unmarshalled as lib-dynamodb does.
 *
 * What the SDK gave and this keeps, from the SDK client it is built over (the same config):
 * - credentials: the client's provider (Lambda's environment, session token included), which
 *   caches and refreshes them as the SDK does;
 * - the endpoint: the client's endpoint rules (configured endpoint such as DynamoDB Local,
 *   FIPS and dual-stack), resolved once;
 * - retries: up to `maxAttempts` attempts for throttling, 5xx and connection failures, with
 *   the SDK standard strategy's capped exponential backoff with full jitter and its retry quota;
 *   clock-skew errors are retried once with the offset the server's Date gives;
 * - bounded waits: `connectionTimeoutMs` to connect, `requestTimeoutMs` for an answer per
 *   attempt, `deadlineMs` for the call, retries included; a stalled connection is destroyed,
 *   never reused;
 * - errors: an unavailable table is UnavailableError (as functions/shared/dynamodb.ts throws);
 *   any other refusal an Error named as DynamoDB names it (ValidationException, ...).
 * Writes (but the counters of rate limits and quotas), queries and transactions stay on the SDK.
 */

export type Item = Record<string, NativeAttributeValue>;

export interface BatchGetResult {
  items: Item[];
  /** Keys DynamoDB left unprocessed (throttling, response size): the caller asks again. */
  unprocessed: Item[];
}

/** UpdateItem only for the per-request counters of rate limits and quotas (functions/usage/limit-counters.ts). */
export type ReadOperation = 'GetItem' | 'BatchGetItem' | 'UpdateItem';

/** An UpdateItem as lib-dynamodb takes it (native values); `Attributes` of the answer as it returns them. */
export interface CounterUpdate {
  TableName: string;
  Key: Item;
  UpdateExpression: string;
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues: Item;
  ReturnValues: 'UPDATED_NEW' | 'NONE';
}
type Output = Record<string, unknown>;

/**
 * Sees (and may change the output of) each call, as the document client's middleware does for
 * the SDK's calls: input and output in lib-dynamodb's shape. For tests and the bench.
 */
export type ReadInterceptor = (operation: ReadOperation, input: Record<string, unknown>, next: () => Promise<Output>) => Promise<Output>;

export interface LeanReaderOptions {
  timeouts?: CallTimeouts;
  /** Attempts per call, the first included (the SDK's default: 3). */
  maxAttempts?: number;
  /** The connection pool, shared with the SDK client's (functions/shared/aws-http.ts); absent: a pool of its own. */
  agents?: KeepAliveAgents;
}

const TARGET_PREFIX = 'DynamoDB_20120810.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';
const DEFAULT_MAX_ATTEMPTS = 3;

/** The SDK standard retry strategy's constants (@smithy/util-retry). */
const RETRY = { baseDelayMs: 100, throttlingBaseDelayMs: 500, maxDelayMs: 20_000, quota: 500, retryCost: 5, timeoutCost: 10, successRefund: 1 };
const THROTTLING = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'SlowDown',
  'Throttling',
]);
const TRANSIENT = new Set(['InternalServerError', 'ServiceUnavailable', 'TransactionInProgressException', 'RequestTimeout', 'RequestTimeoutException']);
const CLOCK_SKEW = new Set(['InvalidSignatureException', 'RequestTimeTooSkewed', 'RequestExpired', 'SignatureDoesNotMatch', 'AuthFailure']);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** A refusal from DynamoDB, named as its `__type` says, like the SDK's ServiceException. */
export class DynamoDbServiceError extends Error {
  constructor(
    name: string,
    message: string,
    readonly $metadata: { httpStatusCode: number; attempts: number },
  ) {
    super(message);
    this.name = name;
  }
}

/** An attempt that got no answer in time (connect or response). */
class AttemptTimeoutError extends Error {
  override name = 'TimeoutError';
}

interface Target {
  protocol: 'http:' | 'https:';
  hostname: string;
  port: number | undefined;
  path: string;
  host: string;
  /** The client's region: the endpoint rules' and the signature's. */
  region: string;
}

interface Answer {
  status: number;
  date: string | undefined;
  body: string;
}

/** SigV4's `X-Amz-Date`: ISO 8601 basic, to the second (20260102T030405Z), as aws4 writes it. */
function amzDate(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/[:-]|\.\d{3}/g, '');
}

export class LeanDynamoReader {
  private readonly timeouts: CallTimeouts;
  private readonly maxAttempts: number;
  private readonly interceptors: ReadInterceptor[] = [];
  private target: Promise<Target> | undefined;
  /** The target, once resolved: every call after the first signs and sends without waiting on it. */
  private ready: Target | undefined;
  private readonly httpAgent: HttpAgent;
  private readonly httpsAgent: HttpsAgent;
  private clockOffsetMs = 0;
  private quota = RETRY.quota;

  constructor(
    /** The SDK client whose configuration (region, endpoint, credentials, hash) this reader uses. */
    private readonly client: DynamoDBClient | DynamoDBDocumentClient,
    options: LeanReaderOptions = {},
  ) {
    this.timeouts = options.timeouts ?? CALL_TIMEOUTS;
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    ({ httpAgent: this.httpAgent, httpsAgent: this.httpsAgent } = options.agents ?? keepAliveAgents());
  }

  /** Strongly consistent when `consistent`; absent: undefined. */
  async getItem(table: string, key: Item, consistent: boolean): Promise<Item | undefined> {
    const input = { TableName: table, Key: key, ConsistentRead: consistent };
    const output = await this.run('GetItem', input, async () => {
      const raw = (await this.call('GetItem', { TableName: table, Key: marshall(key), ConsistentRead: consistent })) as { Item?: Record<string, AttributeValue> };
      return raw.Item === undefined ? {} : { Item: unmarshall(raw.Item) };
    });
    return output.Item as Item | undefined;
  }

  async batchGetItem(table: string, keys: readonly Item[], consistent: boolean): Promise<BatchGetResult> {
    const input = { RequestItems: { [table]: { Keys: keys, ConsistentRead: consistent } } };
    const output = (await this.run('BatchGetItem', input, async () => {
      const raw = (await this.call('BatchGetItem', { RequestItems: { [table]: { Keys: keys.map((key) => marshall(key)), ConsistentRead: consistent } } })) as {
        Responses?: Record<string, Record<string, AttributeValue>[]>;
        UnprocessedKeys?: Record<string, { Keys?: Record<string, AttributeValue>[] }>;
      };
      const unprocessed = raw.UnprocessedKeys?.[table]?.Keys ?? [];
      return {
        Responses: { [table]: (raw.Responses?.[table] ?? []).map((item) => unmarshall(item)) },
        ...(unprocessed.length === 0 ? {} : { UnprocessedKeys: { [table]: { Keys: unprocessed.map((k) => unmarshall(k)), ConsistentRead: consistent } } }),
      };
    })) as { Responses?: Record<string, Item[]>; UnprocessedKeys?: Record<string, { Keys?: Item[] }> };
    return { items: output.Responses?.[table] ?? [], unprocessed: output.UnprocessedKeys?.[table]?.Keys ?? [] };
  }

  /**
   * One UpdateItem (a counter's ADD, per request: the SDK's per-call cost would double a
   * verification's CPU). A failed condition throws DynamoDbServiceError named
   * ConditionalCheckFailedException. Retried like the reads: a retry after a timeout may count
   * one request twice, which errs towards refusing, never towards letting through.
   */
  async updateItem(input: CounterUpdate): Promise<Item | undefined> {
    const output = await this.run('UpdateItem', input as unknown as Record<string, unknown>, async () => {
      const raw = (await this.call('UpdateItem', {
        ...input,
        Key: marshall(input.Key),
        ExpressionAttributeValues: marshall(input.ExpressionAttributeValues),
      })) as { Attributes?: Record<string, AttributeValue> };
      return raw.Attributes === undefined ? {} : { Attributes: unmarshall(raw.Attributes) };
    });
    return output.Attributes as Item | undefined;
  }

  /** Runs `interceptor` around every call from now on; returns what removes it. */
  intercept(interceptor: ReadInterceptor): () => void {
    this.interceptors.push(interceptor);
    return () => {
      const at = this.interceptors.indexOf(interceptor);
      if (at >= 0) this.interceptors.splice(at, 1);
    };
  }

  /** Closes the pooled connections (a test's or a local run's end; Lambda never calls it). */
  destroy(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private run(operation: ReadOperation, input: Record<string, unknown>, call: () => Promise<Output>): Promise<Output> {
    if (this.interceptors.length === 0) return call();
    const chain = this.interceptors.reduceRight<() => Promise<Output>>((next, interceptor) => () => interceptor(operation, input, next), call);
    return chain();
  }

  private async call(operation: string, input: unknown): Promise<unknown> {
    // The call's deadline as a time (performance.now()), not an AbortSignal: each attempt's one timer
    // is cut short to it, and a retry that would wait past it gives up at once.
    const deadline = performance.now() + this.timeouts.deadlineMs;
    const body = JSON.stringify(input);
    let skewRetried = false;
    for (let attempt = 1; ; attempt++) {
      let failure: unknown;
      try {
        const answer = await this.attempt(operation, body, deadline);
        if (answer.status < 300) {
          this.quota = Math.min(RETRY.quota, this.quota + RETRY.successRefund);
          return JSON.parse(answer.body);
        }
        failure = serviceError(answer, attempt);
        if (CLOCK_SKEW.has((failure as Error).name) && !skewRetried && this.correctClock(answer.date)) {
          skewRetried = true;
          attempt--;
          continue;
        }
      } catch (error) {
        failure = error;
      }
      if (performance.now() >= deadline) throw unavailable(failure);
      const retry = retryKind(failure);
      const cost = retry === 'timeout' ? RETRY.timeoutCost : RETRY.retryCost;
      if (retry === undefined || attempt >= this.maxAttempts || this.quota < cost) {
        throw isUnavailable(failure) || retry !== undefined ? unavailable(failure) : failure;
      }
      this.quota -= cost;
      const base = retry === 'throttling' ? RETRY.throttlingBaseDelayMs : RETRY.baseDelayMs;
      const delayMs = Math.random() * Math.min(RETRY.maxDelayMs, base * 2 ** (attempt - 1));
      if (performance.now() + delayMs >= deadline) throw unavailable(failure);
      await sleep(delayMs);
    }
  }

  /** The server's Date, when it is more than 5 minutes from ours, becomes the offset (as the SDK corrects skew). */
  private correctClock(date: string | undefined): boolean {
    const server = date === undefined ? Number.NaN : Date.parse(date);
    if (Number.isNaN(server) || Math.abs(server - (Date.now() + this.clockOffsetMs)) < 300_000) return false;
    this.clockOffsetMs = server - Date.now();
    return true;
  }

  private async attempt(operation: string, body: string, deadline: number): Promise<Answer> {
    this.ready ??= await this.resolveTarget();
    const target = this.ready;
    // The client's credentials provider (it caches and refreshes them), asked per call as the SDK's signer does.
    const { accessKeyId, secretAccessKey, sessionToken } = await this.client.config.credentials();
    const headers: Record<string, string> = {
      host: target.host,
      'content-type': CONTENT_TYPE,
      'x-amz-target': `${TARGET_PREFIX}${operation}`,
      'content-length': String(Buffer.byteLength(body)),
      // The signing time, on the clock corrected for skew; aws4 signs with the date it is given here.
      'x-amz-date': amzDate(Date.now() + this.clockOffsetMs),
    };
    const signed = aws4.sign(
      { host: target.host, path: target.path, method: 'POST', service: 'dynamodb', region: target.region, headers, body },
      { accessKeyId, secretAccessKey, ...(sessionToken === undefined ? {} : { sessionToken }) },
    );
    return this.send(target, signed.headers as Record<string, string>, body, deadline);
  }

  private send(target: Target, headers: Record<string, string>, body: string, deadline: number): Promise<Answer> {
    const https = target.protocol === 'https:';
    return new Promise<Answer>((done, fail) => {
      let answered = false;
      /** One timer at a time: to connect, then to answer, each cut short by the call's deadline. */
      const arm = (limitMs: number, message: string) => {
        const left = deadline - performance.now();
        return left <= limitMs
          ? setTimeout(() => giveUp(new AttemptTimeoutError('the DynamoDB call passed its deadline')), Math.max(0, left))
          : setTimeout(() => giveUp(new AttemptTimeoutError(message)), limitMs);
      };
      const req = (https ? httpsRequest : httpRequest)({
        method: 'POST',
        hostname: target.hostname,
        ...(target.port === undefined ? {} : { port: target.port }),
        path: target.path,
        headers,
        agent: https ? this.httpsAgent : this.httpAgent,
      });
      // A stalled attempt: its socket is destroyed (never handed back to the pool), the call goes on or gives up.
      const giveUp = (error: Error) => {
        if (answered) return;
        answered = true;
        clearTimeout(timer);
        req.destroy(error);
        fail(error);
      };
      let timer = arm(this.timeouts.connectionTimeoutMs, 'no connection to DynamoDB in time');
      req.once('socket', (socket) => {
        const waitForAnswer = () => {
          clearTimeout(timer);
          timer = arm(this.timeouts.requestTimeoutMs, 'no answer from DynamoDB in time');
        };
        if (socket.connecting) socket.once(https ? 'secureConnect' : 'connect', waitForAnswer);
        else waitForAnswer();
      });
      req.on('error', (error) => giveUp(error));
      req.once('response', (res: IncomingMessage) => {
        // Bytes, decoded once at the end (no string decoder per response; a character split
        // between chunks is joined before it is decoded).
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error) => giveUp(error));
        res.once('end', () => {
          if (answered) return;
          answered = true;
          clearTimeout(timer);
          const status = res.statusCode ?? 0;
          // The Date header only matters to a refusal (clock skew): the headers are parsed only then.
          const text = chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8');
          done({ status, date: status < 300 ? undefined : res.headers.date, body: text });
        });
      });
      req.end(body);
    });
  }

  private resolveTarget(): Promise<Target> {
    this.target ??= resolveTarget(this.client).catch((error: unknown) => {
      this.target = undefined;
      throw error;
    });
    return this.target;
  }

}

/** The endpoint the SDK client would call: its own endpoint rules over its region, FIPS, dual-stack and configured endpoint. */
async function resolveTarget(client: DynamoDBClient | DynamoDBDocumentClient): Promise<Target> {
  const config = client.config;
  const configured = config.endpoint === undefined ? undefined : await config.endpoint();
  const endpoint =
    configured === undefined
      ? undefined
      : `${configured.protocol}//${configured.hostname}${configured.port === undefined ? '' : `:${configured.port}`}${configured.path}`;
  const region = await config.region();
  const { url } = config.endpointProvider({
    Region: region,
    UseFIPS: await config.useFipsEndpoint(),
    UseDualStack: await config.useDualstackEndpoint(),
    ...(endpoint === undefined ? {} : { Endpoint: endpoint }),
    AccountIdEndpointMode: 'disabled',
  });
  const protocol = url.protocol === 'http:' ? 'http:' : 'https:';
  return { protocol, hostname: url.hostname, port: url.port === '' ? undefined : Number(url.port), path: url.pathname || '/', host: url.host, region };
}

function serviceError(answer: Answer, attempt: number): DynamoDbServiceError {
  let type = '';
  let message = '';
  try {
    const parsed = JSON.parse(answer.body) as { __type?: string; message?: string; Message?: string };
    type = parsed.__type?.split('#').pop() ?? '';
    message = parsed.message ?? parsed.Message ?? '';
  } catch {
    // not JSON (a proxy's page): named by its status below
  }
  const name = type || (answer.status >= 500 ? 'InternalServerError' : `HttpError${answer.status}`);
  return new DynamoDbServiceError(name, message || `DynamoDB answered ${answer.status}`, { httpStatusCode: answer.status, attempts: attempt });
}

function retryKind(error: unknown): 'throttling' | 'transient' | 'timeout' | undefined {
  const { name, code, $metadata } = (error ?? {}) as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  if (name !== undefined && THROTTLING.has(name)) return 'throttling';
  if ($metadata?.httpStatusCode === 429) return 'throttling';
  if (error instanceof AttemptTimeoutError) return 'timeout';
  if (name !== undefined && TRANSIENT.has(name)) return 'transient';
  if (($metadata?.httpStatusCode ?? 0) >= 500) return 'transient';
  if (code !== undefined && NETWORK_CODES.has(code)) return 'transient';
  return undefined;
}

function unavailable(cause: unknown): UnavailableError {
  const error = new UnavailableError('keygate could not reach its database in time; retry shortly', 1);
  (error as { cause?: unknown }).cause = cause;
  return error;
}

/**
 * The lean reader of a document client: one per client, with the client's own configuration, so
 * every path that holds the client (Lambda's composition root, the local run, tests, the bench)
 * reads keys the same way. documentClient() attaches one with its timeouts; a client made
 * elsewhere gets one with the defaults on first use.
 */
const readers = new WeakMap<object, LeanDynamoReader>();

export function attachLeanReader(client: DynamoDBDocumentClient, options?: LeanReaderOptions): LeanDynamoReader {
  const reader = new LeanDynamoReader(client, options);
  readers.set(client, reader);
  return reader;
}

export function leanReaderOf(client: DynamoDBDocumentClient): LeanDynamoReader {
  return readers.get(client) ?? attachLeanReader(client);
}
