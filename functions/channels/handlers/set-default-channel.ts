import { json } from '../../http/respond.js';
import { defineRoute } from '../../http/route-handler.js';
import { lambdaHandler } from '../../runtime/lambda.js';
import { setOwnerDefaultChannel } from '../owner-default-channel.js';
import { setDefaultChannelContract } from './set-default-channel.contract.js';

export const route = defineRoute(setDefaultChannelContract, async ({ path, principal }, deps) =>
  json(200, await setOwnerDefaultChannel(deps, principal, path.id)),
);

export const handler = lambdaHandler(route);
