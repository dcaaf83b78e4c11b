import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { localDynamoClientConfig } from '../../dev/dynamodb-local.js';
import type { Deps } from '../../functions/runtime/deps.js';
import { documentClient } from '../../functions/shared/dynamodb.js';
import { DynamoDbServiceError, LeanDynamoReader } from '../../functions/shared/dynamodb-lean.js';
import { UnavailableError } from '../../functions/shared/errors.js';
import { freshDeps } from '../support/dynamodb.js';

/**
 * The lean key reads (functions/shared/dynamodb-lean.ts): against DynamoDB Local, the same items
 * as the SDK's document client reads; against a local server answering what a test injects, the
 * retries, timeouts, errors and signing the SDK would have given.
 */

describe('lean reads against DynamoDB Local', () => {
  let deps: Deps;
  const item = {
    pk: 'KEY#lean',
    sk: 'KEY',
    name: 'ünïcode ✓',
    version: 3,
    ratio: 1.5,
    big: 12345678901234,
    active: true,
    nothing: null,
    roles: [{ role: 'reader', scope: ['a', 'b'] }],
    permissions: { 'alerts:read': '*', 'cases:read': ['acct-1'] },
    tags: new Set(['x', 'y']),
  };

  beforeAll(async () => {
    deps = await freshDeps();
    await deps.ddb.send(new PutCommand({ TableName: deps.tableName, Item: item }));
    await deps.ddb.send(new PutCommand({ TableName: deps.tableName, Item: { pk: 'KEY#other', sk: 'KEY', n: 1 } }));
  });

  it('reads an item as the document client reads it, and an absent one as undefined', async () => {
    const reader = new LeanDynamoReader(deps.ddb);
    const viaSdk = (await deps.ddb.send(new GetCommand({ TableName: deps.tableName, Key: { pk: 'KEY#lean', sk: 'KEY' }, ConsistentRead: true }))).Item;
    const lean = await reader.getItem(deps.tableName, { pk: 'KEY#lean', sk: 'KEY' }, true);
    expect(lean).toEqual(viaSdk);
    expect(lean).toEqual(item);
    expect(await reader.getItem(deps.tableName, { pk: 'KEY#absent', sk: 'KEY' }, true)).toBeUndefined();
    reader.destroy();
  });

  it('reads several items in one BatchGetItem, leaving out absent ones', async () => {
    const reader = new LeanDynamoReader(deps.ddb);
    const keys = ['lean', 'other', 'absent'].map((id) => ({ pk: `KEY#${id}`, sk: 'KEY' }));
    const { items, unprocessed } = await reader.batchGetItem(deps.tableName, keys, true);
    expect(unprocessed).toEqual([]);
    expect(items.map((i) => i.pk).sort()).toEqual(['KEY#lean', 'KEY#other']);
    expect(items.find((i) => i.pk === 'KEY#lean')).toEqual(item);
    reader.destroy();
  });

  it('names a refusal as DynamoDB does, without retrying it', async () => {
    const reader = new LeanDynamoReader(deps.ddb);
    const missing = reader.getItem('no-such-table', { pk: 'KEY#lean', sk: 'KEY' }, true);
    await expect(missing).rejects.toBeInstanceOf(DynamoDbServiceError);
    await expect(missing).rejects.toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 400, attempts: 1 } });
    reader.destroy();
  });
});

/** What the injected server answers, one function per request in turn (the last one repeats). */
type Answer = (req: IncomingMessage, res: ServerResponse, body: string) => void;

