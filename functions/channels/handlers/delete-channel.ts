import { defineRoute } from '../../http/route-handler.js';
import { lambdaHandler } from '../../runtime/lambda.js';
import { noContent } from '../../http/respond.js';
import { deleteChannel } from '../channel-service.js';
import { deleteChannelContract } from './delete-channel.contract.js';

export const route = defineRoute(deleteChannelContract, async ({ path, principal }, deps) => {
  await deleteChannel(deps, principal, path.id);
  return noContent();
});

export const handler = lambdaHandler(route);
