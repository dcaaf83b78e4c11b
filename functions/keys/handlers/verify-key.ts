import { defineRoute, lambdaHandler } from '../../http/route-handler.js';
import { json } from '../../http/respond.js';
import { verifyKey } from '../key-verification.js';
import { verifyKeyBodySchema } from '../schemas.js';

export const route = defineRoute('VerifyKey', {
  body: verifyKeyBodySchema,
  async run({ body, principal }, deps) {
    return json(200, await verifyKey(deps, body, principal.request ?? { requestId: 'unknown', sourceIp: null, userAgent: null }));
  },
});

export const handler = lambdaHandler(route);
