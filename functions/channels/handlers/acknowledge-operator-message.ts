import { defineRoute, lambdaHandler } from '../../http/route-handler.js';
import { json } from '../../http/respond.js';
import { acknowledgeOperatorMessage } from '../operator-messages.js';
import { operatorMessageIdPathSchema } from '../schemas.js';

export const route = defineRoute('AcknowledgeOperatorMessage', {
  path: operatorMessageIdPathSchema,
  async run({ path, principal }, deps) {
    return json(200, await acknowledgeOperatorMessage(deps, principal, path.id));
  },
});

export const handler = lambdaHandler(route);
