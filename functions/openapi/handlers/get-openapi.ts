import type { HandleFn, Route } from '../../http/route-handler.js';
import { lambdaHandler } from '../../runtime/lambda.js';
import { errorResponse, json } from '../../http/respond.js';
import { openApiDocument } from '../document.js';
import { getOpenApiContract } from './get-openapi.contract.js';

/** GET /openapi.json: public, like any API description; it holds schemas, never data. */
const handle: HandleFn = async (event) => {
  const requestId = event.requestContext?.requestId ?? 'unknown';
  try {
    const host = event.requestContext?.domainName;
    const proto = event.headers?.['x-forwarded-proto'] ?? 'https';
    const document = openApiDocument();
    return json(200, host === undefined ? document : { ...document, servers: [{ url: `${proto}://${host}` }] });
  } catch (error) {
    return errorResponse(error, requestId);
  }
};

export const route: Route = { id: getOpenApiContract.id, contract: getOpenApiContract, handle };

export const handler = lambdaHandler(route);
