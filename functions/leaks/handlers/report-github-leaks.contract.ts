import { defineContract } from '../../contract/route-contract.js';
import { appendAudit, notificationChannels, partitions } from '../../contract/table-access.js';
import { leakLabelsSchema, leakReportSchema } from '../schemas.js';

export const reportGitHubLeaksContract = defineContract({
  id: 'ReportGitHubLeaks',
  method: 'POST',
  path: '/v1/leaks/github',
  entry: 'functions/leaks/handlers/report-github-leaks.ts',
  // Public, but only GitHub can use it: the report must carry GitHub's ECDSA signature
  // (Github-Public-Key-Identifier, Github-Public-Key-Signature), checked before anything else.
  permission: 'public',
  tableAccess: [
    // The reported keys (by the id in each key string), each revoked or suspended with its audit
    // entry; a revoked key gives up its name. No caller to authenticate: the signature is GitHub's.
    { actions: ['GetItem', 'BatchGetItem', 'PutItem'], partitions: [partitions.key] },
    { actions: ['DeleteItem'], partitions: [partitions.keyName] },
    // A suspended key's leak alerts: the owner's default channel and the admin channel, by name.
    notificationChannels,
    appendAudit,
  ],
  summary: 'GitHub secret scanning partner endpoint: revokes (or suspends and alerts on) keys whose strings GitHub found in public (signed reports only)',
  request: { body: leakReportSchema },
  responses: {
    200: { description: 'One label per reported match: true_positive (a real keygate key string) or false_positive', schema: leakLabelsSchema },
  },
  errors: [400, 401, 413],
});
