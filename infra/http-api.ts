import { RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpStage, LogGroupLogDestination, type ThrottleSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

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
export function loggedHttpApi(scope: Construct, props: LoggedHttpApiProps): { httpApi: HttpApi; stage: HttpStage } {
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
  return { httpApi, stage };
}
