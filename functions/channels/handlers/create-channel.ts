import { defineRoute } from '../../http/route-handler.js';
import { lambdaHandler } from '../../runtime/lambda.js';
import { kmsWebhookSecrets } from '../../runtime/webhook-secrets.js';
import { json } from '../../http/respond.js';
import { createChannel } from '../channel-service.js';
import { createChannelContract } from './create-channel.contract.js';

export const route = defineRoute(createChannelContract, async ({ body, principal }, deps) => {
  const created = await createChannel(deps, principal, body);
  // A webhook's signing secret is in this response only: receivers need it to verify signatures.
  const shown = created.signingSecret === undefined ? created.details : { ...created.details, signingSecret: created.signingSecret };
  return json(201, shown, { location: `/v1/channels/${created.details.id}` });
});

// Seals webhook signing secrets with KMS (the contract's webhookSecrets: 'seal').
export const handler = lambdaHandler(route, kmsWebhookSecrets);
