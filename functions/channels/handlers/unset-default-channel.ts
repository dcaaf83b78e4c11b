import { json } from '../../http/respond.js';
import { defineRoute } from '../../http/route-handler.js';
import { lambdaHandler } from '../../runtime/lambda.js';
import { unsetOwnerDefaultChannel } from '../owner-default-channel.js';
import { unsetDefaultChannelContract } from './unset-default-channel.contract.js';

export const route = defineRoute(unsetDefaultChannelContract, async ({ path, principal }, deps) =>
  json(200, await unsetOwnerDefaultChannel(deps, principal, path.id)),
);

export const handler = lambdaHandler(route);
