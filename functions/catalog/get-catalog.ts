import { defineRoute } from '../http/route-handler.js';
import { lambdaHandler } from '../runtime/lambda.js';
import { json } from '../http/respond.js';
import { describeCatalog } from '../permissions/describe-catalog.js';
import { getCatalogContract } from './get-catalog.contract.js';

export const route = defineRoute(getCatalogContract, async (_input, deps) => {
  return json(200, describeCatalog(deps.config.catalog));
});

export const handler = lambdaHandler(route);
