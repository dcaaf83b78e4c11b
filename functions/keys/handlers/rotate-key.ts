import { defineRoute } from '../../http/route-handler.js';
import { lambdaHandler } from '../../runtime/lambda.js';
import { secretSigningKeys } from '../../runtime/secret-signing-keys.js';
import { json } from '../../http/respond.js';
import { rotateKey } from '../key-operations.js';
import { rotateKeyContract } from './rotate-key.contract.js';

export const route = defineRoute(rotateKeyContract, async ({ path, body, principal }, deps) => {
  const issued = await rotateKey(deps, principal, path.id, body);
  return json(201, { key: issued.key, ...issued.details });
});

// The signing keys, read from Secrets Manager (the contract's tokens: 'signing-keys').
export const handler = lambdaHandler(route, secretSigningKeys);
