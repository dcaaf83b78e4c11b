import { defineRoute, lambdaHandler } from '../../http/route-handler.js';
import { json } from '../../http/respond.js';
import { resetKeySecret } from '../key-lifecycle.js';
import { keyIdPathSchema, resetKeyBodySchema } from '../schemas.js';

export const route = defineRoute('ResetKeySecret', {
  path: keyIdPathSchema,
  body: resetKeyBodySchema,
  async run({ path, body, principal }, deps) {
    const issued = await resetKeySecret(deps, principal, path.id, body);
    return json(200, { key: issued.key, ...issued.details });
  },
});

export const handler = lambdaHandler(route);
