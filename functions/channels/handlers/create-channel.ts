import { defineRoute, lambdaHandler } from '../../http/route-handler.js';
import { json } from '../../http/respond.js';
import { createChannel } from '../channel-service.js';
import { createChannelBodySchema } from '../schemas.js';

export const route = defineRoute('CreateChannel', {
  body: createChannelBodySchema,
  async run({ body, principal }, deps) {
    const created = await createChannel(deps, principal, body);
    // A webhook's signing secret is in this response only: receivers need it to verify signatures.
    const shown = created.signingSecret === undefined ? created.details : { ...created.details, signingSecret: created.signingSecret };
    return json(201, shown, { location: `/v1/channels/${created.details.id}` });
  },
});

export const handler = lambdaHandler(route);
