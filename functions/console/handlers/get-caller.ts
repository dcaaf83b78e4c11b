import { json } from '../../http/respond.js';
import { defineRoute } from '../../http/route-handler.js';
import { heldPermissions } from '../../permissions/grants.js';
import { lambdaHandler } from '../../runtime/lambda.js';
import { getCallerContract } from './get-caller.contract.js';

/**
 * GET /v1/me: who the caller is, as keygate judged its credential. The console builds its forms
 * from it (owner field for admins, only grants the caller holds on offer); keygate still checks
 * every request itself.
 */
export const route = defineRoute(getCallerContract, async ({ principal }) => {
  return json(200, {
    owner: principal.owner,
    admin: principal.expanded.admin,
    ...(principal.keyId === undefined ? {} : { keyId: principal.keyId }),
    ...(principal.person === undefined ? {} : { person: principal.person }),
    grants: principal.grants,
    permissions: heldPermissions(principal.expanded),
  });
});

export const handler = lambdaHandler(route);
