import type * as z from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject, type ZodOpenApiResponsesObject } from 'zod-openapi';
import { type RouteDefinition, type RouteId, routes } from '../contract/routes.js';
import { listAuditQuerySchema } from '../audit/schemas.js';
import { createKeyBodySchema, keyIdPathSchema, listKeysQuerySchema, resetKeyBodySchema, updateKeyBodySchema, verifyKeyBodySchema } from '../keys/schemas.js';
import {
  channelIdPathSchema,
  createChannelBodySchema,
  listChannelsQuerySchema,
  operatorMessageIdPathSchema,
  operatorMessagesQuerySchema,
} from '../channels/schemas.js';
import { introspectionRequestSchema } from '../tokens/handlers/introspect-token.js';
import { tokenRequestSchema } from '../tokens/handlers/issue-token.js';
import * as responses from './responses.js';
import { consoleAssetPathSchema } from '../console/schemas.js';

/**
 * The OpenAPI 3.1 description of every route of functions/contract/routes.ts, generated (zod-openapi, over
 * zod's own z.toJSONSchema) from the very schemas the handlers validate with: requests from the
 * route's body/query/path schemas (test/integration/openapi.test.ts checks they are the same
 * objects the handlers use), responses from ./responses.ts. `operations` is keyed by RouteId, so
 * a route added to the table without its description here does not type-check.
 */
type Schema = z.ZodType;

interface OperationSpec {
  body?: Schema;
  /** application/x-www-form-urlencoded (OAuth endpoints). */
  form?: Schema;
  query?: Schema;
  path?: Schema;
  /** Success responses; the error responses follow from the route's kind (management or OAuth). */
  ok: Record<number, { description: string; schema?: Schema; headers?: Record<string, string> }>;
  /** Error statuses this route answers besides 401/403 and 500. */
  errors?: number[];
  oauth?: boolean;
}

const BODY_ERRORS = [400, 413, 415];

export const operations: Record<RouteId, OperationSpec> = {
  CreateKey: {
    body: createKeyBodySchema,
    ok: { 201: { description: 'The new key, with its key string (shown this once)', schema: responses.issuedKeySchema, headers: { location: 'The key' } } },
    errors: [...BODY_ERRORS, 409],
  },
  ListKeys: { query: listKeysQuerySchema, ok: { 200: { description: 'Keys, newest first', schema: responses.keyPageSchema } }, errors: [400] },
  GetKey: { path: keyIdPathSchema, ok: { 200: { description: 'Key details', schema: responses.keyDetailsSchema } }, errors: [400, 404] },
  UpdateKey: {
    path: keyIdPathSchema,
    body: updateKeyBodySchema,
    ok: { 200: { description: 'The edited key', schema: responses.keyDetailsSchema } },
    errors: [...BODY_ERRORS, 404, 409],
  },
  ResetKeySecret: {
    path: keyIdPathSchema,
    body: resetKeyBodySchema,
    ok: { 200: { description: 'The key with its new key string (shown this once)', schema: responses.issuedKeySchema } },
    errors: [...BODY_ERRORS, 404, 409],
  },
  DeleteKey: { path: keyIdPathSchema, ok: { 204: { description: 'Revoked' } }, errors: [400, 404, 409] },
  GetCatalog: { ok: { 200: { description: 'Resources, their grantable access and aliases, and roles', schema: responses.catalogSchema } } },
  IssueToken: {
    form: tokenRequestSchema,
    oauth: true,
    ok: { 200: { description: 'An access token (RFC 6749 §5.1)', schema: responses.tokenResponseSchema } },
    errors: [400],
  },
  IntrospectToken: {
    form: introspectionRequestSchema,
    oauth: true,
    ok: { 200: { description: 'RFC 7662 introspection response', schema: responses.introspectionSchema } },
    errors: [400],
  },
  GetJwks: { oauth: true, ok: { 200: { description: 'JSON Web Key Set', schema: responses.jwksSchema } } },
  GetKeyJwks: {
    oauth: true,
    ok: { 200: { description: 'JSON Web Key Set that verifies JWT-format keys (typ kg-key+jwt); never trust it for access tokens', schema: responses.jwksSchema } },
  },
  GetAuthorizationServerMetadata: { oauth: true, ok: { 200: { description: 'RFC 8414 metadata', schema: responses.authorizationServerMetadataSchema } } },
  GetOpenIdConfiguration: { oauth: true, ok: { 200: { description: 'RFC 8414 metadata', schema: responses.authorizationServerMetadataSchema } } },
  VerifyKey: {
    body: verifyKeyBodySchema,
    ok: { 200: { description: 'Whether the presented key works (and why not), and what it may do', schema: responses.verificationSchema } },
    errors: BODY_ERRORS,
  },
  CreateChannel: {
    body: createChannelBodySchema,
    ok: { 201: { description: 'The new channel (a webhook with its signing secret, shown this once)', schema: responses.createdChannelSchema, headers: { location: 'The channel' } } },
    errors: [...BODY_ERRORS, 409],
  },
  ListChannels: { query: listChannelsQuerySchema, ok: { 200: { description: 'Channels, newest first', schema: responses.channelPageSchema } }, errors: [400] },
  GetChannel: { path: channelIdPathSchema, ok: { 200: { description: 'A channel', schema: responses.channelSchema } }, errors: [400, 404] },
  DeleteChannel: { path: channelIdPathSchema, ok: { 204: { description: 'Deleted' } }, errors: [400, 404] },
  ListOperatorMessages: {
    query: operatorMessagesQuerySchema,
    ok: { 200: { description: 'Operator messages, newest first', schema: responses.operatorMessagePageSchema } },
    errors: [400],
  },
  AcknowledgeOperatorMessage: {
    path: operatorMessageIdPathSchema,
    ok: { 200: { description: 'The acknowledged message', schema: responses.operatorMessageSchema } },
    errors: [400, 404],
  },
  ListAuditEntries: {
    query: listAuditQuerySchema,
    ok: {
      200: {
        description: 'Audit entries, newest first. A page may hold fewer than `limit` entries: continue while nextCursor is not null.',
        schema: responses.auditPageSchema,
      },
    },
    errors: [400],
  },
  GetCaller: { ok: { 200: { description: 'The caller: owner, admin, the signed-in person, grants held', schema: responses.callerSchema } } },
  // Not JSON (HTML, JavaScript, CSS; config.json holds the sign-in settings): described, not schema'd. 404: no console is served or built.
  GetConsole: { ok: { 200: { description: 'The console page (HTML)' } }, errors: [404] },
  GetConsoleAsset: { path: consoleAssetPathSchema, ok: { 200: { description: "The console's script, style sheet, or settings (config.json: issuer, client id, expiry policy)" } }, errors: [404] },
  GetOpenApi: { oauth: true, ok: { 200: { description: 'This document', schema: responses.openApiDocumentSchema } } },
};