describe('lean reads against injected answers', () => {
  let server: Server;
  let endpoint: string;
  let answers: Answer[] = [];
  let received: { headers: IncomingMessage['headers']; body: string; port: number | undefined }[] = [];
  const readers: LeanDynamoReader[] = [];

  const json = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => (_req, res) =>
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', ...headers }).end(JSON.stringify(body));
  const refusal = (status: number, type: string, message = 'injected') => json(status, { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message });
  const found = json(200, { Item: { pk: { S: 'KEY#k' }, sk: { S: 'KEY' }, n: { N: '7' } } });

  /** Timeouts short enough for a test, in the production ratio. */
  const TIMEOUTS = { connectionTimeoutMs: 200, requestTimeoutMs: 300, deadlineMs: 900 };
  const credentials = { accessKeyId: 'AKIDLEAN', secretAccessKey: 'lean-secret', sessionToken: 'lean-session' };

  function reader(options: { timeouts?: typeof TIMEOUTS; maxAttempts?: number } = {}) {
    const client = documentClient({ ...localDynamoClientConfig(endpoint), credentials });
    const made = new LeanDynamoReader(client, { timeouts: options.timeouts ?? TIMEOUTS, ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }) });
    readers.push(made);
    return made;
  }
  const read = (lean: LeanDynamoReader) => lean.getItem('t', { pk: 'KEY#k', sk: 'KEY' }, true);

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        received.push({ headers: req.headers, body, port: req.socket.remotePort });
        const answer = answers[Math.min(received.length, answers.length) - 1];
        answer?.(req, res, body);
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(() => {
    for (const made of readers.splice(0)) made.destroy();
    answers = [];
    received = [];
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  });

  it('signs each request as the SDK signer would, session token included, for the configured endpoint', async () => {
    answers = [found];
    expect(await read(reader())).toEqual({ pk: 'KEY#k', sk: 'KEY', n: 7 });
    const [request] = received;
    if (!request) throw new Error('no request arrived');
    expect(request.headers).toMatchObject({
      'x-amz-target': 'DynamoDB_20120810.GetItem',
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-security-token': 'lean-session',
      host: new URL(endpoint).host,
    });
    expect(JSON.parse(request.body)).toEqual({ TableName: 't', Key: { pk: { S: 'KEY#k' }, sk: { S: 'KEY' } }, ConsistentRead: true });
    // The server's own check: the same request signed by the SDK's signer gives the same signature.
    const url = new URL(endpoint);
    const signedHeaders = /SignedHeaders=([^,]+)/.exec(String(request.headers.authorization))?.[1]?.split(';') ?? [];
    expect(signedHeaders).toEqual(expect.arrayContaining(['host', 'x-amz-date', 'x-amz-target', 'x-amz-security-token', 'content-type']));
    const headers = Object.fromEntries(signedHeaders.map((name) => [name, String(request.headers[name])]));
    const date = String(request.headers['x-amz-date']);
    const signingDate = new Date(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`);
    const client = new DynamoDBClient({ region: 'us-east-1' });
    // applyChecksum off: the SDK's signer signs exactly the headers that arrived (it would add x-amz-content-sha256).
    const expected = await new SignatureV4({ credentials, region: 'us-east-1', service: 'dynamodb', sha256: client.config.sha256, applyChecksum: false }).sign(
      { method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/', query: {}, headers, body: request.body },
      { signingDate },
    );
    expect(request.headers.authorization).toBe(expected.headers.authorization);
    expect(request.headers.authorization).toContain('Credential=AKIDLEAN/');
  });

  it('retries throttling and 5xx answers with backoff, then reads', async () => {
    answers = [refusal(400, 'ProvisionedThroughputExceededException'), refusal(500, 'InternalServerError'), found];
    expect(await read(reader({ timeouts: { ...TIMEOUTS, deadlineMs: 5_000 } }))).toMatchObject({ n: 7 });
    expect(received).toHaveLength(3);
  });

  it('gives up after its attempts with UnavailableError when throttling goes on', async () => {
    answers = [refusal(400, 'ThrottlingException')];
    const error = await read(reader({ timeouts: { ...TIMEOUTS, deadlineMs: 10_000 } })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error).toMatchObject({ code: 'unavailable', retryAfterSeconds: 1, cause: { name: 'ThrottlingException' } });
    expect(received).toHaveLength(3);
  });

  it('does not retry a refusal that will not change (validation, access), and names it', async () => {
    answers = [refusal(400, 'AccessDeniedException', 'not allowed')];
    const error = await read(reader()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DynamoDbServiceError);
    expect(error).not.toBeInstanceOf(UnavailableError);
    expect(error).toMatchObject({ name: 'AccessDeniedException', message: 'not allowed' });
    expect(received).toHaveLength(1);
  });

  it('answers UnavailableError within its deadline when the server stalls, and does not reuse the stalled connection', async () => {
    answers = [() => {}];
    const started = performance.now();
    const error = await read(reader()).catch((e: unknown) => e);
    const took = performance.now() - started;
    expect(error).toBeInstanceOf(UnavailableError);
    expect(took).toBeGreaterThanOrEqual(TIMEOUTS.requestTimeoutMs - 20);
    expect(took).toBeLessThan(TIMEOUTS.deadlineMs + 500);
    // Each attempt came on a connection of its own: a stalled one is destroyed, not pooled.
    expect(received.length).toBeGreaterThanOrEqual(2);
    expect(new Set(received.map((r) => r.port)).size).toBe(received.length);
  });

  it('retries a connection the server dropped, then reads', async () => {
    answers = [(req) => req.socket.destroy(), found];
    expect(await read(reader())).toMatchObject({ n: 7 });
    expect(received).toHaveLength(2);
  });

  it('corrects its clock from the server Date when a signature is refused as skewed', async () => {
    const serverNow = new Date(Date.now() + 3_600_000);
    answers = [json(400, { __type: 'com.amazon.coral.service#InvalidSignatureException', message: 'Signature expired' }, { date: serverNow.toUTCString() }), found];
    expect(await read(reader())).toMatchObject({ n: 7 });
    expect(received).toHaveLength(2);
    const second = String(received[1]?.headers['x-amz-date']);
    expect(second.slice(0, 11)).toBe(serverNow.toISOString().replace(/[-:]/g, '').slice(0, 11));
  });

  it('fails with UnavailableError when nothing listens at the endpoint', async () => {
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((done) => closed.close(done));
    const client = documentClient({ ...localDynamoClientConfig(`http://127.0.0.1:${port}`), credentials });
    const lean = new LeanDynamoReader(client, { timeouts: TIMEOUTS });
    readers.push(lean);
    await expect(read(lean)).rejects.toBeInstanceOf(UnavailableError);
  });
});
