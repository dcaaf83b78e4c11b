import { defineRoute, lambdaHandler } from '../../http/route-handler.js';
import { noContent } from '../../http/respond.js';
import { deleteKey } from '../key-lifecycle.js';
import { keyIdPathSchema } from '../schemas.js';

export const route = defineRoute('DeleteKey', {
  path: keyIdPathSchema,
  async run({ path, principal }, deps) {
    await deleteKey(deps, principal, path.id);
    return noContent();
  },
});

export const handler = lambdaHandler(route);