const STATUS_TEXT: Record<number, string> = {
  400: 'Invalid request',
  401: 'No credential, or one that does not work',
  403: 'The credential lacks the permission',
  404: 'Not found (or not yours)',
  409: 'Conflict with the current state',
  413: 'Body larger than 16 KB',
  415: 'Body is not JSON',
  500: 'keygate failed; the body carries the request id to quote',
};

function responsesOf(route: RouteDefinition, spec: OperationSpec): ZodOpenApiResponsesObject {
  const out: ZodOpenApiResponsesObject = {};
  for (const [status, ok] of Object.entries(spec.ok)) {
    out[status as `2${string}`] = {
      description: ok.description,
      ...(ok.schema === undefined ? {} : { content: { 'application/json': { schema: ok.schema } } }),
      ...(ok.headers === undefined ? {} : { headers: Object.fromEntries(Object.entries(ok.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }])) }),
    };
  }
  const errorStatuses = new Set([...(spec.errors ?? []), 500]);
  if (route.permission !== 'public') errorStatuses.add(401).add(403);
  if (route.id === 'IssueToken') errorStatuses.add(401);
  const errorBody = spec.oauth ? responses.oauthErrorSchema : responses.errorSchema;
  for (const status of [...errorStatuses].sort()) {
    out[String(status) as `4${string}`] = { description: STATUS_TEXT[status] ?? 'Error', content: { 'application/json': { schema: errorBody } } };
  }
  return out;
}

function operationOf(route: RouteDefinition, spec: OperationSpec): ZodOpenApiOperationObject {
  const params: NonNullable<ZodOpenApiOperationObject['requestParams']> = {};
  if (spec.path) params.path = spec.path as never;
  if (spec.query) params.query = spec.query as never;
  const body = spec.body ?? spec.form;
  // The token endpoint takes client_secret_basic, or client_id and client_secret in the form (no scheme).
  const security: Record<string, string[]>[] =
    route.permission === 'public' ? (route.id === 'IssueToken' ? [{ clientSecretBasic: [] }, {}] : []) : [{ keygateKey: [] }];
  return {
    operationId: route.id,
    summary: route.summary,
    ...(route.permission === 'public' || route.permission === 'authenticated' ? {} : { description: `Needs the permission \`${route.permission}\`.` }),
    'x-keygate-permission': route.permission,
    security,
    ...(Object.keys(params).length > 0 ? { requestParams: params } : {}),
    ...(body === undefined
      ? {}
      : { requestBody: { required: spec.body !== undefined, content: { [spec.form ? 'application/x-www-form-urlencoded' : 'application/json']: { schema: body } } } }),
    responses: responsesOf(route, spec),
  };
}

export function buildDocument(serverUrl?: string) {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of routes as readonly RouteDefinition[]) {
    const item = (paths[route.path] ??= {});
    item[route.method.toLowerCase() as 'get'] = operationOf(route, operations[route.id as RouteId]);
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
