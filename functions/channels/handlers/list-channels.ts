import { defineRoute, lambdaHandler } from '../../http/route-handler.js';
import { json } from '../../http/respond.js';
import { listChannels } from '../channel-service.js';
import { listChannelsQuerySchema } from '../schemas.js';

export const route = defineRoute('ListChannels', {
  query: listChannelsQuerySchema,
  async run({ query, principal }, deps) {
    return json(200, await listChannels(deps, principal, query));
  },
});

export const handler = lambdaHandler(route);
