import { defineRoute } from '../../http/route-handler.js';
import { lambdaHandler } from '../../runtime/lambda.js';
import { json } from '../../http/respond.js';
import { verifyKey } from '../key-verification.js';
import { verifyKeyContract } from './verify-key.contract.js';

export const route = defineRoute(
  verifyKeyContract,
  async ({ body, principal, alongside }, deps) => {
    return json(200, await verifyKey(deps, body, principal.request, alongside));
  },
  {
    // Read with the service's own key, in one request; judged by verifyKey only once the service is authorized.
    readsKey: ({ body }) => body.key,
  },
);

export const handler = lambdaHandler(route);
