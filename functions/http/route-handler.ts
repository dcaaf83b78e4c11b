import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod';
import type { RouteContract } from '../contract/route-contract.js';
import { authorizeRequest, type CallerRequest, MANAGEMENT_CREDENTIALS } from '../access/authorize.js';
import type { RequestOrigin } from '../audit/audit-model.js';
import type { Principal } from '../permissions/principal.js';
import type { Deps } from '../runtime/deps.js';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../shared/errors.js';
import { type Settled, settle } from '../shared/settled.js';
import { errorResponse } from './respond.js';

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

/** The parsed type of one of a contract's request schemas (undefined when it has none). */
type RequestOf<C extends RouteContract, K extends 'body' | 'query' | 'path'> = C['request'] extends Record<K, infer S> ? Out<S> : undefined;

/** What a route's `run` gets: the input its contract validated, and the authorized caller. */
export type ContractInput<C extends RouteContract> = RouteInput<RequestOf<C, 'body'>, RequestOf<C, 'query'>, RequestOf<C, 'path'>>;

export type RunFn<C extends RouteContract> = (input: ContractInput<C>, deps: Deps) => Promise<APIGatewayProxyStructuredResultV2>;

/** The input a contract validates, before any caller is authorized. */
type ContractParsedInput<C extends RouteContract> = ParsedInput<RequestOf<C, 'body'>, RequestOf<C, 'query'>, RequestOf<C, 'path'>>;

/** What a route that authorizes its caller itself (through functions/access/) gets. */
export interface UnauthorizedRouteInput<C extends RouteContract> {
  /** The input as validated, or the error to throw once the caller is authorized (a 401 comes before a 400). */
  input: Settled<ContractParsedInput<C>>;
  request: CallerRequest;
  /** The route's permission, from its contract. */
  permission: string;
  requestId: string;
}

export type SelfAuthorizingRunFn<C extends RouteContract> = (
  input: UnauthorizedRouteInput<C>,
  deps: Deps,
) => Promise<APIGatewayProxyStructuredResultV2>;

export type HandleFn = (event: APIGatewayProxyEventV2, deps: Deps) => Promise<APIGatewayProxyStructuredResultV2>;

export interface Route {
  id: string;
  /** The route's contract: what it validates, answers and needs (the runtime builds its deps from it). */
  contract: RouteContract;
  handle: HandleFn;
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

function callerRequest(event: APIGatewayProxyEventV2, id: string): CallerRequest {
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

function parseInput(contract: RouteContract, event: APIGatewayProxyEventV2): ParsedInput<unknown, unknown, unknown> {
  const body = readBody(event);
  const request = contract.request ?? {};
  if (request.body === undefined && body !== undefined) throw new ValidationError('this route takes no request body');
  // Only an absent body takes a route's defaults: JSON `null` (or an array, string, number) is
  // not an empty object, and must not reset a key as `{}` would.
  if (body !== undefined && (body === null || typeof body !== 'object' || Array.isArray(body))) {
    throw new ValidationError('the request body must be a JSON object');
  }
  return {
    body: validate(request.body, body ?? {}, 'body'),
    query: validate(request.query, event.queryStringParameters ?? {}, 'query'),
    path: validate(request.path, event.pathParameters ?? {}, 'path'),
  };
}

/** A management route: its contract (what it validates and needs) and the one domain call it makes. */
export function defineRoute<const C extends RouteContract>(contract: C, run: RunFn<C>): Route {
  const { id, permission } = contract;
  const handle: HandleFn = async (event, deps) => {
    const requestId = event.requestContext?.requestId ?? 'unknown';
    try {
      const principal = await authorizedPrincipal(deps, callerRequest(event, id), permission);
      return await run({ ...(parseInput(contract, event) as ContractParsedInput<C>), principal, requestId }, deps);
    } catch (error) {
      return errorResponse(error, requestId);
    }
  };
  return { id, contract, handle };
}

/**
 * A route whose `run` authorizes the caller itself, through one functions/access/ call (the
 * verify route: its caller's key and the key it asks about are read together). `run` gets the
 * input as its contract validated it, or its error, to be thrown only once the caller is authorized.
 */
export function defineSelfAuthorizingRoute<const C extends RouteContract>(contract: C, run: SelfAuthorizingRunFn<C>): Route {
  const { id, permission } = contract;
  const handle: HandleFn = async (event, deps) => {
    const requestId = event.requestContext?.requestId ?? 'unknown';
    try {
      const input = settle(() => parseInput(contract, event) as ContractParsedInput<C>);
      return await run({ input, request: callerRequest(event, id), permission, requestId }, deps);
    } catch (error) {
      return errorResponse(error, requestId);
    }
  };
  return { id, contract, handle };
}
