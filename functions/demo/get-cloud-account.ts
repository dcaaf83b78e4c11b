import { demoRoute } from './demo-handler.js';

/**
 * GET /demo/cloud-accounts/{accountId} (cloud-accounts:read on that account): the authorizer has
 * checked the permission on the account in the path, so a key scoped to acct-1 gets here only
 * for acct-1.
 */
export const route = demoRoute('GetDemoCloudAccount', (event) => ({
  account: { id: event.pathParameters?.accountId, provider: 'aws', status: 'connected' },
}));

export const handler = route.handle;
