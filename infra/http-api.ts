import { RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { type CfnStage, HttpApi, type HttpRoute, HttpStage, LogGroupLogDestination, type ThrottleSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { RouteThrottle } from '../functions/contract/throttles.js';

export interface LoggedHttpApiProps {
  readonly description: string;
  readonly throttle: ThrottleSettings;
  readonly logRetention: RetentionDays;
  /**
   * The JSON access-log line: field name → `$context` variable. Never a header: headers carry
   * the callers' credentials.
   */
  readonly accessLogFields: Record<string, string>;
}

/**
 * An HTTP API with its `$default` stage (auto-deployed, throttled) writing JSON access logs to
 * its own log group: the block keygate's API and the protected API construct share. Construct
 * ids `HttpApi`, `AccessLogs` and `DefaultStage` are made in `scope`.
 */
export function loggedHttpApi(scope: Construct, props: LoggedHttpApiProps): { httpApi: HttpApi; stage: HttpStage; accessLogs: LogGroup } {
  const httpApi = new HttpApi(scope, 'HttpApi', { description: props.description, createDefaultStage: false });
  // Logs are stateless output; the audit trail lives in the table, which is retained.
  const accessLogs = new LogGroup(scope, 'AccessLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
  const stage = new HttpStage(scope, 'DefaultStage', {
    httpApi,
    stageName: '$default',
    autoDeploy: true,
    throttle: props.throttle,
    accessLogSettings: {
      destination: new LogGroupLogDestination(accessLogs),
      format: AccessLogFormat.custom(JSON.stringify(props.accessLogFields)),
    },
  });
  return { httpApi, stage, accessLogs };
}

/**
 * Route-level throttling on the stage (its RouteSettings, by route key): each route its own token
 * bucket, overriding the stage default. CloudFormation refuses a route setting whose route does
 * not exist yet, so the stage waits for every route it names.
 */
export function throttleRoutes(stage: HttpStage, routes: readonly { route: HttpRoute; routeKey: string; throttle: RouteThrottle }[]): void {
  const cfnStage = stage.node.defaultChild as CfnStage;
  cfnStage.routeSettings = Object.fromEntries(
    routes.map(({ routeKey, throttle }) => [routeKey, { ThrottlingRateLimit: throttle.rateLimit, ThrottlingBurstLimit: throttle.burstLimit }]),
  );
  for (const { route } of routes) stage.node.addDependency(route);
}
