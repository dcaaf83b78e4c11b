import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { Route } from '../http/route-handler.js';
import { logger } from '../observability/logger.js';
import type { Deps } from './deps.js';
import { baseDeps } from './environment.js';
import { requireSigningKeysPassed, routePeopleDeps, routeTokenDeps } from './route-deps.js';
import { settleUsageFlushes } from '../usage/usage-counts.js';
import { enableShutdownFlush } from './shutdown-signal.js';

// At init, on Lambda only: SIGTERM before the instance is retired, to write its usage counts (shutdown-signal.ts).
await enableShutdownFlush();

/**
 * The Lambda entry point of a route: its dependencies are built once per cold start, from its
 * contract, plus what `more` adds (a route that needs a client no other route bundles: the
 * signing keys, runtime/secret-signing-keys.ts; the webhook-secrets key, runtime/webhook-secrets.ts).
 */
export function lambdaHandler(route: Route, more?: () => Partial<Deps>) {
  requireSigningKeysPassed(route.contract, more, 'lambdaHandler');
  let deps: Deps | undefined;
  return async (event: APIGatewayProxyEventV2, context?: Context) => {
    // Adds the function name, cold start and Lambda request id to every log line of this invocation.
    if (context) logger.addContext(context);
    deps ??= { ...baseDeps(), ...routeTokenDeps(route.contract), ...routePeopleDeps(route.contract), ...more?.() };
    const result = await route.handle(event, deps);
    // A usage flush this request started (functions/usage/usage-counts.ts) ends before the instance is frozen.
    await settleUsageFlushes();
    return result;
  };
}
