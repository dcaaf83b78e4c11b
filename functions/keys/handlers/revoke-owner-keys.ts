import { defineRoute } from '../../http/route-handler.js';
import { lambdaHandler } from '../../runtime/lambda.js';
import { json } from '../../http/respond.js';
import { actOnOwnerKeys } from '../key-operations.js';
import { revokeOwnerKeysContract } from './revoke-owner-keys.contract.js';

export const route = defineRoute(revokeOwnerKeysContract, async ({ path, body, principal }, deps) =>
  json(200, await actOnOwnerKeys(deps, principal, path.owner, 'revoke', body)),
);

export const handler = lambdaHandler(route);
