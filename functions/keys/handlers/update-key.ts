import { defineRoute } from '../../http/route-handler.js';
import { lambdaHandler } from '../../runtime/lambda.js';
import { json } from '../../http/respond.js';
import { updateKey } from '../key-service.js';
import { keyIdPathSchema, updateKeyBodySchema } from '../schemas.js';

export const route = defineRoute('UpdateKey', {
  path: keyIdPathSchema,
  body: updateKeyBodySchema,
  async run({ path, body, principal }, deps) {
    return json(200, await updateKey(deps, principal, path.id, body));
  },
});

export const handler = lambdaHandler(route);
