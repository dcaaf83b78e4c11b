import type { HandleFn, Route } from '../../http/route-handler.js';
import { tablelessLambdaHandler } from '../../runtime/lambda-tableless.js';
import { errorResponse, json } from '../../http/respond.js';
import { type OpenApiDocument, unpackOpenApiDocument } from '../packed-document.js';
import { getOpenApiContract } from './get-openapi.contract.js';

/** The document the synth built, packed (functions/openapi/packed-document.ts), where infra/api.ts compiled it in. */
declare const __KEYGATE_OPENAPI_DOCUMENT__: string | undefined;
let unpacked: OpenApiDocument | undefined;

/**
 * In a deployed function: the document compiled in (esbuild drops the other branch, and zod-openapi
 * and the routes' schemas with it). Anywhere else (the local run, the tests): built on the first
 * request from the routes' contracts.
 */
const loadDocument: () => Promise<OpenApiDocument> =
  typeof __KEYGATE_OPENAPI_DOCUMENT__ === 'string'
    ? async () => (unpacked ??= unpackOpenApiDocument(__KEYGATE_OPENAPI_DOCUMENT__))
    : async () => (await import('../document.js')).openApiDocument();

/** GET /openapi.json: public, like any API description; it holds schemas, never data. */
const handle: HandleFn = async (event) => {
  const requestId = event.requestContext?.requestId ?? 'unknown';
  try {
    const host = event.requestContext?.domainName;
    const proto = event.headers?.['x-forwarded-proto'] ?? 'https';
    const document = await loadDocument();
    return json(200, host === undefined ? document : { ...document, servers: [{ url: `${proto}://${host}` }] });
  } catch (error) {
    return errorResponse(error, requestId);
  }
};

export const route: Route = { id: getOpenApiContract.id, contract: getOpenApiContract, handle };

export const handler = tablelessLambdaHandler(route);
