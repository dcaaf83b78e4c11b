import { defineContract } from '../../contract/route-contract.js';
import { operatorMessageSchema } from '../channel-responses.js';
import { operatorMessageIdPathSchema } from '../schemas.js';
import { appendAudit, authentication, partitions } from '../../contract/table-access.js';

export const acknowledgeOperatorMessageContract = defineContract({
  id: 'AcknowledgeOperatorMessage',
  method: 'POST',
  path: '/v1/operator-messages/{id}/acknowledge',
  entry: 'functions/channels/handlers/acknowledge-operator-message.ts',
  permission: 'operator-messages:write',
  tableAccess: [
    ...authentication,
    { actions: ['GetItem'], partitions: [partitions.operatorMessage] },
    { actions: ['UpdateItem'], partitions: [partitions.operatorMessage], attributes: ['pk', 'sk', 'acknowledgedAt', 'acknowledgedBy'] },
    appendAudit,
  ],
  summary: 'Acknowledge an operator message',
  request: { path: operatorMessageIdPathSchema },
  responses: { 200: { description: 'The acknowledged message', schema: operatorMessageSchema } },
  errors: [400, 404],
});
