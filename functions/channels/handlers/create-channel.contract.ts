import { BODY_ERRORS, defineContract } from '../../contract/route-contract.js';
import { createdChannelSchema } from '../channel-responses.js';
import { createChannelBodySchema } from '../schemas.js';

export const createChannelContract = defineContract({
  id: 'CreateChannel',
  method: 'POST',
  path: '/v1/channels',
  entry: 'functions/channels/handlers/create-channel.ts',
  permission: 'channels:write',
  tableAccess: 'write',
  summary: 'Create an alert channel (email, webhook, operator); a webhook signing secret is shown once',
  request: { body: createChannelBodySchema },
  responses: {
    201: {
      description: 'The new channel (a webhook with its signing secret, shown this once)',
      schema: createdChannelSchema,
      headers: { location: 'The channel' },
    },
  },
  errors: [...BODY_ERRORS, 409],
});
