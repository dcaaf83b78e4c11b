import { defineRoute } from '../../http/route-handler.js';
import { lambdaHandler } from '../../runtime/lambda.js';
import { json } from '../../http/respond.js';
import { listChannels } from '../channel-service.js';
import { listChannelsContract } from './list-channels.contract.js';

export const route = defineRoute(listChannelsContract, async ({ query, principal }, deps) => {
  return json(200, await listChannels(deps, principal, query));
});

export const handler = lambdaHandler(route);
