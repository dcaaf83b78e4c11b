import { defineRoute, lambdaHandler } from '../../http/route-handler.js';
import { json } from '../../http/respond.js';
import { listKeys } from '../key-lifecycle.js';
import { listKeysQuerySchema } from '../schemas.js';

export const route = defineRoute('ListKeys', {
  query: listKeysQuerySchema,
  async run({ query, principal }, deps) {
    return json(200, await listKeys(deps, principal, query));
  },
});

export const handler = lambdaHandler(route);
