import { defineRoute } from '../../http/route-handler.js';
import { lambdaHandler } from '../../runtime/lambda.js';
import { secretSigningKeys } from '../../runtime/secret-signing-keys.js';
import { json } from '../../http/respond.js';
import { createKey } from '../key-lifecycle.js';
import { createKeyContract } from './create-key.contract.js';

export const route = defineRoute(createKeyContract, async ({ body, principal }, deps) => {
  const issued = await createKey(deps, principal, body);
  return json(201, { key: issued.key, ...issued.details }, { location: `/v1/keys/${issued.details.id}` });
});

// The signing keys, read from Secrets Manager (the contract's tokens: 'signing-keys').
export const handler = lambdaHandler(route, secretSigningKeys);
