import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject, type ZodOpenApiResponsesObject } from 'zod-openapi';
import type { RouteContract } from '../contract/route-contract.js';
import { partitions } from '../contract/table-access.js';
import { errorSchema, oauthErrorSchema } from '../http/error-schemas.js';
import { routes } from '../routes.js';

/**
 * The OpenAPI 3.1 description of every route of functions/routes.ts, generated (zod-openapi, over
 * zod's own z.toJSONSchema) from the routes' contracts: requests from the very schemas the
 * handlers validate with (defineRoute takes them from the same contract object), responses and
 * error statuses as the contract lists them. Nothing here knows a particular route.
 */
const STATUS_TEXT: Record<number, string> = {
  400: 'Invalid request',
  401: 'No credential, or one that does not work',
  403: 'The credential lacks the permission',
  404: 'Not found (or not yours)',
  409: 'Conflict with the current state',
  413: 'Body larger than 16 KB',
  415: 'Body is not JSON',
  500: 'keygate failed; the body carries the request id to quote',
  429: 'The key is over one of its rate limits (code `rate_limited`) or out of quota (`quota_exhausted`): retry after Retry-After seconds',
  503: 'The database did not answer in time (code `unavailable`; OAuth: `temporarily_unavailable`): retry after Retry-After seconds',
};

/** A 429's headers (functions/http/respond.ts limitHeaders): RFC 9110's Retry-After and the IETF httpapi draft's RateLimit-*. */
const LIMIT_HEADERS = Object.fromEntries(
  [
    ['Retry-After', 'Seconds until the window ends or the quota is refilled (absent: a quota without refill, exhausted for good)'],
    ['RateLimit-Limit', 'The limit that refused: uses per window, or the quota period\'s allowance'],
    ['RateLimit-Remaining', 'Uses left: 0'],
    ['RateLimit-Reset', 'Seconds until the limit resets (as Retry-After)'],
    ['RateLimit-Policy', 'The limit as `<limit>;w=<window seconds>`, or `<allowance>;comment="quota"`'],
  ].map(([name, description]) => [name, { description, schema: { type: 'string' as const } }]),
);

function responsesOf(route: RouteContract): ZodOpenApiResponsesObject {
  const out: ZodOpenApiResponsesObject = {};
  for (const [status, ok] of Object.entries(route.responses)) {
    const headers = Object.entries(ok.headers ?? {}).map(([name, description]) => [name, { description, schema: { type: 'string' } }]);
    out[status as `2${string}`] = {
      description: ok.description,
      ...(ok.schema === undefined ? {} : { content: { 'application/json': { schema: ok.schema } } }),
      ...(ok.headers === undefined ? {} : { headers: Object.fromEntries(headers) }),
    };
  }
  const errorStatuses = new Set([...(route.errors ?? []), 500]);
  if (route.permission !== 'public') errorStatuses.add(401).add(403);
  // Every route that reads the table answers 503 when it stalls (functions/shared/dynamodb.ts bounds the wait).
  if (route.tableAccess.length > 0) errorStatuses.add(503);
  // Every route that counts a key's use against its limits (functions/usage/) may refuse it with 429.
  const countsLimits = route.tableAccess.some((grant) => grant.partitions.includes(partitions.rateWindow));
  if (countsLimits) errorStatuses.add(429);
  const errorBody = route.style === 'oauth' ? oauthErrorSchema : errorSchema;
  for (const status of [...errorStatuses].sort()) {
    out[String(status) as `4${string}`] = {
      description: STATUS_TEXT[status] ?? 'Error',
      content: { 'application/json': { schema: errorBody } },
      ...(status === 503 ? { headers: { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'string' } } } } : {}),
      ...(status === 429 ? { headers: LIMIT_HEADERS } : {}),
    };
  }
  return out;
}

function operationOf(route: RouteContract): ZodOpenApiOperationObject {
  const request = route.request ?? {};
  const params: NonNullable<ZodOpenApiOperationObject['requestParams']> = {};
  if (request.path) params.path = request.path as never;
  if (request.query) params.query = request.query as never;
  const body = request.body ?? request.form;
  const security = (route.security ?? (route.permission === 'public' ? [] : [{ keygateKey: [] }])) as Record<string, string[]>[];
  return {
    operationId: route.id,
    summary: route.summary,
    ...(route.permission === 'public' || route.permission === 'authenticated'
      ? {}
      : { description: `Needs the permission \`${route.permission}\`.` }),
    'x-keygate-permission': route.permission,
    security,
    ...(Object.keys(params).length > 0 ? { requestParams: params } : {}),
    ...(body === undefined
      ? {}
      : {
          requestBody: {
            required: request.body !== undefined,
            content: { [request.form ? 'application/x-www-form-urlencoded' : 'application/json']: { schema: body } },
          },
        }),
    responses: responsesOf(route),
  };
}

export function buildDocument(serverUrl?: string) {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of routes as readonly RouteContract[]) {
    const item = (paths[route.path] ??= {});
    item[route.method.toLowerCase() as 'get'] = operationOf(route);
  }
  return createDocument(
    {
      openapi: '3.1.0',
      info: {
        title: 'keygate',
        version: '1',
        description: 'API keys and client credentials. Management routes take a keygate key as `Authorization: Bearer <key>`.',
      },
      ...(serverUrl === undefined ? {} : { servers: [{ url: serverUrl }] }),
      paths,
      components: {
        securitySchemes: {
          keygateKey: { type: 'http', scheme: 'bearer', description: 'A keygate key: a key string (kg_<id>_<secret><checksum>) or a JWT-format key' },
          clientSecretBasic: { type: 'http', scheme: 'basic', description: 'OAuth client_secret_basic: the key id and the key string' },
        },
      },
    },
  );
}

let cached: ReturnType<typeof buildDocument> | undefined;

/** Built once per process: the routes and schemas do not change while it runs. */
export function openApiDocument(): ReturnType<typeof buildDocument> {
  cached ??= buildDocument();
  return cached;
}
