import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import type { Deps } from '../functions/runtime/deps.js';
import { type RouteDefinition, routes } from '../functions/routes.js';
import { DEFAULT_THROTTLES, type RouteThrottle, throttleClassOf, type Throttles } from '../functions/contract/throttles.js';

/**
 * The local stand-in for API Gateway (HTTP API, Lambda payload format 2.0): it serves every
 * entry of the route table with the same handler modules the stack deploys, and builds the
 * same events. What API Gateway does on its own (404 for an unknown route or method, the 10 MB
 * body limit, the `apigw-requestid` header, base64-encoded non-text bodies, the stage's throttling
 * per route with its 429, the 30 s integration timeout with its 503) it does here too, with API
 * Gateway's bodies.
 */

interface RouteModule {
  route: { id: string; handle(event: APIGatewayProxyEventV2, deps: Deps): Promise<APIGatewayProxyStructuredResultV2> };
}

/**
 * A Lambda authorizer in front of a route (HTTP API, payload 2.0, simple responses), run as API
 * Gateway runs it: a missing identity source is a 401 without calling it, `isAuthorized: false`
 * a 403, a throw or a malformed answer a 500; decisions are cached by the identity-source values
 * for `resultsCacheTtlSeconds` (on the deps' clock), and the context reaches the route as
 * `requestContext.authorizer.lambda`.
 */
export interface LocalAuthorizer {
  /** `$request.header.<name>`, `$request.querystring.<name>`, `$context.routeKey`, `$context.path`, `$context.httpMethod`. */
  readonly identitySource: readonly string[];
  readonly resultsCacheTtlSeconds: number;
  handle(event: APIGatewayRequestAuthorizerEventV2, deps: Deps): Promise<unknown>;
}

/** What the gateway serves: an entry of the route table, or another API's route behind an authorizer. */
export interface GatewayRoute extends Pick<RouteDefinition, 'id' | 'path' | 'entry' | 'throttleClass'>, Partial<Pick<RouteDefinition, 'tableAccess'>> {
  readonly method: string;
  readonly authorizer?: LocalAuthorizer;
  /** The route's own throttle (a route of another API, with its own stage); else its class's. */
  readonly throttle?: RouteThrottle;
}

export interface GatewayOptions {
  readonly deps: Deps;
  /** For the gateway's own tests; everything else serves the one route table. */
  readonly routeTable?: readonly GatewayRoute[];
  /**
   * The stage throttling per route class, as the stack deploys it (functions/contract/throttles.ts);
   * `off` for load measurements of the code itself. @default DEFAULT_THROTTLES
   */
  readonly throttles?: Throttles | 'off';
  /** How long a handler may take before the gateway answers 503, as HTTP APIs do at 30 s. @default 30_000 */
  readonly integrationTimeoutMs?: number;
  /** Milliseconds on a monotonic clock, for the token buckets (tests stand it still). @default performance.now */
  readonly monotonicNow?: () => number;
}

interface CompiledRoute {
  definition: GatewayRoute;
  pattern: RegExp;
  paramNames: string[];
  module: Promise<RouteModule>;
  /** Undefined when throttling is off. */
  bucket: TokenBucket | undefined;
}

/**
 * API Gateway's throttle, one per route: a bucket of `burstLimit` tokens refilled at `rateLimit`
 * a second; a request takes one, and finds none: 429.
 */
class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly limit: RouteThrottle,
    private readonly now: () => number,
  ) {
    this.tokens = limit.burstLimit;
    this.last = now();
  }

  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.limit.burstLimit, this.tokens + (Math.max(0, now - this.last) / 1000) * this.limit.rateLimit);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** HTTP APIs' longest integration timeout (and the default), after which they answer 503. */
const INTEGRATION_TIMEOUT_MS = 30_000;
const TIMED_OUT = Symbol('timed out');

const PROJECT_ROOT = resolve(import.meta.dirname, '..');
const MAX_BODY_BYTES = 10 * 1024 * 1024;

/**
 * HTTP APIs (payload format 2.0) pass these bodies as text and base64-encode every other one,
 * including `application/x-www-form-urlencoded` (so every /oauth/token call) and a body with no
 * content type; handlers decode by `isBase64Encoded`, as on AWS. AWS does not document the split;
 * it was observed on real HTTP APIs (github.com/ministackorg/ministack pull 766).
 */
const TEXT_CONTENT_TYPE = /^\s*(text\/[^;\s]+|application\/(json|xml|javascript))\s*(;|$)/i;

