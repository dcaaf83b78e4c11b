import { defineRoute, lambdaHandler } from '../../http/route-handler.js';
import { json } from '../../http/respond.js';
import { listChannels } from '../channel-service.js';
import { pageQuerySchema } from '../schemas.js';

export const route = defineRoute('ListChannels', {
  query: pageQuerySchema,
  async run({ query }, deps) {
    return json(200, await listChannels(deps, query));
  },
});

export const handler = lambdaHandler(route);
