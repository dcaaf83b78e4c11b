import { defineRoute, lambdaHandler } from '../../http/route-handler.js';
import { json } from '../../http/respond.js';
import { listOperatorMessages } from '../operator-messages.js';
import { operatorMessagesQuerySchema } from '../schemas.js';

export const route = defineRoute('ListOperatorMessages', {
  query: operatorMessagesQuerySchema,
  async run({ query, principal }, deps) {
    return json(200, await listOperatorMessages(deps, principal, query));
  },
});

export const handler = lambdaHandler(route);
