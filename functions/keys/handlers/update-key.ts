import { defineRoute } from '../../http/route-handler.js';
import { lambdaHandler } from '../../runtime/lambda.js';
import { json } from '../../http/respond.js';
import { updateKey } from '../key-lifecycle.js';
import { updateKeyContract } from './update-key.contract.js';

export const route = defineRoute(updateKeyContract, async ({ path, body, principal }, deps) => {
  return json(200, await updateKey(deps, principal, path.id, body));
});

export const handler = lambdaHandler(route);
