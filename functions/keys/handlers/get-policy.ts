import { defineRoute } from '../../http/route-handler.js';
import { json } from '../../http/respond.js';
import { lambdaHandler } from '../../runtime/lambda.js';
import { describePolicy } from '../key-expiry-policy.js';
import { MAX_TAGS, META_MAX_BYTES, META_MAX_DEPTH } from '../key-metadata.js';
import { getPolicyContract } from './get-policy.contract.js';

export const route = defineRoute(getPolicyContract, async (_input, deps) => {
  return json(200, describePolicy(deps.config.policy, { metaMaxBytes: META_MAX_BYTES, metaMaxDepth: META_MAX_DEPTH, maxTags: MAX_TAGS }));
});

export const handler = lambdaHandler(route);
