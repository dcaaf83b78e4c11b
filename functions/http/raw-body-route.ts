import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { RequestOrigin } from '../audit/audit-model.js';
import type { RouteContract } from '../contract/route-contract.js';
import type { Deps } from '../runtime/deps.js';
import { PayloadTooLargeError } from '../shared/errors.js';
import { errorResponse } from './respond.js';
import { type Route, requestOrigin } from './route-handler.js';

/**
 * A public route that must see its body exactly as sent: a signed webhook (GitHub's leak reports),
 * whose signature covers the raw bytes, and whose body may be a JSON array. It gets the bytes
 * (decoded from base64 when API Gateway encoded them), the lower-cased headers and the request's
 * origin; it verifies and parses them itself. The size limit is checked first, before anything
 * else. Errors map to HTTP as on every route (functions/http/respond.ts); nothing escapes.
 */
export interface RawRequest {
  body: Buffer;
  headers: Readonly<Record<string, string | undefined>>;
  origin: RequestOrigin;
  requestId: string;
}

export type RawRunFn = (request: RawRequest, deps: Deps) => Promise<APIGatewayProxyStructuredResultV2>;

export function defineRawBodyRoute(contract: RouteContract, maxBodyBytes: number, run: RawRunFn): Route {
  const handle = async (event: APIGatewayProxyEventV2, deps: Deps) => {
    const requestId = event.requestContext?.requestId ?? 'unknown';
    try {
      const text = event.body ?? '';
      const body = event.isBase64Encoded ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
      if (body.length > maxBodyBytes) throw new PayloadTooLargeError(`the request body is larger than ${maxBodyBytes} bytes`);
      const headers: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
      return await run({ body, headers, origin: requestOrigin(event), requestId }, deps);
    } catch (error) {
      return errorResponse(error, requestId);
    }
  };
  return { id: contract.id, contract, handle };
}
