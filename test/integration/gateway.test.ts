import { request } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mintAdminKey } from '../../functions/bootstrap/admin-key.js';
import { decodeJwt } from 'jose';
import { echoRoutes } from '../support/echo-route.js';
import { freshDeps, startGateway } from '../support/dynamodb.js';
import { basic, createKey, keygateWorld, postForm } from '../support/world.js';

type Gateway = Awaited<ReturnType<typeof startGateway>>;

/** A raw request, so duplicate headers go out as separate lines, as a real client may send them. */
function send(
  url: string,
  options: { method?: string; headers?: Record<string, string | string[]>; body?: Buffer | string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((done, fail) => {
    const req = request(url, { method: options.method ?? 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', fail);
    for (const [name, value] of Object.entries(options.headers ?? {})) req.setHeader(name, value);
    req.end(options.body);
  });
}

async function echo(url: string, options: Parameters<typeof send>[1] = {}): Promise<APIGatewayProxyEventV2> {
  const response = await send(url, options);
  expect(response.status).toBe(200);
  return JSON.parse(response.body.toString('utf8')) as APIGatewayProxyEventV2;
}

describe('the local gateway, serving test routes', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startGateway(await freshDeps(), echoRoutes);
  });
  afterAll(() => gateway.close());

  it('builds a payload format 2.0 event with the route key, raw path and decoded path parameters', async () => {
    const event = await echo(`${gateway.url}/echo/a%20b%2Fc`);
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /echo/{id}',
      rawPath: '/echo/a%20b%2Fc',
      rawQueryString: '',
      pathParameters: { id: 'a b/c' },
      isBase64Encoded: false,
      requestContext: {
        accountId: 'local',
        apiId: 'local',
        routeKey: 'GET /echo/{id}',
        stage: '$default',
        http: { method: 'GET', path: '/echo/a b/c', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1' },
      },
    });
    expect(event.queryStringParameters).toBeUndefined();
    expect(event.body).toBeUndefined();
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(Math.abs(event.requestContext.timeEpoch - Date.now())).toBeLessThan(5_000);
  });

  it('passes every path parameter of a route with several', async () => {
    const event = await echo(`${gateway.url}/echo/k1/items/%C3%A9t%C3%A9`, { method: 'POST' });
    expect(event.routeKey).toBe('POST /echo/{id}/items/{item}');
    expect(event.pathParameters).toEqual({ id: 'k1', item: 'été' });
  });

  it('prefers a route without path parameters over one with them', async () => {
    const event = await echo(`${gateway.url}/echo/special`);
    expect(event.routeKey).toBe('GET /echo/special');
    expect(event.pathParameters).toBeUndefined();
  });

  it('keeps the raw query string and joins repeated parameters with commas', async () => {
    const event = await echo(`${gateway.url}/echo/x?status=active&status=expired&owner=al%26ice&q=a+b`);
    expect(event.rawQueryString).toBe('status=active&status=expired&owner=al%26ice&q=a+b');
    expect(event.queryStringParameters).toEqual({ status: 'active,expired', owner: 'al&ice', q: 'a b' });
  });

  it('lower-cases header names, joins repeated headers with commas and moves cookies to their own field', async () => {
    const event = await echo(`${gateway.url}/echo/x`, {
      headers: { 'X-Trace-Thing': 'one', 'X-Repeated': ['a', 'b'], Cookie: 'session=s1; theme=dark', 'User-Agent': 'gateway-test' },
    });
    expect(event.headers).toMatchObject({ 'x-trace-thing': 'one', 'x-repeated': 'a,b', 'user-agent': 'gateway-test', 'x-forwarded-proto': 'http' });
    expect(Object.keys(event.headers).every((name) => name === name.toLowerCase())).toBe(true);
    expect(event.headers.cookie).toBeUndefined();
    expect(event.cookies).toEqual(['session=s1', 'theme=dark']);
    expect(event.requestContext.http.userAgent).toBe('gateway-test');
  });

  it('passes a JSON body as text and a binary body base64-encoded', async () => {
    const json = await echo(`${gateway.url}/echo/x/items/y`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: '{"name":"été"}',
    });
    expect(json).toMatchObject({ body: '{"name":"été"}', isBase64Encoded: false });

    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    const binary = await echo(`${gateway.url}/echo/x/items/y`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
    expect(binary).toMatchObject({ body: bytes.toString('base64'), isBase64Encoded: true });
  });

  it('writes back status, headers, cookies and a base64 body, with the apigw-requestid header', async () => {
    const reply = {
      statusCode: 201,
      headers: { 'content-type': 'text/plain', 'x-answer': 42 },
      cookies: ['a=1; HttpOnly', 'b=2'],
      body: Buffer.from('hello').toString('base64'),
      isBase64Encoded: true,
    };
    const response = await send(`${gateway.url}/echo/x`, { headers: { 'x-echo-reply': JSON.stringify(reply) } });
    expect(response.status).toBe(201);
    expect(response.body.toString()).toBe('hello');
    expect(response.headers['content-type']).toBe('text/plain');
    expect(response.headers['x-answer']).toBe('42');
    expect(response.headers['set-cookie']).toEqual(['a=1; HttpOnly', 'b=2']);
    expect(response.headers['apigw-requestid']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('gives each request its own id, in the event and in the apigw-requestid header', async () => {
    const first = await send(`${gateway.url}/echo/x`);
    const second = await send(`${gateway.url}/echo/x`);
    const event = JSON.parse(first.body.toString()) as APIGatewayProxyEventV2;
    expect(first.headers['apigw-requestid']).toBe(event.requestContext.requestId);
    expect(second.headers['apigw-requestid']).not.toBe(first.headers['apigw-requestid']);
  });

  it('answers 404 Not Found for an unknown path, as API Gateway does', async () => {
    for (const path of ['/nope', '/echo', '/echo/', '/echo/x/y', '/ECHO/x']) {
      const response = await send(`${gateway.url}${path}`);
      expect(response.status, path).toBe(404);
      expect(JSON.parse(response.body.toString())).toEqual({ message: 'Not Found' });
      expect(response.headers['apigw-requestid']).toBeDefined();
    }
  });

  it('answers 404 Not Found for a known path with a method it has no route for', async () => {
    for (const method of ['POST', 'DELETE', 'PUT', 'HEAD']) {
      const response = await send(`${gateway.url}/echo/x`, { method });
      expect(response.status, method).toBe(404);
    }
  });

  it('answers 413 to a body over 10 MB without calling the handler', async () => {
    const big = Buffer.alloc(10 * 1024 * 1024 + 1, 'a');
    const response = await send(`${gateway.url}/echo/x/items/y`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: big });
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body.toString())).toEqual({ message: 'Request Entity Too Large' });

    const exactly = await send(`${gateway.url}/echo/x/items/y`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: Buffer.alloc(10 * 1024 * 1024, 'a'),
    });
    expect(exactly.status).toBe(200);
  });

  it('answers 413 to a chunked body that grows past 10 MB', async () => {
    const url = new URL(`${gateway.url}/echo/x/items/y`);
    const response = await new Promise<{ status: number; body: string }>((done, fail) => {
      const req = request(url, { method: 'POST', headers: { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' } }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => done({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', fail);
      const chunk = Buffer.alloc(1024 * 1024, 'a');
      for (let i = 0; i < 11; i++) req.write(chunk);
      req.end();
    });
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body)).toEqual({ message: 'Request Entity Too Large' });
  });

  it('answers 500 with a fixed message when a handler throws, and logs the error', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const response = await send(`${gateway.url}/echo/x`, { headers: { 'x-echo-throw': '1' } });
      expect(response.status).toBe(500);
      expect(JSON.parse(response.body.toString())).toEqual({ message: 'Internal Server Error' });
      expect(log).toHaveBeenCalledWith(expect.stringContaining('GET /echo/{id} threw'), expect.objectContaining({ message: 'echo was told to throw' }));
    } finally {
      log.mockRestore();
    }
  });
});

