import { defineRoute } from '../../http/route-handler.js';
import { lambdaHandler } from '../../runtime/lambda.js';
import { json } from '../../http/respond.js';
import { listAuditEntries } from '../audit-service.js';
import { listAuditEntriesContract } from './list-audit-entries.contract.js';

export const route = defineRoute(listAuditEntriesContract, async ({ query, principal }, deps) => {
  return json(200, await listAuditEntries(deps, principal, query));
});

export const handler = lambdaHandler(route);
