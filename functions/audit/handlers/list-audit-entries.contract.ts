import { defineContract } from '../../contract/route-contract.js';
import { auditPageSchema, listAuditQuerySchema } from '../schemas.js';
import { authentication, partitions } from '../../contract/table-access.js';

export const listAuditEntriesContract = defineContract({
  id: 'ListAuditEntries',
  method: 'GET',
  path: '/v1/audit',
  entry: 'functions/audit/handlers/list-audit-entries.ts',
  // The log spans every owner: the handler also requires an admin role (which holds this).
  permission: 'audit-log:read',
  tableAccess: [
    ...authentication,
    // All entries: one query per shard of the table's AUDIT# partitions; filters: one of the audit indexes.
    { actions: ['Query'], partitions: [partitions.audit] },
    { actions: ['Query'], index: 'auditByKey', partitions: [partitions.auditOfKey] },
    { actions: ['Query'], index: 'auditByActor', partitions: [partitions.auditOfActor] },
    { actions: ['Query'], index: 'auditByAction', partitions: [partitions.auditOfAction] },
  ],
  summary: 'Audit log, newest first, for admins: filter by keyId, actor, action, from and to',
  request: { query: listAuditQuerySchema },
  responses: {
    200: {
      description: 'Audit entries, newest first. A page may hold fewer than `limit` entries: continue while nextCursor is not null.',
      schema: auditPageSchema,
    },
  },
  errors: [400],
});
