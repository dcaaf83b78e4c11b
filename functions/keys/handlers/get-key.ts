import { defineRoute } from '../../http/route-handler.js';
import { lambdaHandler } from '../../runtime/lambda.js';
import { json } from '../../http/respond.js';
import { getKeyWithUsage } from '../../usage/key-usage.js';
import { getKeyContract } from './get-key.contract.js';

export const route = defineRoute(getKeyContract, async ({ path, principal }, deps) => {
  return json(200, await getKeyWithUsage(deps, principal, path.id));
});

export const handler = lambdaHandler(route);
