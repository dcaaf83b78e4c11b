import { defineRoute } from '../../http/route-handler.js';
import { lambdaHandler } from '../../runtime/lambda.js';
import { json } from '../../http/respond.js';
import { listKeys } from '../key-lifecycle.js';
import { listKeysContract } from './list-keys.contract.js';

export const route = defineRoute(listKeysContract, async ({ query, principal }, deps) => {
  return json(200, await listKeys(deps, principal, query));
});

export const handler = lambdaHandler(route);
