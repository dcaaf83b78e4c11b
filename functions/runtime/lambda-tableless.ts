import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { deploymentConfig } from '../deployment-config.js';
import type { Route } from '../http/route-handler.js';
import { logger } from '../observability/logger.js';
import { systemClock } from '../shared/clock.js';
import type { Deps } from './deps.js';
import { requireSigningKeysPassed, routePeopleDeps, routeTokenDeps } from './route-deps.js';

/**
 * The Lambda entry point of a route whose contract declares no table access (`tableAccess: []`:
 * the discovery metadata, the key sets, the OpenAPI document, the console's files). Like
 * lambdaHandler (runtime/lambda.ts) but nothing of the table's: no DynamoDB client (nor the SDK's
 * DynamoDB code in the bundle: some 60 ms of a cold start here, see the README's Performance), no
 * usage counts to flush, no shutdown hook for them. Its role has no table grant either
 * (infra/table-grants.ts); `ddb` is a stand-in that throws, naming the route, if anything asks.
 * test/unit/architecture.test.ts holds every such route to this entry and its bundle to no
 * DynamoDB client.
 */
export function tablelessLambdaHandler(route: Route, more?: () => Partial<Deps>) {
  if (route.contract.tableAccess.length > 0) {
    throw new Error(`route ${route.id} declares table access: its handler must use lambdaHandler (functions/runtime/lambda.ts)`);
  }
  requireSigningKeysPassed(route.contract, more, 'tablelessLambdaHandler');
  let deps: Deps | undefined;
  return async (event: APIGatewayProxyEventV2, context?: Context) => {
    if (context) logger.addContext(context);
    deps ??= {
      ddb: noTable(route.id),
      tableName: '',
      clock: systemClock,
      config: deploymentConfig,
      ...routeTokenDeps(route.contract),
      ...routePeopleDeps(route.contract),
      ...more?.(),
    };
    return route.handle(event, deps);
  };
}

/** What a function without table access holds in place of a DynamoDB client: anything asked of it throws. */
function noTable(routeId: string): DynamoDBDocumentClient {
  return new Proxy(
    {},
    {
      get: (_target, property) => {
        throw new Error(`route ${routeId} declares no table access (tableAccess: []) and has no DynamoDB client (asked for ${String(property)})`);
      },
    },
  ) as DynamoDBDocumentClient;
}
