import { defineRoute, lambdaHandler } from '../../http/route-handler.js';
import { json } from '../../http/respond.js';
import { createKey } from '../key-lifecycle.js';
import { createKeyBodySchema } from '../schemas.js';

export const route = defineRoute('CreateKey', {
  body: createKeyBodySchema,
  async run({ body, principal }, deps) {
    const issued = await createKey(deps, principal, body);
    return json(201, { key: issued.key, ...issued.details }, { location: `/v1/keys/${issued.details.id}` });
  },
});

export const handler = lambdaHandler(route);
