import { defineRoute, lambdaHandler } from '../../http/route-handler.js';
import { noContent } from '../../http/respond.js';
import { deleteChannel } from '../channel-service.js';
import { channelIdPathSchema } from '../schemas.js';

export const route = defineRoute('DeleteChannel', {
  path: channelIdPathSchema,
  async run({ path, principal }, deps) {
    await deleteChannel(deps, principal, path.id);
    return noContent();
  },
});

export const handler = lambdaHandler(route);
