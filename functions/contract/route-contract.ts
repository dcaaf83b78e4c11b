import type * as z from 'zod';
import type { TableAccess } from './table-access.js';
import type { ThrottleClass } from './throttles.js';

/**
 * One route, one contract: everything the CDK stack, the local gateway, the handler wrapper
 * (functions/http/), the OpenAPI document and the security-matrix tests need to know about a
 * route, in one object. Each route's contract lives in its own small file next to its handler
 * (`<handler>.contract.ts`); functions/routes.ts lists them all. Handlers import their own
 * contract only, so a contract file imports schemas and nothing heavy.
 */
export interface ResponseContract {
  readonly description: string;
  readonly schema?: z.ZodType;
  /** Response header name → description. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RouteContract {
  /** Stable identifier: the CDK construct id and the OpenAPI operationId. */
  readonly id: string;
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** API Gateway path syntax: `{name}` is a path parameter. */
  readonly path: string;
  /** Handler module, relative to the project root; it exports `handler` (Lambda) and `route`. */
  readonly entry: string;
  /**
   * What the caller must hold: a `resource:access` permission, `authenticated` (any valid
   * keygate credential) or `public` (no credential at all).
   */
  readonly permission: string;
  /**
   * What the function may do to the table: each DynamoDB action it calls, on which partitions
   * and indexes (functions/contract/table-access.ts), derived from what its code calls. The
   * CDK grants exactly this to the function's role (infra/table-grants.ts), and the tests run the
   * route with it enforced. Empty for a route that never touches the table.
   */
  readonly tableAccess: TableAccess;
  /**
   * `issuer`: the function needs the issuer URL; `signing-keys`: it also reads the token signing
   * keys (which also sign JWT-format keys). See tokenAccess() for what authenticated routes get.
   */
  readonly tokens?: 'issuer' | 'signing-keys';
  /**
   * Built files the function's bundle carries: `console` is console/dist (console/build.ts;
   * infra/api.ts copies it into the bundle, functions/runtime/route-deps.ts finds it there).
   */
  readonly assets?: 'console';
  /**
   * `seal`: the function creates webhook channels, so it may encrypt their signing secrets under
   * the stack's webhook-secrets KMS key (infra/stateful.ts; its handler passes
   * runtime/webhook-secrets.ts kmsWebhookSecrets to lambdaHandler). Only the notifier may decrypt.
   */
  readonly webhookSecrets?: 'seal';
  readonly summary: string;
  /**
   * `management` (the default): JSON bodies, `{"error": {...}}` errors (functions/http/route-handler.ts).
   * `oauth`: RFC 6749 errors, form-encoded bodies (functions/http/oauth-handler.ts).
   */
  readonly style?: 'management' | 'oauth';
  /**
   * Which stage throttle the route gets (functions/contract/throttles.ts): `integration` for the
   * paths other systems call per request they serve; `management` (the default) for the rest.
   */
  readonly throttleClass?: ThrottleClass;
  /** What the route validates its input with; `form` for OAuth routes' form bodies. */
  readonly request?: {
    readonly body?: z.ZodType;
    readonly query?: z.ZodType;
    readonly path?: z.ZodType;
    readonly form?: z.ZodType;
  };
  /** Success responses by status. */
  readonly responses: Readonly<Record<number, ResponseContract>>;
  /** Error statuses besides 401/403 (from the permission) and 500 (always). */
  readonly errors?: readonly number[];
  /** OpenAPI security requirements, when the permission alone does not say (the token endpoint). */
  readonly security?: readonly Readonly<Record<string, readonly string[]>>[];
}

/** The old name of a route-table entry; every entry is a whole contract now. */
export type RouteDefinition = RouteContract;

/** Keeps the contract's literal types (its schemas, id) for defineRoute's inference. */
export function defineContract<const C extends RouteContract>(contract: C): C {
  return contract;
}

/** Statuses every route with a request body may answer. */
export const BODY_ERRORS = [400, 413, 415] as const;

/**
 * What a route's function gets of the token issuer: its own `tokens` entry, and at least the
 * issuer URL on every route that authenticates a keygate key, because a JWT-format key is checked
 * against the issuer's key JWKS (GET /v1/keys/jwks.json) by functions that hold no signing keys.
 * A dependency to know: a function with no copy in memory (a cold start) that cannot fetch that
 * public route answers JWT-format keys with a 500 until a fetch succeeds (keys in the kg_ format
 * are unaffected). A non-secret copy of the public halves (an SSM parameter written by the
 * rotation) would remove it; not done yet.
 */
export function tokenAccess(route: Pick<RouteContract, 'tokens' | 'permission'>): RouteContract['tokens'] {
  return route.tokens ?? (route.permission === 'public' ? undefined : 'issuer');
}
