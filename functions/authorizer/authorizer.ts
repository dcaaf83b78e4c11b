import type {
  APIGatewayAuthorizerResult,
  APIGatewayRequestAuthorizerEvent,
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import * as z from 'zod';
import { type Requirement, authorize, describeRequirement, routePermission } from '../access/authorize.js';
import { type CredentialHeader, credentialHeaders, type Headers } from '../access/credentials.js';
import type { Caller, TokenTrust } from '../access/verify-credential.js';
import type { RequestOrigin } from '../audit/audit-model.js';
import { auditFailedAuthentication } from '../audit/audit-service.js';
import type { Catalog } from '../permissions/catalog.js';
import type { Deps } from '../runtime/deps.js';
import { AuthenticationError, ForbiddenError, LimitRefusalError, UnavailableError } from '../shared/errors.js';
import { countVerification } from '../observability/metrics.js';
import { logger } from '../observability/logger.js';
import { type CallerContext, callerContext, flatCallerContext } from './authorizer-context.js';

/**
 * The keygate Lambda authorizer: one function per protected API, configured with that API's
 * routes and the permission each needs. It answers HTTP APIs (payload 2.0, simple responses)
 * and REST APIs (REQUEST authorizers) from the same decision:
 *
 *   credential missing or not valid   HTTP API: isAuthorized false → 403 {"message":"Forbidden"}
 *                                     (a missing identity-source header is 401 before the
 *                                     authorizer runs); REST: "Unauthorized" → 401
 *   valid, lacks the route permission HTTP API: 403; REST: Deny policy → 403
 *   valid and permitted               allowed, with the caller in the context
 *   keygate cannot decide (DynamoDB   thrown → 500: an outage is never cached as a denial
 *   unavailable)
 *
 * API Gateway caches a decision by the identity sources, so a decision may depend only on
 * them: the credential header and the route (plus the path where a route takes its instance
 * from a path parameter). The construct (infra/protected-api.ts) sets them so.
 */

export const routeRuleSchema = z.strictObject({
  /** `resource:access` or `authenticated`. */
  permission: z.string().min(1),
  /** A path parameter whose value is the instance the permission must cover (a scoped role's scope). */
  instanceFrom: z.string().regex(/^\w+$/).optional(),
});
export type RouteRule = z.infer<typeof routeRuleSchema>;

/** Keyed by route key: `GET /alerts/{id}` (HTTP API `routeKey`; REST: method and resource). */
export const routeRulesSchema = z.record(z.string().regex(/^[A-Z]+ \/\S*$/, 'route keys look like "GET /alerts/{id}"'), routeRuleSchema);
export type RouteRules = z.infer<typeof routeRulesSchema>;

export interface AuthorizerSettings {
  routes: RouteRules;
  credentialHeaders: readonly CredentialHeader[];
  /** Undefined: keys only. */
  tokens?: TokenTrust | undefined;
}

export type Decision =
  | { allow: true; caller: Caller }
  | { allow: false; status: 401 | 403 | 503; reason: string }
  /** Over a rate limit or out of quota: `retryAfter` seconds (absent: a quota that no refill restores). */
  | { allow: false; status: 429; reason: 'rate_limited' | 'quota_exhausted'; retryAfter?: number };

/**
 * What a denial carries in its context: why, and when to retry. HTTP APIs answer every denial of a
 * Lambda authorizer 403 {"message":"Forbidden"} and have no gateway responses to change that, so
 * the caller cannot be told 429; the reason shows in the authorizer's log line (and the REST form's
 * Deny policy carries the same context for gateway responses or logs that read it).
 */
export interface DenialContext {
  reason: string;
  retryAfter?: number;
}

export interface AuthorizerRequest {
  routeKey: string;
  headers: Headers;
  pathParameters: Readonly<Record<string, string | undefined>>;
  /** Who sent the request, for the audit entry of a refused credential. */
  origin?: RequestOrigin;
}

const UNKNOWN_ORIGIN: RequestOrigin = { requestId: 'unknown', sourceIp: null, userAgent: null };

/** Checked at cold start (and at synth by the construct): unknown permissions stop it there. */
export function checkSettings(catalog: Catalog, settings: AuthorizerSettings): AuthorizerSettings {
  if (settings.credentialHeaders.length === 0) throw new Error('the authorizer needs at least one credential header');
  for (const header of settings.credentialHeaders) {
    if (!(credentialHeaders as readonly string[]).includes(header)) throw new Error(`unknown credential header ${header}`);
  }
  const routes: RouteRules = {};
  for (const [routeKey, rule] of Object.entries(routeRulesSchema.parse(settings.routes))) {
    if (rule.instanceFrom !== undefined && !routeKey.includes(`{${rule.instanceFrom}}`)) {
      throw new Error(`route ${routeKey} takes its instance from {${rule.instanceFrom}}, which is not in its path`);
    }
    routes[routeKey] = { ...rule, permission: routePermission(catalog, rule.permission) };
  }
  return { ...settings, routes };
}

export async function decide(deps: Deps, settings: AuthorizerSettings, request: AuthorizerRequest): Promise<Decision> {
  // Own properties only: a route key is never `constructor` or `__proto__`, but it is input.
  const rule = Object.hasOwn(settings.routes, request.routeKey) ? settings.routes[request.routeKey] : undefined;
  if (!rule) {
    // Fail closed: a route attached to this authorizer that it was not told about.
    logger.error('keygate authorizer: no permission configured for this route; refusing', { routeKey: request.routeKey });
    return { allow: false, status: 403, reason: 'unknown_route' };
  }
  const requirement: Requirement = {
    permission: rule.permission,
    instance: rule.instanceFrom === undefined || !Object.hasOwn(request.pathParameters, rule.instanceFrom) ? undefined : request.pathParameters[rule.instanceFrom],
  };
  try {
    const address = { ip: request.origin?.sourceIp ?? null };
    const caller = await authorize(deps, request.headers, requirement, { headers: settings.credentialHeaders, tokens: settings.tokens }, address);
    return { allow: true, caller };
  } catch (error) {
    if (error instanceof AuthenticationError) {
      // Audited like a refusal at keygate's own routes (a well-formed credential only, folded per minute).
      await auditFailedAuthentication(deps, error, request.origin ?? UNKNOWN_ORIGIN, `authorizer ${request.routeKey}`);
      if (error instanceof LimitRefusalError) {
        const retryAfter = error.retryAfterSeconds;
        const reason = error.reason as 'rate_limited' | 'quota_exhausted';
        return { allow: false, status: 429, reason, ...(retryAfter === undefined ? {} : { retryAfter }) };
      }
      return { allow: false, status: 401, reason: error.reason };
    }
    if (error instanceof ForbiddenError) return { allow: false, status: 403, reason: `lacks ${describeRequirement(requirement)}` };
    if (error instanceof UnavailableError) {
      // The table did not answer in time: deny (API Gateway answers 403), never allow, and say so.
      countVerification({ allowed: false, reason: 'unavailable' });
      logger.warn('keygate authorizer: the table did not answer in time; denying', { routeKey: request.routeKey });
      return { allow: false, status: 503, reason: 'unavailable' };
    }
    throw error;
  }
}

function logRefusal(request: AuthorizerRequest, decision: Decision & { allow: false }, requestId: string | undefined): void {
  const retryAfter = 'retryAfter' in decision ? { retryAfter: decision.retryAfter } : {};
  const { status, reason } = decision;
  logger.info('keygate authorizer refused a request', { requestId, routeKey: request.routeKey, status, reason, ...retryAfter });
}

function denialContext(decision: Decision & { allow: false }): DenialContext {
  return { reason: decision.reason, ...('retryAfter' in decision && decision.retryAfter !== undefined ? { retryAfter: decision.retryAfter } : {}) };
}

/** A denial's context has none of a caller's fields (typed so, for readers of either). */
type DenialOnly = DenialContext & Partial<Record<keyof CallerContext, undefined>>;
export type HttpApiAuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<CallerContext | DenialOnly>;

/** HTTP API, payload format 2.0, simple responses. */
export async function authorizeHttpApi(deps: Deps, settings: AuthorizerSettings, event: APIGatewayRequestAuthorizerEventV2): Promise<HttpApiAuthorizerResult> {
  const request: AuthorizerRequest = {
    routeKey: event.routeKey,
    headers: event.headers ?? {},
    pathParameters: event.pathParameters ?? {},
    origin: {
      requestId: event.requestContext?.requestId ?? 'unknown',
      sourceIp: event.requestContext?.http?.sourceIp || null,
      userAgent: event.requestContext?.http?.userAgent || null,
    },
  };
  const decision = await decide(deps, settings, request);
  if (!decision.allow) {
    logRefusal(request, decision, event.requestContext?.requestId);
    return { isAuthorized: false, context: denialContext(decision) };
  }
  return { isAuthorized: true, context: callerContext(decision.caller) };
}

/** What API Gateway turns into a 401 for a REST API (any other error is a 500). */
export const REST_UNAUTHORIZED = 'Unauthorized';

/**
 * REST API, REQUEST authorizer. The policy names exactly this method's ARN: with the route in the
 * identity sources, a cached policy is never reused for another method.
 */
export async function authorizeRestApi(deps: Deps, settings: AuthorizerSettings, event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  const request: AuthorizerRequest = {
    routeKey: `${event.httpMethod} ${event.resource}`,
    headers: event.headers ?? {},
    pathParameters: event.pathParameters ?? {},
    origin: {
      requestId: event.requestContext?.requestId ?? 'unknown',
      sourceIp: event.requestContext?.identity?.sourceIp || null,
      userAgent: event.requestContext?.identity?.userAgent || null,
    },
  };
  const decision = await decide(deps, settings, request);
  if (!decision.allow) logRefusal(request, decision, event.requestContext?.requestId);
  if (!decision.allow && decision.status === 401) throw new Error(REST_UNAUTHORIZED);
  return {
    principalId: decision.allow ? (decision.caller.keyId ?? 'refused') : 'refused',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: decision.allow ? 'Allow' : 'Deny', Resource: event.methodArn }],
    },
    // A limit's denial says why and when to retry (a gateway response's template or the access log may read it).
    ...(decision.allow
      ? { context: flatCallerContext(callerContext(decision.caller)) }
      : decision.status === 429
        ? { context: { ...denialContext(decision) } }
        : {}),
  };
}