export function createGateway({ deps, routeTable = routes, throttles = DEFAULT_THROTTLES, integrationTimeoutMs = INTEGRATION_TIMEOUT_MS, monotonicNow = () => performance.now() }: GatewayOptions): Server {
  const compiled = routeTable.map((definition) => {
    const throttle = throttles === 'off' ? undefined : (definition.throttle ?? throttles[throttleClassOf(definition)]);
    return compileRoute(definition, throttle === undefined ? undefined : new TokenBucket(throttle, monotonicNow));
  });
  for (const route of compiled) if (route.definition.authorizer) route.definition.authorizer.identitySource.forEach(checkIdentitySource);
  const table = indexRoutes(compiled);
  return createServer((req, res) => {
    serve(table, deps, integrationTimeoutMs, req, res).catch((error: unknown) => {
      console.error('local gateway: failed to answer', req.method, req.url, error);
      if (!res.headersSent) send(res, 500, { message: 'Internal Server Error' }, randomUUID());
      else res.destroy();
    });
  });
}

function compileRoute(definition: GatewayRoute, bucket: TokenBucket | undefined): CompiledRoute {
  const paramNames: string[] = [];
  const source = definition.path
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (!param?.[1]) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      paramNames.push(param[1]);
      return '([^/]+)';
    })
    .join('/');
  const module = import(pathToFileURL(resolve(PROJECT_ROOT, definition.entry)).href).then((mod: Partial<RouteModule>) => {
    if (typeof mod.route?.handle !== 'function' || mod.route.id !== definition.id) {
      throw new Error(`${definition.entry} does not export the route ${definition.id} as \`route\``);
    }
    return mod as RouteModule;
  });
  module.catch(() => {}); // reported on the first request that needs it
  return { definition, pattern: new RegExp(`^${source}$`), paramNames, module, bucket };
}

/**
 * The routes of one method: those without path parameters by their path, the others in order of
 * their number of parameters (fewest first; the table's order among equals), so a request is
 * matched with one lookup or a few patterns, not every route's.
 */
interface MethodRoutes {
  exact: Map<string, CompiledRoute>;
  patterned: CompiledRoute[];
}

function indexRoutes(compiled: readonly CompiledRoute[]): Map<string, MethodRoutes> {
  const byMethod = new Map<string, MethodRoutes>();
  for (const route of compiled) {
    const { method, path } = route.definition;
    let routes = byMethod.get(method);
    if (!routes) byMethod.set(method, (routes = { exact: new Map(), patterned: [] }));
    if (route.paramNames.length > 0) routes.patterned.push(route);
    else if (!routes.exact.has(path)) routes.exact.set(path, route);
  }
  for (const routes of byMethod.values()) routes.patterned.sort((a, b) => a.paramNames.length - b.paramNames.length);
  return byMethod;
}

/** A route without path parameters wins over one with them, and fewer parameters over more, as in API Gateway. */
function matchRoute(table: Map<string, MethodRoutes>, method: string, rawPath: string): { route: CompiledRoute; values: string[] } | undefined {
  const routes = table.get(method);
  if (!routes) return undefined;
  const exact = routes.exact.get(rawPath);
  if (exact) return { route: exact, values: [] };
  for (const route of routes.patterned) {
    const found = route.pattern.exec(rawPath);
    if (found) return { route, values: found.slice(1) };
  }
  return undefined;
}

