import { BODY_ERRORS, defineContract } from '../../contract/route-contract.js';
import { appendAudit, authentication, partitions, quotaReading } from '../../contract/table-access.js';
import { keyDetailsSchema } from '../key-responses.js';
import { keyIdPathSchema, keyStateBodySchema } from '../schemas.js';

export const resumeKeyContract = defineContract({
  id: 'ResumeKey',
  method: 'POST',
  path: '/v1/keys/{id}/resume',
  entry: 'functions/keys/handlers/resume-key.ts',
  permission: 'keys:write',
  tableAccess: [...authentication, { actions: ['PutItem'], partitions: [partitions.key] }, appendAudit, quotaReading],
  summary: 'Let a suspended key work again',
  request: { path: keyIdPathSchema, body: keyStateBodySchema },
  responses: { 200: { description: 'The key, active again', schema: keyDetailsSchema } },
  errors: [...BODY_ERRORS, 404, 409],
});
