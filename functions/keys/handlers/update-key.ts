import { defineRoute, lambdaHandler } from '../../http/route-handler.js';
import { json } from '../../http/respond.js';
import { updateKey } from '../key-lifecycle.js';
import { keyIdPathSchema, updateKeyBodySchema } from '../schemas.js';

export const route = defineRoute('UpdateKey', {
  path: keyIdPathSchema,
  body: updateKeyBodySchema,
  async run({ path, body, principal }, deps) {
    return json(200, await updateKey(deps, principal, path.id, body));
  },
});

export const handler = lambdaHandler(route);