async function serve(table: Map<string, MethodRoutes>, deps: Deps, integrationTimeoutMs: number, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = randomUUID();
  const startedMs = Date.now();
  const url = req.url ?? '/';
  const queryStart = url.indexOf('?');
  const rawPath = queryStart === -1 ? url : url.slice(0, queryStart);
  const rawQueryString = queryStart === -1 ? '' : url.slice(queryStart + 1);
  const method = req.method ?? 'GET';

  const match = matchRoute(table, method, rawPath);
  if (!match) return drainThen(req, () => send(res, 404, { message: 'Not Found' }, requestId));
  // Throttling comes before the authorizer and the integration: a throttled request costs no invocation.
  if (match.route.bucket && !match.route.bucket.take()) return drainThen(req, () => send(res, 429, { message: 'Too Many Requests' }, requestId));

  let pathParameters: Record<string, string> | undefined;
  let decodedPath: string;
  try {
    decodedPath = decodeURIComponent(rawPath);
    if (match.route.paramNames.length > 0) {
      const values = match.values;
      pathParameters = Object.fromEntries(match.route.paramNames.map((name, i) => [name, decodeURIComponent(values[i] ?? '')]));
    }
  } catch {
    return drainThen(req, () => send(res, 400, { message: 'Bad Request' }, requestId));
  }

  const body = await readBody(req);
  if (body === 'too large') return send(res, 413, { message: 'Request Entity Too Large' }, requestId, { connection: 'close' });

  // From the raw name/value list (what headersDistinct is built from, without its arrays): names
  // lower-cased, repeated headers joined with commas, cookies split, as API Gateway does.
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    if (name === 'cookie') {
      for (const cookie of value.split(';')) {
        const trimmed = cookie.trim();
        if (trimmed !== '') (cookies ??= []).push(trimmed);
      }
    } else headers[name] = Object.hasOwn(headers, name) ? `${headers[name]},${value}` : value;
  }
  const sourceIp = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${sourceIp}` : sourceIp;
  headers['x-forwarded-port'] = String(req.socket.localPort ?? '');
  headers['x-forwarded-proto'] = 'http';

  const routeKey = `${match.route.definition.method} ${match.route.definition.path}`;
  const domainName = headers.host ?? 'localhost';
  const textBody = body.length === 0 || TEXT_CONTENT_TYPE.test(headers['content-type'] ?? '');
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString,
    ...(cookies && cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(rawQueryString !== '' ? { queryStringParameters: joinedQuery(rawQueryString) } : {}),
    ...(pathParameters ? { pathParameters } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: { method, path: decodedPath, protocol: `HTTP/${req.httpVersion}`, sourceIp, userAgent: headers['user-agent'] ?? '' },
      requestId,
      routeKey,
      stage: '$default',
      time: clfTime(startedMs),
      timeEpoch: startedMs,
    },
    ...(body.length > 0 ? { body: textBody ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: !textBody,
  };

  const authorizer = match.route.definition.authorizer;
  if (authorizer) {
    const verdict = await runAuthorizer(authorizer, event, deps);
    if (verdict.refused) return send(res, verdict.refused.status, { message: verdict.refused.message }, requestId);
    (event.requestContext as { authorizer?: unknown }).authorizer = { lambda: verdict.context };
  }

  let result: APIGatewayProxyStructuredResultV2 | typeof TIMED_OUT;
  const invocation = match.route.module.then((mod) => mod.route.handle(event, deps));
  let timer: NodeJS.Timeout | undefined;
  try {
    result = await Promise.race([invocation, new Promise<typeof TIMED_OUT>((done) => (timer = setTimeout(done, integrationTimeoutMs, TIMED_OUT)))]);
  } catch (error) {
    // Handlers catch everything themselves; reaching this is a bug in one of them.
    console.error(`local gateway: ${routeKey} threw (API Gateway would answer 500)`, error);
    return send(res, 500, { message: 'Internal Server Error' }, requestId);
  } finally {
    clearTimeout(timer);
  }
  if (result === TIMED_OUT) {
    // The handler runs on (a Lambda function runs to its own timeout); its answer goes nowhere.
    invocation.catch(() => {});
    console.error(`local gateway: ${routeKey} took longer than ${integrationTimeoutMs} ms (API Gateway answers 503)`);
    return send(res, 503, { message: 'Service Unavailable' }, requestId);
  }
  writeResult(res, result, requestId);
}

/* ---- Lambda authorizers ---- */

const IDENTITY_SOURCE = /^\$(request\.header|request\.querystring)\.([\w-]+)$|^\$context\.(routeKey|path|httpMethod)$/;

function checkIdentitySource(source: string): void {
  if (!IDENTITY_SOURCE.test(source)) throw new Error(`local gateway: cannot evaluate the identity source ${source}`);
}

function identityValue(source: string, event: APIGatewayProxyEventV2): string | undefined {
  const [, kind, name = '', context] = IDENTITY_SOURCE.exec(source) ?? [];
  if (kind === 'request.header') return event.headers[name.toLowerCase()];
  if (kind === 'request.querystring') return event.queryStringParameters?.[name];
  if (context === 'routeKey') return event.routeKey;
  if (context === 'path') return event.requestContext.http.path;
  return event.requestContext.http.method;
}

type Verdict = { refused: { status: number; message: string }; context?: undefined } | { refused?: undefined; context: unknown };

const decisionCaches = new WeakMap<LocalAuthorizer, Map<string, { until: number; verdict: Verdict }>>();

const UNAUTHORIZED: Verdict = { refused: { status: 401, message: 'Unauthorized' } };
const FORBIDDEN: Verdict = { refused: { status: 403, message: 'Forbidden' } };
const AUTHORIZER_FAILED: Verdict = { refused: { status: 500, message: 'Internal Server Error' } };

async function runAuthorizer(authorizer: LocalAuthorizer, event: APIGatewayProxyEventV2, deps: Deps): Promise<Verdict> {
  const values = authorizer.identitySource.map((source) => identityValue(source, event));
  if (values.some((value) => value === undefined || value === '')) return UNAUTHORIZED;
  // With caching off (the bench's demo API, the tests of an uncached authorizer) no key, clock or lookup.
  const caching = authorizer.resultsCacheTtlSeconds > 0 && authorizer.identitySource.length > 0;
  let cache: Map<string, { until: number; verdict: Verdict }> | undefined;
  let cacheKey = '';
  let now = 0;
  if (caching) {
    cacheKey = JSON.stringify(values);
    cache = decisionCaches.get(authorizer);
    if (!cache) decisionCaches.set(authorizer, (cache = new Map()));
    now = deps.clock().getTime();
    const cached = cache.get(cacheKey);
    if (cached && now < cached.until) return cached.verdict;
  }

  const authorizerEvent: APIGatewayRequestAuthorizerEventV2 = {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:local:local:local/$default/${event.requestContext.http.method}${event.rawPath}`,
    identitySource: values as string[],
    routeKey: event.routeKey,
    rawPath: event.rawPath,
    rawQueryString: event.rawQueryString,
    cookies: event.cookies ?? [],
    headers: event.headers,
    requestContext: event.requestContext,
    ...(event.queryStringParameters ? { queryStringParameters: event.queryStringParameters } : {}),
    ...(event.pathParameters ? { pathParameters: event.pathParameters } : {}),
  };
  let answer: unknown;
  try {
    answer = await authorizer.handle(authorizerEvent, deps);
  } catch (error) {
    console.error(`local gateway: the authorizer of ${event.routeKey} failed (API Gateway answers 500 and caches nothing)`, error);
    return AUTHORIZER_FAILED;
  }
  const { isAuthorized, context } = (answer ?? {}) as { isAuthorized?: unknown; context?: unknown };
  if (typeof isAuthorized !== 'boolean' || (context !== undefined && (context === null || typeof context !== 'object'))) {
    console.error(`local gateway: the authorizer of ${event.routeKey} answered no simple response (API Gateway answers 500)`, answer);
    return AUTHORIZER_FAILED;
  }
  const verdict: Verdict = isAuthorized ? { context: context ?? {} } : FORBIDDEN;
  if (cache) {
    cache.set(cacheKey, { until: now + authorizer.resultsCacheTtlSeconds * 1000, verdict });
  }
  return verdict;
}

