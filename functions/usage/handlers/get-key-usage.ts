import { defineRoute } from '../../http/route-handler.js';
import { json } from '../../http/respond.js';
import { lambdaHandler } from '../../runtime/lambda.js';
import { readKeyUsage } from '../key-usage.js';
import { getKeyUsageContract } from './get-key-usage.contract.js';

export const route = defineRoute(getKeyUsageContract, async ({ path, query, principal }, deps) => {
  return json(200, await readKeyUsage(deps, principal, path.id, query));
});

export const handler = lambdaHandler(route);
