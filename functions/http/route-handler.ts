import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import * as z from 'zod';
import { type RouteId, routeById } from '../contract/routes.js';
import { authorizeRequest, type CallerRequest, MANAGEMENT_CREDENTIALS } from '../access/authorize.js';
import type { RequestOrigin } from '../audit/audit-model.js';
import type { Principal } from '../permissions/principal.js';
import type { Deps } from '../shared/deps.js';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../shared/errors.js';
import { type Settled, settle } from '../shared/settled.js';
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
}

export interface RouteSpec<B extends Schema | undefined, Q extends Schema | undefined, P extends Schema | undefined> {
  body?: B;
  query?: Q;
  path?: P;
  run(input: RouteInput<Out<B>, Out<Q>, Out<P>>, deps: Deps): Promise<APIGatewayProxyStructuredResultV2>;
}

/** What a route that authorizes its caller itself (through functions/access/) gets. */
export interface UnauthorizedRouteInput<B, Q, P> {
  /** The input as validated, or the error to throw once the caller is authorized (a 401 comes before a 400). */
  input: Settled<ParsedInput<B, Q, P>>;
  request: CallerRequest;
  /** The route's permission, from the route table. */
  permission: string;
  requestId: string;
}

export interface SelfAuthorizingRouteSpec<B extends Schema | undefined, Q extends Schema | undefined, P extends Schema | undefined> {
  body?: B;
  query?: Q;
  path?: P;
  run(input: UnauthorizedRouteInput<Out<B>, Out<Q>, Out<P>>, deps: Deps): Promise<APIGatewayProxyStructuredResultV2>;
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

function callerRequest(event: APIGatewayProxyEventV2, id: RouteId): CallerRequest {
  return { headers: event.headers ?? {}, origin: requestOrigin(event), where: id };
}

/**
 * Authorizes a management request (a failed authentication is audited before the 401 goes out).
 * The principal carries the request's origin into the audit entries of the changes it makes.
 */
async function authorizedPrincipal(deps: Deps, request: CallerRequest, permission: string): Promise<Principal & { request: RequestOrigin }> {
  const { caller } = await authorizeRequest(deps, request, { permission }, MANAGEMENT_CREDENTIALS);
  return { ...caller, request: request.origin };
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

export { MANAGEMENT_CREDENTIALS } from '../access/authorize.js';

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
  spec: { body?: B; query?: Q; path?: P },
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

export function defineRoute<B extends Schema | undefined = undefined, Q extends Schema | undefined = undefined, P extends Schema | undefined = undefined>(
  id: RouteId,
  spec: RouteSpec<B, Q, P>,
): Route {
  const { permission } = routeById(id);
  const handle: HandleFn = async (event, deps) => {
    const requestId = event.requestContext?.requestId ?? 'unknown';
    try {
      const principal = await authorizedPrincipal(deps, callerRequest(event, id), permission);
      return await spec.run({ ...parseInput(spec, event), principal, requestId }, deps);
    } catch (error) {
      return errorResponse(error, requestId);
    }
  };
  return { id, handle, schemas: { body: spec.body, query: spec.query, path: spec.path } };
}

/**
 * A route whose `run` authorizes the caller itself, through one functions/access/ call (the
 * verify route: its caller's key and the key it asks about are read together). `run` gets the
 * input as validated or its error, to be thrown only once the caller is authorized.
 */
export function defineSelfAuthorizingRoute<
  B extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
  P extends Schema | undefined = undefined,
>(id: RouteId, spec: SelfAuthorizingRouteSpec<B, Q, P>): Route {
  const { permission } = routeById(id);
  const handle: HandleFn = async (event, deps) => {
    const requestId = event.requestContext?.requestId ?? 'unknown';
    try {
      return await spec.run({ input: settle(() => parseInput(spec, event)), request: callerRequest(event, id), permission, requestId }, deps);
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