describe('the local gateway, serving the route table', () => {
  let gateway: Gateway;
  let admin: string;
  beforeAll(async () => {
    const deps = await freshDeps();
    admin = (await mintAdminKey(deps)).key;
    gateway = await startGateway(deps);
  });
  afterAll(() => gateway.close());

  it('calls the real handler of a route, which checks the credential', async () => {
    const ok = await send(`${gateway.url}/v1/catalog`, { headers: { authorization: `Bearer ${admin}` } });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body.toString())).toHaveProperty('roles');

    const anonymous = await send(`${gateway.url}/v1/catalog`);
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.body.toString()).error.requestId).toBe(anonymous.headers['apigw-requestid']);
  });

  it('answers 404 for a method the route table does not have on a known path', async () => {
    const response = await send(`${gateway.url}/v1/catalog`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
    expect(response.status).toBe(404);
    expect(JSON.parse(response.body.toString())).toEqual({ message: 'Not Found' });
  });
});

describe('the local gateway, encoding bodies as HTTP APIs do', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startGateway(await freshDeps(), echoRoutes);
  });
  afterAll(() => gateway.close());

  // Text only for text/*, application/json, application/xml and application/javascript; every
  // other body, a form and one without a content type included, arrives base64-encoded.
  it.each([
    ['text/plain; charset=utf-8', false],
    ['text/csv', false],
    ['application/json', false],
    ['Application/JSON; charset=UTF-8', false],
    ['application/xml', false],
    ['application/javascript', false],
    ['application/x-www-form-urlencoded', true],
    ['application/x-www-form-urlencoded; charset=utf-8', true],
    ['multipart/form-data; boundary=x', true],
    ['application/octet-stream', true],
    ['application/problem+json', true],
    ['application/jsonp', true],
    [undefined, true],
  ] as const)('content type %s: isBase64Encoded %s', async (contentType, encoded) => {
    const body = 'grant_type=client_credentials&scope=alerts%3Aread+caf%C3%A9';
    const event = await echo(`${gateway.url}/echo/x/items/y`, { method: 'POST', headers: contentType === undefined ? {} : { 'content-type': contentType }, body });
    expect(event.isBase64Encoded).toBe(encoded);
    expect(event.body).toBe(encoded ? Buffer.from(body).toString('base64') : body);
  });
});

