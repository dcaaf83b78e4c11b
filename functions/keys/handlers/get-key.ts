import { defineRoute, lambdaHandler } from '../../http/route-handler.js';
import { json } from '../../http/respond.js';
import { getKey } from '../key-lifecycle.js';
import { keyIdPathSchema } from '../schemas.js';

export const route = defineRoute('GetKey', {
  path: keyIdPathSchema,
  async run({ path, principal }, deps) {
    return json(200, await getKey(deps, principal, path.id));
  },
});

export const handler = lambdaHandler(route);
