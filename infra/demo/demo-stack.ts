import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { keygateFunction } from '../api.js';
import { type KeygateReference, KeygateProtectedApi } from '../protected-api.js';
import { DEMO_CACHE_TTL_SECONDS, demoRoutes } from './demo-routes.js';

export interface KeygateDemoStackProps extends StackProps {
  readonly keygate: KeygateReference;
}

/**
 * A team's stack, as it would use keygate: its own functions, its own HTTP API, and
 * KeygateProtectedApi naming the permission each route needs. Deployed with
 * `npx cdk deploy -c demo=true KeygateDemo` next to the Keygate stack.
 */
export class KeygateDemoStack extends Stack {
  readonly api: KeygateProtectedApi;

  constructor(scope: Construct, id: string, props: KeygateDemoStackProps) {
    super(scope, id, { description: 'keygate demo: a team API behind the keygate authorizer', ...props });
    const logRetention = RetentionDays.ONE_WEEK;
    this.api = new KeygateProtectedApi(this, 'DemoApi', {
      keygate: props.keygate,
      cacheTtl: Duration.seconds(DEMO_CACHE_TTL_SECONDS),
      logRetention,
      routes: demoRoutes.map((route) => ({
        method: route.method,
        path: route.path,
        permission: route.permission,
        ...(route.instanceFrom === undefined ? {} : { instanceFrom: route.instanceFrom }),
        // The team's backend: it never touches keygate's table; the authorizer does.
        handler: keygateFunction(this, route.id, {
          entry: route.entry,
          description: `keygate demo ${route.method} ${route.path}: ${route.summary}`,
          environment: {},
          logRetention,
        }),
      })),
    });
    new CfnOutput(this, 'DemoApiUrl', { value: this.api.httpApi.apiEndpoint, description: 'The demo API, behind the keygate authorizer' });
  }
}