/** Duplicate names are joined with commas, as API Gateway does in payload format 2.0. */
function joinedQuery(rawQueryString: string): Record<string, string> {
  // A Map, then own properties: `?constructor=a` or `?__proto__=a` are names like any other.
  const joined = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    const before = joined.get(name);
    joined.set(name, before === undefined ? value : `${before},${value}`);
  }
  return Object.fromEntries(joined);
}

/** Resolves 'too large' as soon as the limit is passed; the rest of the body is read and dropped. */
function readBody(req: IncomingMessage): Promise<Buffer | 'too large'> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const tooLarge = () => {
      req.removeListener('data', collect);
      req.resume();
      done('too large');
    };
    const collect = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge();
      else chunks.push(chunk);
    };
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return tooLarge();
    req.on('data', collect);
    req.once('end', () => done(Buffer.concat(chunks)));
    req.once('error', fail);
  });
}

/** Reads and drops the request body before answering, so the client sees the answer, not a reset. */
function drainThen(req: IncomingMessage, answer: () => void): void {
  if (req.readableEnded) return answer();
  req.once('end', answer);
  req.resume();
}

function writeResult(res: ServerResponse, result: APIGatewayProxyStructuredResultV2, requestId: string): void {
  res.statusCode = result.statusCode ?? 200;
  for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, String(value));
  if (result.cookies && result.cookies.length > 0) res.setHeader('set-cookie', result.cookies);
  res.setHeader('apigw-requestid', requestId);
  if (result.body === undefined) {
    res.end();
    return;
  }
  // A text body goes out as a string: node:http joins it to the head and writes one chunk (a
  // Buffer would be a second chunk of the same write, after a copy of the body).
  const body = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
  res.setHeader('content-length', typeof body === 'string' ? Buffer.byteLength(body) : body.length);
  res.end(body);
}

function send(res: ServerResponse, statusCode: number, body: unknown, requestId: string, extra: Record<string, string> = {}): void {
  writeResult(res, { statusCode, headers: { 'content-type': 'application/json', ...extra }, body: JSON.stringify(body) }, requestId);
}

/** `requestContext.time` is in Common Log Format: `12/Mar/2020:19:03:58 +0000`; formatted once per second. */
let clfSecond = Number.NaN;
let clfText = '';

function clfTime(epochMs: number): string {
  const second = Math.floor(epochMs / 1000);
  if (second !== clfSecond) {
    const [, day, month, year, time] = /^\w+, (\d+) (\w+) (\d+) ([\d:]+) GMT$/.exec(new Date(second * 1000).toUTCString()) ?? [];
    clfText = `${day}/${month}/${year}:${time} +0000`;
    clfSecond = second;
  }
  return clfText;
}
