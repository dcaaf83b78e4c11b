import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type * as z from 'zod';
import type { RouteContract } from '../contract/route-contract.js';
import { authorize, MANAGEMENT_CREDENTIALS } from '../access/authorize.js';
import { auditFailedAuthentication } from '../audit/audit-service.js';
import type { Principal } from '../permissions/principal.js';
import type { Deps } from '../runtime/deps.js';
import { AuthenticationError, ForbiddenError, LimitRefusalError } from '../shared/errors.js';
import { OAuthError } from '../tokens/oauth-errors.js';
import { noBody, oauthErrorResponse } from './oauth-responses.js';
import { type HandleFn, type Route, requestOrigin } from './route-handler.js';

/**
 * The OAuth-flavoured sibling of route-handler.ts, for /oauth/* (the /.well-known/ documents are
 * defineOAuthDocumentRoute routes, oauth-responses.ts): errors in the RFC 6749 §5.2 shape
 * (`{"error", "error_description"}`, oauth-responses.ts), form-encoded bodies, and each
 * route's own authentication: none (public: the token endpoint authenticates its client
 * itself), or a keygate key as a bearer token holding the route's permission (introspection).
 * It shares the management wrapper's bearer parsing, authentication, permission check, 500
 * logging and Lambda entry point.
 */
const MAX_FORM_BYTES = 16 * 1024;

export type FormParameters = ReadonlyMap<string, string>;

/**
 * An `application/x-www-form-urlencoded` body (RFC 6749 §3.2, RFC 7662 §2.1). A parameter sent
 * twice is refused; one sent without a value counts as omitted.
 */
export function readForm(event: APIGatewayProxyEventV2): FormParameters {
  const type = event.headers?.['content-type'] ?? '';
  const [mediaType = '', ...parameters] = type.split(';').map((part) => part.trim().toLowerCase());
  const charset = parameters.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  if (mediaType !== 'application/x-www-form-urlencoded' || (charset !== undefined && charset !== 'utf-8')) {
    throw new OAuthError('invalid_request', 'send the parameters form-encoded, with "Content-Type: application/x-www-form-urlencoded"');
  }
  const raw = event.body === undefined ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(raw) > MAX_FORM_BYTES) throw new OAuthError('invalid_request', `the request body is larger than ${MAX_FORM_BYTES} bytes`);
  const form = new Map<string, string>();
  const seen = new Set<string>();
  for (const [name, value] of new URLSearchParams(raw)) {
    if (seen.has(name)) throw new OAuthError('invalid_request', `the parameter ${name} is repeated: send each parameter once`);
    seen.add(name);
    if (value !== '') form.set(name, value);
  }
  return form;
}

/** Validates form parameters with a route's schema; a failure is `invalid_request`. */
export function formParameters<S extends z.ZodType>(schema: S, form: FormParameters): z.output<S> {
  const result = schema.safeParse(Object.fromEntries(form));
  if (!result.success) {
    throw new OAuthError('invalid_request', result.error.issues.map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; '));
  }
  return result.data;
}

/** The `application/x-www-form-urlencoded` decoding RFC 6749 §2.3.1 applies inside Basic. */
function formDecode(text: string): string {
  return decodeURIComponent(text.replace(/\+/g, ' '));
}

export interface ClientAuthentication {
  method: 'client_secret_basic' | 'client_secret_post';
  clientId: string;
  clientSecret: string;
}

/**
 * The client's credentials (RFC 6749 §2.3.1): HTTP Basic, whose user and password are
 * form-encoded before base64, or client_id and client_secret in the body. Exactly one method.
 */
export function clientAuthentication(event: APIGatewayProxyEventV2, form: FormParameters): ClientAuthentication {
  const header = event.headers?.authorization;
  const bodyId = form.get('client_id');
  const bodySecret = form.get('client_secret');
  if (header !== undefined) {
    const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
    if (!match?.[1]) throw new OAuthError('invalid_client', 'client authentication failed: the Authorization header must be HTTP Basic (client_secret_basic)');
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    let clientId: string;
    let clientSecret: string;
    try {
      clientId = formDecode(decoded.slice(0, colon));
      clientSecret = formDecode(decoded.slice(colon + 1));
    } catch {
      throw new OAuthError('invalid_client', 'client authentication failed: the Basic credentials are not form-encoded');
    }
    if (colon === -1 || clientId === '' || clientSecret === '') throw new OAuthError('invalid_client', 'client authentication failed: Basic credentials must be client_id:client_secret');
    if (bodySecret !== undefined) throw new OAuthError('invalid_request', 'authenticate the client one way: HTTP Basic or client_secret in the body, not both');
    if (bodyId !== undefined && bodyId !== clientId) throw new OAuthError('invalid_request', 'client_id in the body differs from the one in the Authorization header');
    return { method: 'client_secret_basic', clientId, clientSecret };
  }
  if (bodySecret === undefined) {
    throw new OAuthError('invalid_client', 'client authentication is missing: send the key id and key string by HTTP Basic, or as client_id and client_secret');
  }
  if (bodyId === undefined) throw new OAuthError('invalid_request', 'client_id is required with client_secret');
  return { method: 'client_secret_post', clientId: bodyId, clientSecret: bodySecret };
}

export interface OAuthRequest {
  event: APIGatewayProxyEventV2;
  requestId: string;
  /** The form body; empty for routes that take none. */
  form: FormParameters;
  /** The bearer key's principal on routes that need a permission; undefined on public ones. */
  principal: Principal | undefined;
}

export type OAuthRunFn = (request: OAuthRequest, deps: Deps) => Promise<APIGatewayProxyStructuredResultV2>;

async function bearerPrincipal(deps: Deps, event: APIGatewayProxyEventV2, id: string, permission: string): Promise<Principal> {
  const request = requestOrigin(event);
  try {
    return { ...(await authorize(deps, event.headers ?? {}, { permission }, MANAGEMENT_CREDENTIALS, { ip: request.sourceIp })), request };
  } catch (error) {
    if (error instanceof AuthenticationError) {
      await auditFailedAuthentication(deps, error, request, id);
      if (error instanceof LimitRefusalError) throw error;
      throw new OAuthError('invalid_token', error.message);
    }
    if (error instanceof ForbiddenError) throw new OAuthError('insufficient_scope', error.message);
    throw error;
  }
}

/**
 * An OAuth-style route: its contract (style `oauth`; a `form` request schema means the route takes
 * a form-encoded body, which `run` validates with formParameters) and its run function.
 */
export function defineOAuthRoute(contract: RouteContract, run: OAuthRunFn): Route {
  const { id, permission } = contract;
  const takesForm = contract.request?.form !== undefined;
  const handle: HandleFn = async (event, deps) => {
    const requestId = event.requestContext?.requestId ?? 'unknown';
    try {
      const principal = permission === 'public' ? undefined : await bearerPrincipal(deps, event, id, permission);
      const form = takesForm ? readForm(event) : noBody(event);
      return await run({ event, requestId, form, principal }, deps);
    } catch (error) {
      return oauthErrorResponse(error, requestId);
    }
  };
  return { id, contract, handle };
}