describe('the token endpoint behind the local gateway', () => {
  it('decodes the base64-encoded form body that every /oauth/token call arrives as', async () => {
    const world = await keygateWorld();
    try {
      const key = await createKey(world, { owner: 'siem', permissions: ['alerts:read', 'cases:read'] });
      const response = await postForm(world, '/oauth/token', { grant_type: 'client_credentials', scope: 'cases:read' }, { authorization: basic(key.id, key.key) });
      expect(response.status).toBe(200);
      // The scope came from the form: read from the decoded body, not from a default.
      expect(decodeJwt(response.json.access_token).scope).toBe('cases:read');
    } finally {
      await world.close();
    }
  });
});

describe('the local gateway, throttling as the stage does', () => {
  let now = 0;
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startGateway(await freshDeps(), echoRoutes, {
      throttles: { management: { rateLimit: 2, burstLimit: 3 }, integration: { rateLimit: 10, burstLimit: 5 } },
      monotonicNow: () => now,
    });
  });
  afterAll(() => gateway.close());

  const statuses = async (url: string, count: number, options: Parameters<typeof send>[1] = {}) => {
    const out: number[] = [];
    for (let i = 0; i < count; i++) out.push((await send(url, options)).status);
    return out;
  };

  it('serves a burst, then answers 429 Too Many Requests with API Gateway\'s body until the bucket refills at the rate', async () => {
    expect(await statuses(`${gateway.url}/echo/a`, 4)).toEqual([200, 200, 200, 429]);
    const refused = await send(`${gateway.url}/echo/b`);
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body.toString())).toEqual({ message: 'Too Many Requests' });
    expect(refused.headers['apigw-requestid']).toMatch(/^[0-9a-f-]{36}$/);
    now += 500; // 2 a second: one more request
    expect(await statuses(`${gateway.url}/echo/c`, 2)).toEqual([200, 429]);
    now += 60_000; // never more than the burst
    expect(await statuses(`${gateway.url}/echo/d`, 4)).toEqual([200, 200, 200, 429]);
  });

  it('keeps one bucket per route, sized by the route\'s class', async () => {
    expect(await statuses(`${gateway.url}/echo/special`, 4)).toEqual([200, 200, 200, 429]);
    const post = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' };
    expect(await statuses(`${gateway.url}/echo-integration`, 6, post)).toEqual([200, 200, 200, 200, 200, 429]);
  });
});

describe('the local gateway, with the deploy\'s default throttles', () => {
  it('gives management routes burst 100 and integration routes more (a clock standing still: no refill)', async () => {
    const gateway = await startGateway(await freshDeps(), echoRoutes, { monotonicNow: () => 0 });
    try {
      const management: number[] = [];
      for (let i = 0; i < 101; i++) management.push((await send(`${gateway.url}/echo/x`)).status);
      expect(management.filter((s) => s === 200)).toHaveLength(100);
      expect(management[100]).toBe(429);
      for (let i = 0; i < 101; i++) expect((await send(`${gateway.url}/echo-integration`, { method: 'POST' })).status).toBe(200);
    } finally {
      await gateway.close();
    }
  });

  it('throttles nothing when told `off` (load measurements of the code itself)', async () => {
    const gateway = await startGateway(await freshDeps(), echoRoutes, { throttles: 'off', monotonicNow: () => 0 });
    try {
      for (let i = 0; i < 150; i++) expect((await send(`${gateway.url}/echo/x`)).status).toBe(200);
    } finally {
      await gateway.close();
    }
  });
});

describe('the local gateway, timing out as HTTP APIs do', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startGateway(await freshDeps(), echoRoutes, { integrationTimeoutMs: 300 });
  });
  afterAll(() => gateway.close());

  it('answers 503 Service Unavailable when the handler takes longer than the integration timeout', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const started = Date.now();
      const slow = await send(`${gateway.url}/echo/x`, { headers: { 'x-echo-delay-ms': '2000' } });
      expect(slow.status).toBe(503);
      expect(JSON.parse(slow.body.toString())).toEqual({ message: 'Service Unavailable' });
      expect(slow.headers['apigw-requestid']).toMatch(/^[0-9a-f-]{36}$/);
      expect(Date.now() - started).toBeLessThan(1_900);
      expect(log).toHaveBeenCalledWith(expect.stringContaining('took longer than 300 ms'));
    } finally {
      log.mockRestore();
    }
    expect((await send(`${gateway.url}/echo/x`, { headers: { 'x-echo-delay-ms': '50' } })).status).toBe(200);
  });
});
