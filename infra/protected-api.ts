import { Duration, Stack } from 'aws-cdk-lib';
import { type HttpApi, HttpMethod, HttpRoute, HttpRouteKey, type HttpStage, PayloadFormatVersion, type ThrottleSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { CredentialHeader } from '../functions/access/credentials.js';
import { checkSettings, type RouteRules } from '../functions/authorizer/authorizer.js';
import { deploymentConfig } from '../functions/deployment-config.js';
import { keygateFunction } from './api.js';
import { grantTableAccess } from './table-grants.js';
import { functionTableAccess } from '../functions/contract/table-access.js';
import { loggedHttpApi } from './http-api.js';
import type { KeygateStack } from './keygate-stack.js';
import { identitySources } from '../functions/contract/authorizer-identity.js';
import { PROTECTED_API_THROTTLE } from '../functions/contract/throttles.js';

/**
 * Puts a team's routes behind keygate, in the team's own stack:
 *
 *   new KeygateProtectedApi(this, 'Api', {
 *     keygate: { table, issuer },
 *     routes: [
 *       { method: 'GET', path: '/alerts', permission: 'alerts:read', handler: listAlerts },
 *       { method: 'GET', path: '/cloud-accounts/{accountId}', permission: 'cloud-accounts:read', instanceFrom: 'accountId', handler: getAccount },
 *     ],
 *   });
 *
 * It makes one keygate authorizer function for the API (the permission each route needs is
 * compiled into its bundle), attaches it to every route as an HTTP API Lambda authorizer (payload 2.0,
 * simple responses), and grants it exactly GetItem and UpdateItem on keygate's table.
 *
 * Caching. API Gateway caches a decision by the authorizer's identity sources, and a simple
 * response allows or denies whatever else matches them. So the identity sources are the
 * credential header AND `$context.routeKey` (plus `$context.path` when a route takes its
 * instance from the path): a key allowed on GET /alerts is never let into POST /alerts from the
 * cache. What caching means for revocation: a deleted, reset or expired key keeps working for at
 * most `cacheTtl` on each (route, credential) pair it used just before, and so does a token for
 * up to `cacheTtl` past its `exp`; a pair not in the cache is decided against the table at once.
 * Caching requires every identity source to be present, so with caching exactly one credential
 * header is accepted; accept both Authorization and x-api-key only with `cacheTtl` 0.
 * Rate limits and quotas (functions/usage/) are counted per decision: a cached decision is a use
 * that is not counted, and a key's limit refusal is cached as a denial for `cacheTtl`.
 */
export interface KeygateReference {
  /** keygate's key table (same account): the authorizer reads a key and records its use there. */
  readonly table: ITable;
  /**
   * keygate's issuer URL (its API endpoint): access tokens are checked against
   * <issuer>/.well-known/jwks.json, JWT-format keys against <issuer>/v1/keys/jwks.json.
   */
  readonly issuer: string;
}

/** The reference to a keygate stack in the same CDK app (and so the same account). */
export function keygateReference(keygate: KeygateStack): KeygateReference {
  return { table: keygate.state.table, issuer: keygate.api.httpApi.apiEndpoint };
}

export type ProtectedMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS' | 'ANY';

export interface ProtectedRoute {
  readonly method: ProtectedMethod;
  /** HTTP API path syntax: `{name}` is a path parameter. */
  readonly path: string;
  /** What the caller must hold: `resource:access` from keygate's catalog, or `authenticated`. */
  readonly permission: string;
  /**
   * A path parameter naming the instance the permission must cover: a key with a role scoped to
   * cloud accounts A and B passes for /cloud-accounts/A but not /cloud-accounts/C.
   * @default the permission must be held on every instance
   */
  readonly instanceFrom?: string;
  readonly handler: IFunction;
}

export interface KeygateProtectedApiProps {
  readonly keygate: KeygateReference;
  readonly routes: readonly ProtectedRoute[];
  /**
   * How long API Gateway caches a decision (per credential and route); 0 turns caching off.
   * At most an hour (API Gateway's limit). Also the longest a revoked key keeps working: opt in
   * only where that lag is acceptable.
   * @default 0 (no cache: a reset or deleted key stops at once)
   */
  readonly cacheTtl?: Duration;
  /**
   * Where callers put their credential. With caching on, exactly one.
   * @default ['authorization'] (`Authorization: Bearer <key or access token>`)
   */
  readonly credentialHeaders?: readonly CredentialHeader[];
  /** Add the routes to this API instead of making one (its stage, logs and throttling are then yours). */
  readonly httpApi?: HttpApi;
  /** Throttling of the stage the construct makes. @default burst 100, rate 50 per second */
  readonly throttle?: ThrottleSettings;
  /** Retention of the authorizer's and the API's logs. @default one month */
  readonly logRetention?: RetentionDays;
  /** Where the authorizer's alarms go (keygate's alarm topic, or the team's). @default alarms without an action */
  readonly alarmTopic?: ITopic;
}

/**
 * No decision cache by default: a reset or deleted key stops at once at every route. (Access
 * tokens need no cache: the authorizer verifies them offline, in its own memory.) A cache is an
 * opt-in whose TTL is the revocation lag.
 */
export const DEFAULT_CACHE_TTL = Duration.seconds(0);
const MAX_CACHE_TTL = Duration.hours(1);

export class KeygateProtectedApi extends Construct {
  readonly httpApi: HttpApi;
  /** Undefined when the routes went into an API given in the props. */
  readonly stage: HttpStage | undefined;
  readonly authorizerFunction: NodejsFunction;
  readonly authorizer: HttpLambdaAuthorizer;
  /** AuthorizerErrors and AuthorizerThrottles: any in 5 minutes (README, runbook). */
  readonly alarms: readonly Alarm[];
  readonly routes: readonly HttpRoute[];

  constructor(scope: Construct, id: string, props: KeygateProtectedApiProps) {
    super(scope, id);
    const cacheTtl = props.cacheTtl ?? DEFAULT_CACHE_TTL;
    if (cacheTtl.toSeconds() > MAX_CACHE_TTL.toSeconds()) throw new Error(`cacheTtl may be at most an hour (API Gateway's limit); got ${cacheTtl.toHumanString()}`);
    const credentialHeaders = props.credentialHeaders ?? ['authorization'];
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;

    // The route rules, checked against the catalog now: a typo fails the synth, not every request.
    const rules: RouteRules = {};
    for (const route of props.routes) {
      const routeKey = `${route.method} ${route.path}`;
      if (rules[routeKey]) throw new Error(`route ${routeKey} is given twice`);
      rules[routeKey] = { permission: route.permission, ...(route.instanceFrom === undefined ? {} : { instanceFrom: route.instanceFrom }) };
    }
    const checked = checkSettings(deploymentConfig.catalog, { routes: rules, credentialHeaders });
    const sources = identitySources(credentialHeaders, cacheTtl.toSeconds(), props.routes.some((r) => r.instanceFrom !== undefined));

    this.authorizerFunction = keygateFunction(this, 'Authorizer', {
      entry: 'functions/authorizer/authorizer-handler.ts',
      description: `keygate authorizer: keys and access tokens, a permission per route (${props.routes.length} routes)`,
      environment: {
        TABLE_NAME: props.keygate.table.tableName,
        KEYGATE_CREDENTIAL_HEADERS: credentialHeaders.join(','),
        KEYGATE_ISSUER: props.keygate.issuer,
      },
      logRetention,
      timeout: Duration.seconds(5),
      // The route rules go into the code, not the environment: Lambda allows 4 KB of variables,
      // about 40–70 routes' worth. Compiled in, a change of rules is a new bundle (and version).
      define: { __KEYGATE_ROUTES__: JSON.stringify(JSON.stringify(checked.routes)) },
    });
    // One consistent GetItem per decision, the once-a-minute lastUsedAt update, a refused
    // credential's audit entry, the usage flush and, for keys with limits, their counters
    // (functions/contract/table-access.ts). No index, no Query or Scan.
    grantTableAccess(this.authorizerFunction, props.keygate.table, functionTableAccess.authorizer);

    // An authorizer that fails or is throttled answers the API's callers 500/503 for every route.
    this.alarms = (['Errors', 'Throttles'] as const).map((name) => {
      const metric = name === 'Errors' ? this.authorizerFunction.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }) : this.authorizerFunction.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' });
      const alarm = new Alarm(this, `Authorizer${name}`, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription:
          name === 'Errors'
            ? `keygate authorizer of ${Stack.of(this).stackName}: the function failed or timed out, so API Gateway answered 500 for those requests (no credential was judged). Its log group has the error.`
            : `keygate authorizer of ${Stack.of(this).stackName}: Lambda throttled it (account or reserved concurrency exhausted), so callers got 500/503.`,
      });
      if (props.alarmTopic) alarm.addAlarmAction(new SnsAction(props.alarmTopic));
      return alarm;
    });
    this.authorizer = new HttpLambdaAuthorizer('KeygateAuthorizer', this.authorizerFunction, {
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: sources,
      resultsCacheTtl: cacheTtl,
    });

    if (props.httpApi) {
      this.httpApi = props.httpApi;
      this.stage = undefined;
    } else {
      ({ httpApi: this.httpApi, stage: this.stage } = loggedHttpApi(this, {
        description: `${Stack.of(this).stackName}: routes behind keygate`,
        throttle: props.throttle ?? PROTECTED_API_THROTTLE,
        logRetention,
        // Never a header (they carry credentials); who called is the authorizer's key id.
        accessLogFields: {
          requestId: '$context.requestId',
          ip: '$context.identity.sourceIp',
          requestTime: '$context.requestTime',
          routeKey: '$context.routeKey',
          status: '$context.status',
          keyId: '$context.authorizer.keyId',
          authorizerError: '$context.authorizer.error',
          responseLatency: '$context.responseLatency',
          integrationError: '$context.integrationErrorMessage',
        },
      }));
    }

    this.routes = props.routes.map((route) => {
      const name = `${route.method}${route.path.replace(/\{(\w+)\}/g, 'By$1').replace(/[^A-Za-z0-9]/g, '')}`;
      return new HttpRoute(this, `Route${name}`, {
        httpApi: this.httpApi,
        routeKey: HttpRouteKey.with(route.path, HttpMethod[route.method]),
        integration: new HttpLambdaIntegration(`Integration${name}`, route.handler, { payloadFormatVersion: PayloadFormatVersion.VERSION_2_0 }),
        authorizer: this.authorizer,
      });
    });
  }
}
