import type { ProtectedMethod } from '../protected-api.js';

/**
 * The demo API: two routes of a team's own API behind the keygate authorizer. The demo stack
 * (infra/demo/demo-stack.ts) deploys them with KeygateProtectedApi; the local run serves them
 * behind the same authorizer (dev/local-demo.ts). Plain data, like functions/routes.ts.
 */
export interface DemoRouteDefinition {
  readonly id: string;
  readonly method: ProtectedMethod;
  readonly path: string;
  readonly entry: string;
  readonly permission: string;
  readonly instanceFrom?: string;
  readonly summary: string;
}

export const demoRoutes: readonly DemoRouteDefinition[] = [
  {
    id: 'ListDemoAlerts',
    method: 'GET',
    path: '/demo/alerts',
    entry: 'functions/demo/list-alerts.ts',
    permission: 'alerts:read',
    summary: 'Sample alerts: needs alerts:read on every instance',
  },
  {
    id: 'GetDemoCloudAccount',
    method: 'GET',
    path: '/demo/cloud-accounts/{accountId}',
    entry: 'functions/demo/get-cloud-account.ts',
    permission: 'cloud-accounts:read',
    instanceFrom: 'accountId',
    summary: 'One cloud account: needs cloud-accounts:read on that account (a scoped role will do)',
  },
];

/** The demo's cache TTL, on AWS and locally. */
export const DEMO_CACHE_TTL_SECONDS = 30;
