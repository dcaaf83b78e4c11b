import { defineRoute } from '../../http/route-handler.js';
import { lambdaHandler } from '../../runtime/lambda.js';
import { json } from '../../http/respond.js';
import { actOnOwnerKeys } from '../key-operations.js';
import { suspendOwnerKeysContract } from './suspend-owner-keys.contract.js';

export const route = defineRoute(suspendOwnerKeysContract, async ({ path, body, principal }, deps) =>
  json(200, await actOnOwnerKeys(deps, principal, path.owner, 'suspend', body)),
);

export const handler = lambdaHandler(route);
