import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import * as z from 'zod';
import { type RouteId, routeById } from '../contract/routes.js';
import { type AcceptedCredentials, authorizeAlongside } from '../access/authorize.js';
import type { RequestOrigin } from '../audit/audit-model.js';
import { auditFailedAuthentication } from '../audit/audit-service.js';
import type { KeyLookup } from '../keys/key-authentication.js';
import type { Principal } from '../permissions/principal.js';
import type { Deps } from '../shared/deps.js';
import { AuthenticationError, PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../shared/errors.js';
import { depsFromEnvironment } from './environment.js';
import { errorResponse, logger } from './respond.js';

/**
 * A route handler: authenticate → check the route's permission → validate with the route's zod
 * schemas → run one domain call. No business rule lives here. The same `handle` serves Lambda
 * (`lambdaHandler`) and the local gateway; nothing escapes it as an exception.
 */
const MAX_BODY_BYTES = 16 * 1024;

type Schema = z.ZodType;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

interface ParsedInput<B, Q, P> {
  body: B;
  query: Q;
  path: P;
}

export interface RouteInput<B, Q, P> extends ParsedInput<B, Q, P> {
  /** The authorized caller, with the request it came in (for audit entries). */
  principal: Principal & { request: RequestOrigin };
  requestId: string;
  /** The key the route's `readsKey` named, looked up with the caller's key but not judged. */
  alongside?: KeyLookup | undefined;
}

export interface RouteSpec<B extends Schema | undefined, Q extends Schema | undefined, P extends Schema | undefined> {
  body?: B;
  query?: Q;
  path?: P;
  /**
   * A key string in the route's valid input that `run` will authenticate: it is read in the same
   * request as the caller's key (one BatchGetItem, not two reads in turn) and reaches `run` as
   * `alongside`, looked up but not judged. Only an authorized caller's request gets to `run`, so
   * a refused caller causes nothing about that key and learns nothing of it. No I/O here.
   */
  readsKey?(input: ParsedInput<Out<B>, Out<Q>, Out<P>>): string;
  run(input: RouteInput<Out<B>, Out<Q>, Out<P>>, deps: Deps): Promise<APIGatewayProxyStructuredResultV2>;
}

export type HandleFn = (event: APIGatewayProxyEventV2, deps: Deps) => Promise<APIGatewayProxyStructuredResultV2>;

export interface Route {
  id: RouteId;
  handle: HandleFn;
  /** What the route validates its input with; the OpenAPI document is generated from them. */
  schemas?: { body?: Schema | undefined; query?: Schema | undefined; path?: Schema | undefined };
}

/** Who sent the request and from where, as API Gateway saw it (the source IP is the connection's). */
export function requestOrigin(event: APIGatewayProxyEventV2): RequestOrigin {
  const http = event.requestContext?.http;
  return {
    requestId: event.requestContext?.requestId ?? 'unknown',
    sourceIp: http?.sourceIp || null,
    userAgent: http?.userAgent || event.headers?.['user-agent'] || null,
  };
}

/**
 * Authorizes a management request; a failed authentication is audited (audit-service.ts decides
 * what is worth an entry) before the 401 goes out. The principal carries the request's origin
 * into the audit entries of the changes it makes. `alongside`: see RouteSpec.readsKey.
 */
async function authorizedPrincipal(
  deps: Deps,
  event: APIGatewayProxyEventV2,
  id: RouteId,
  permission: string,
  alongside: string | undefined,
): Promise<{ principal: Principal & { request: RequestOrigin }; alongside?: KeyLookup | undefined }> {
  const request = requestOrigin(event);
  try {
    const authorized = await authorizeAlongside(deps, event.headers ?? {}, { permission }, MANAGEMENT_CREDENTIALS, alongside);
    return { principal: { ...authorized.caller, request }, alongside: authorized.alongside };
  } catch (error) {
    if (error instanceof AuthenticationError) await auditFailedAuthentication(deps, error, request, id);
    throw error;
  }
}

function describeIssues(error: z.ZodError, where: string): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      return issue.code === 'unrecognized_keys' ? `${path}unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}` : `${path}${issue.message}`;
    })
    .map((text) => `${where} ${text}`)
    .join('; ');
}

function validate<S extends Schema | undefined>(schema: S, value: unknown, where: string): Out<S> {
  if (schema === undefined) return undefined as Out<S>;
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(describeIssues(result.error, where));
  return result.data as Out<S>;
}

function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  return event.headers?.[name];
}

/**
 * keygate's own routes take a keygate key as a bearer token. Access tokens are for the APIs that
 * keygate protects: on the management API a deleted key's token would keep working until it expired.
 */
export const MANAGEMENT_CREDENTIALS: AcceptedCredentials = { headers: ['authorization'] };

function readBody(event: APIGatewayProxyEventV2): unknown {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(raw) > MAX_BODY_BYTES) throw new PayloadTooLargeError(`the request body is larger than ${MAX_BODY_BYTES} bytes`);
  const type = header(event, 'content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) throw new UnsupportedMediaTypeError('send the body as JSON with "Content-Type: application/json"');
  try {
    return JSON.parse(raw);
  } catch {
    throw new ValidationError('the request body is not valid JSON', 'invalid_json');
  }
}

function parseInput<B extends Schema | undefined, Q extends Schema | undefined, P extends Schema | undefined>(
  spec: RouteSpec<B, Q, P>,
  event: APIGatewayProxyEventV2,
): ParsedInput<Out<B>, Out<Q>, Out<P>> {
  const body = readBody(event);
  if (spec.body === undefined && body !== undefined) throw new ValidationError('this route takes no request body');
  return {
    body: validate(spec.body, body ?? {}, 'body') as Out<B>,
    query: validate(spec.query, event.queryStringParameters ?? {}, 'query') as Out<Q>,
    path: validate(spec.path, event.pathParameters ?? {}, 'path') as Out<P>,
  };
}

/** Runs `parse`, keeping what it throws to be thrown later. */
function settle<T>(parse: () => T): { value: T } | { error: unknown } {
  try {
    return { value: parse() };
  } catch (error) {
    return { error };
  }
}

export function defineRoute<B extends Schema | undefined = undefined, Q extends Schema | undefined = undefined, P extends Schema | undefined = undefined>(
  id: RouteId,
  spec: RouteSpec<B, Q, P>,
): Route {
  const { permission } = routeById(id);
  const handle: HandleFn = async (event, deps) => {
    const requestId = event.requestContext?.requestId ?? 'unknown';
    try {
      // Parsed first so that readsKey can name its key; an input error is thrown only once the
      // caller is authorized: without a valid credential a request is a 401 whatever its body.
      const input = settle(() => parseInput(spec, event));
      const alongside = 'value' in input ? spec.readsKey?.(input.value) : undefined;
      const authorized = await authorizedPrincipal(deps, event, id, permission, alongside);
      if ('error' in input) throw input.error;
      return await spec.run({ ...input.value, principal: authorized.principal, alongside: authorized.alongside, requestId }, deps);
    } catch (error) {
      return errorResponse(error, requestId);
    }
  };
  return { id, handle, schemas: { body: spec.body, query: spec.query, path: spec.path } };
}

/** The Lambda entry point of a route: dependencies are built once per cold start. */
export function lambdaHandler(route: Route) {
  return (event: APIGatewayProxyEventV2, context?: Context) => {
    // Adds the function name, cold start and Lambda request id to every log line of this invocation.
    if (context) logger.addContext(context);
    return route.handle(event, depsFromEnvironment());
  };
}
