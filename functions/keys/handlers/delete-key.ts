import { defineRoute } from '../../http/route-handler.js';
import { lambdaHandler } from '../../runtime/lambda.js';
import { noContent } from '../../http/respond.js';
import { deleteKey } from '../key-lifecycle.js';
import { deleteKeyContract } from './delete-key.contract.js';

export const route = defineRoute(deleteKeyContract, async ({ path, principal }, deps) => {
  await deleteKey(deps, principal, path.id);
  return noContent();
});

export const handler = lambdaHandler(route);
