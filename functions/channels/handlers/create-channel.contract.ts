import { BODY_ERRORS, defineContract } from '../../contract/route-contract.js';
import { createdChannelSchema } from '../channel-responses.js';
import { createChannelBodySchema } from '../schemas.js';
import { appendAudit, authentication, partitions } from '../../contract/table-access.js';

export const createChannelContract = defineContract({
  id: 'CreateChannel',
  method: 'POST',
  path: '/v1/channels',
  entry: 'functions/channels/handlers/create-channel.ts',
  permission: 'channels:write',
  tableAccess: [
    ...authentication,
    { actions: ['PutItem'], partitions: [partitions.channel, partitions.ownerChannelName, partitions.adminChannelName] },
    appendAudit,
  ],
  // A webhook's signing secret is stored sealed under the stack's KMS key (channels/secret-box.ts).
  webhookSecrets: 'seal',
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
