import { defineRoute } from '../../http/route-handler.js';
import { lambdaHandler } from '../../runtime/lambda.js';
import { json } from '../../http/respond.js';
import { getChannel } from '../channel-service.js';
import { getChannelContract } from './get-channel.contract.js';

export const route = defineRoute(getChannelContract, async ({ path, principal }, deps) => {
  return json(200, await getChannel(deps, principal, path.id));
});

export const handler = lambdaHandler(route);
