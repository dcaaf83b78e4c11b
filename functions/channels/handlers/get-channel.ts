import { defineRoute, lambdaHandler } from '../../http/route-handler.js';
import { json } from '../../http/respond.js';
import { getChannel } from '../channel-service.js';
import { channelIdPathSchema } from '../schemas.js';

export const route = defineRoute('GetChannel', {
  path: channelIdPathSchema,
  async run({ path, principal }, deps) {
    return json(200, await getChannel(deps, principal, path.id));
  },
});

export const handler = lambdaHandler(route);
