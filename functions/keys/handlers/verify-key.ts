import { defineSelfAuthorizingRoute } from '../../http/route-handler.js';
import { lambdaHandler } from '../../runtime/lambda.js';
import { json } from '../../http/respond.js';
import { verifyKeyForCaller } from '../../access/verify-key.js';
import { verifyKeyContract } from './verify-key.contract.js';

export const route = defineSelfAuthorizingRoute(verifyKeyContract, async ({ input, request, permission }, deps) => {
  // The service's key and the key it asks about are read together; the second is judged only once the service is authorized.
  const body = 'value' in input ? { value: input.value.body } : input;
  return json(200, await verifyKeyForCaller(deps, request, { permission }, body));
});

export const handler = lambdaHandler(route);
