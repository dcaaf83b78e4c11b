import { defineRoute } from '../../http/route-handler.js';
import { lambdaHandler } from '../../runtime/lambda.js';
import { json } from '../../http/respond.js';
import { suspendManagedKey } from '../key-operations.js';
import { suspendKeyContract } from './suspend-key.contract.js';

export const route = defineRoute(suspendKeyContract, async ({ path, body, principal }, deps) =>
  json(200, await suspendManagedKey(deps, principal, path.id, body)),
);

export const handler = lambdaHandler(route);
