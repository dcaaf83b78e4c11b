import { defineRoute } from '../../http/route-handler.js';
import { lambdaHandler } from '../../runtime/lambda.js';
import { secretSigningKeys } from '../../runtime/secret-signing-keys.js';
import { json } from '../../http/respond.js';
import { resetKeySecret } from '../key-lifecycle.js';
import { resetKeySecretContract } from './reset-key-secret.contract.js';

export const route = defineRoute(resetKeySecretContract, async ({ path, body, principal }, deps) => {
  const issued = await resetKeySecret(deps, principal, path.id, body);
  return json(200, { key: issued.key, ...issued.details });
});

// The signing keys, read from Secrets Manager (the contract's tokens: 'signing-keys').
export const handler = lambdaHandler(route, secretSigningKeys);
