import { defineRoute } from '../../http/route-handler.js';
import { lambdaHandler } from '../../runtime/lambda.js';
import { json } from '../../http/respond.js';
import { resumeManagedKey } from '../key-operations.js';
import { resumeKeyContract } from './resume-key.contract.js';

export const route = defineRoute(resumeKeyContract, async ({ path, body, principal }, deps) =>
  json(200, await resumeManagedKey(deps, principal, path.id, body)),
);

export const handler = lambdaHandler(route);
