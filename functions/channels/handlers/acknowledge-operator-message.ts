import { defineRoute } from '../../http/route-handler.js';
import { lambdaHandler } from '../../runtime/lambda.js';
import { json } from '../../http/respond.js';
import { acknowledgeOperatorMessage } from '../operator-messages.js';
import { acknowledgeOperatorMessageContract } from './acknowledge-operator-message.contract.js';

export const route = defineRoute(acknowledgeOperatorMessageContract, async ({ path, principal }, deps) => {
  return json(200, await acknowledgeOperatorMessage(deps, principal, path.id));
});

export const handler = lambdaHandler(route);
