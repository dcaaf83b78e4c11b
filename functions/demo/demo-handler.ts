import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { type CallerContext, keygateCaller } from '../authorizer/authorizer-context.js';
import { json, logUnhandledError } from '../http/respond.js';

/**
 * The demo API's handlers stand for a team's own backend behind the keygate authorizer: by the
 * time they run, API Gateway has let the caller through, and `keygateCaller` says who it is.
 * Each exports `route` (for the local gateway) and `handler` (for Lambda).
 */
export interface DemoRoute {
  id: string;
  handle(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2>;
}

export function demoRoute(id: string, answer: (event: APIGatewayProxyEventV2, caller: CallerContext) => unknown): DemoRoute {
  return {
    id,
    async handle(event) {
      try {
        const caller = keygateCaller(event);
        return json(200, { caller: { owner: caller.owner, keyId: caller.keyId, credential: caller.credential }, ...(answer(event, caller) as object) });
      } catch (error) {
        const requestId = event.requestContext?.requestId ?? 'unknown';
        logUnhandledError(error, requestId);
        return json(500, { error: { code: 'internal_error', message: 'the demo API failed to handle this request', requestId } });
      }
    },
  };
}
