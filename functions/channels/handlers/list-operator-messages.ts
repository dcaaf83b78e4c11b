import { defineRoute } from '../../http/route-handler.js';
import { lambdaHandler } from '../../runtime/lambda.js';
import { json } from '../../http/respond.js';
import { listOperatorMessages } from '../operator-messages.js';
import { listOperatorMessagesContract } from './list-operator-messages.contract.js';

export const route = defineRoute(listOperatorMessagesContract, async ({ query, principal }, deps) => {
  return json(200, await listOperatorMessages(deps, principal, query));
});

export const handler = lambdaHandler(route);
