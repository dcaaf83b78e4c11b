import type { APIGatewayRequestAuthorizerEvent, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { authorizerRuntime } from '../runtime/authorizer.js';
import { authorizeHttpApi, authorizeRestApi } from './authorizer.js';
import { settleUsageFlushes } from '../usage/usage-counts.js';

/**
 * The Lambda entry point of the keygate authorizer: its settings and dependencies come from the
 * composition root (functions/runtime/authorizer.ts, which lists the environment it reads).
 * HTTP API (payload 2.0, simple responses) or REST API (REQUEST authorizer), told apart by the event.
 */
export async function handler(event: APIGatewayRequestAuthorizerEventV2 | APIGatewayRequestAuthorizerEvent) {
  const { settings, deps } = authorizerRuntime();
  const result = await ('methodArn' in event ? authorizeRestApi(deps, settings, event) : authorizeHttpApi(deps, settings, event));
  // A usage flush this request started (functions/usage/usage-counts.ts) ends before the instance is frozen.
  await settleUsageFlushes();
  return result;
}
