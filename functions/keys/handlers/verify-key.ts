import { defineSelfAuthorizingRoute, lambdaHandler } from '../../http/route-handler.js';
import { json } from '../../http/respond.js';
import { verifyKeyForCaller } from '../../access/verify-key.js';
import { verifyKeyBodySchema } from '../schemas.js';

export const route = defineSelfAuthorizingRoute('VerifyKey', {
  body: verifyKeyBodySchema,
  // The service's key and the key it asks about are read together; the second is judged only once the service is authorized.
  async run({ input, request, permission }, deps) {
    const body = 'value' in input ? { value: input.value.body } : input;
    return json(200, await verifyKeyForCaller(deps, request, { permission }, body));
  },
});

export const handler = lambdaHandler(route);
