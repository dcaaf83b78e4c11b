import { defineRoute } from '../http/route-handler.js';
import { lambdaHandler } from '../runtime/lambda.js';
import { json } from '../http/respond.js';
import { describeCatalog } from '../permissions/describe-catalog.js';

export const route = defineRoute('GetCatalog', {
  async run(_input, deps) {
    return json(200, describeCatalog(deps.config.catalog));
  },
});

export const handler = lambdaHandler(route);
