import { Aws, CfnOutput, CustomResource, Duration, Fn, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { type IRole, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { CfnScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Provider } from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import { KeygateApi, keygateFunction } from './api.js';
import { grantTableAccess } from './table-grants.js';
import { type KeygateAlarmProps, KeygateMonitoring } from './monitoring.js';
import { SigningKeys } from './signing-keys.js';
import { KeygateNotifications } from './notifications.js';
import { KeygateScheduleWatch } from './schedule-watch.js';
import { KeygateState } from './stateful.js';
import { KeygateSignIn } from './sign-in.js';
import { deploymentConfig } from '../functions/deployment-config.js';
import { type RouteDefinition, routes } from '../functions/routes.js';
import { functionTableAccess } from '../functions/contract/table-access.js';
import { DEFAULT_THROTTLES, type RouteThrottle, type ThrottleClass, type Throttles } from '../functions/contract/throttles.js';

export interface KeygateStackProps extends StackProps {
  /**
   * Throttling per route class, each route its own bucket: `integration` (verify, token,
   * introspection, JWKS and discovery) and `management` (every other route, and the stage
   * default). A class left out keeps its default. @default DEFAULT_THROTTLES (functions/contract/throttles.ts)
   */
  readonly throttles?: Partial<Record<ThrottleClass, RouteThrottle>>;
  /** Retention of function and access logs. @default one month */
  readonly logRetention?: RetentionDays;
  /** Where alarms go (an SNS topic, or an e-mail address) and their thresholds. @default alarms only on the dashboard */
  readonly alarms?: KeygateAlarmProps;
  /**
   * The address email notifications are sent from: an SES identity verified in this account and
   * region (the address, or its domain). No default: without it email channels are not set up and
   * their notifications fail (visible as NotificationsFailed and its alarm).
   */
  readonly emailSender?: string;
}

export class KeygateStack extends Stack {
  readonly state: KeygateState;
  readonly api: KeygateApi;
  readonly notifications: KeygateNotifications;
  readonly scheduleWatch: KeygateScheduleWatch;
  readonly signingKeys: SigningKeys;
  readonly monitoring: KeygateMonitoring;
  readonly signIn: KeygateSignIn;

  constructor(scope: Construct, id: string, props: KeygateStackProps = {}) {
    super(scope, id, { description: 'keygate: self-hosted API keys and client credentials', ...props });
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;

    this.state = new KeygateState(this, 'State');
    const { table, adminKeySecret } = this.state;
    const throttles: Throttles = { ...DEFAULT_THROTTLES, ...props.throttles };
    this.api = new KeygateApi(this, 'Api', { table, throttles, logRetention });
    this.notifications = new KeygateNotifications(this, 'Notifications', { table, logRetention, ...(props.emailSender === undefined ? {} : { emailSender: props.emailSender }) });
    // Webhook signing secrets: sealed by the routes that create webhook channels, opened by the notifier only.
    for (const route of routes as readonly RouteDefinition[]) {
      const fn = this.api.functions.get(route.id);
      if (route.webhookSecrets === 'seal' && fn) this.state.grantWebhookSecrets(fn, 'encrypt');
    }
    this.state.grantWebhookSecrets(this.notifications.notifier, 'decrypt');
    // A notification schedule deleted outside keygate cancels the notification (needs a CloudTrail trail: README).
    const scheduleWatch = (this.scheduleWatch = new KeygateScheduleWatch(this, 'ScheduleWatch', {
      table,
      scheduleGroup: this.notifications.scheduleGroup.node.defaultChild as CfnScheduleGroup,
      syncRole: this.notifications.scheduleSync.role as IRole,
      deadLetterQueue: this.notifications.deadLetterQueue,
      logRetention,
    }));

    // Token signing keys; the issuer is the API's own endpoint ($default stage, so no path).
    this.signingKeys = new SigningKeys(this, 'SigningKeys', { logRetention });
    this.signingKeys.connectTokenRoutes(this.api, this.api.httpApi.apiEndpoint);

    // People sign in to the console (at <API URL>/console) with OpenID Connect.
    this.signIn = new KeygateSignIn(this, 'SignIn', { consoleUrl: `${this.api.httpApi.apiEndpoint}/console`, people: deploymentConfig.people });
    this.api.connectSignIn(this.signIn.issuer, this.signIn.clientId);

    // First admin credential: minted on stack creation, straight into the secret.
    const bootstrapFunction = keygateFunction(this, 'Bootstrap', {
      entry: 'functions/bootstrap/bootstrap-handler.ts',
      description: 'keygate bootstrap: mints an admin key into the admin-key secret (stack creation, or invoke with {"action":"mint-admin-key"})',
      environment: { TABLE_NAME: table.tableName, ADMIN_SECRET_ARN: adminKeySecret.secretArn },
      logRetention,
      timeout: Duration.seconds(30),
    });
    // Creates a key: functions/contract/table-access.ts says what of the table that takes.
    grantTableAccess(bootstrapFunction, table, functionTableAccess.bootstrap);
    bootstrapFunction.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:PutSecretValue'], resources: [adminKeySecret.secretArn] }));

    const providerRole = new Role(this, 'AdminKeyProviderRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'keygate custom resource provider: invokes the bootstrap function and writes its own log group',
    });
    const providerLogs = new LogGroup(this, 'AdminKeyProviderLogs', { retention: logRetention, removalPolicy: RemovalPolicy.DESTROY });
    providerLogs.grantWrite(providerRole);
    const provider = new Provider(this, 'AdminKeyProvider', {
      onEventHandler: bootstrapFunction,
      frameworkOnEventRole: providerRole,
      logGroup: providerLogs,
    });
    const bootstrapLogicalId = this.getLogicalId(bootstrapFunction.node.defaultChild as CfnFunction);
    Validations.of(providerRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bootstrapLogicalId}.Arn>:*]`,
      reason: 'The provider framework may invoke any version of the bootstrap function (ARN:*), and that function only.',
    });

    new CustomResource(this, 'AdminKeyBootstrap', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::KeygateAdminKey',
      // ARNs and names only; the response Data carries the key id, never the key.
      properties: { TableName: table.tableName, SecretArn: adminKeySecret.secretArn },
    });

    this.monitoring = new KeygateMonitoring(this, 'Monitoring', {
      ...props.alarms,
      httpApi: this.api.httpApi,
      table,
      functions: new Map([
        ...this.api.functions,
        ['Bootstrap', bootstrapFunction],
        ['Notifier', this.notifications.notifier],
        ['ScheduleSync', this.notifications.scheduleSync],
        ['ScheduleWatch', scheduleWatch.function],
        ['SigningKeyRotation', this.signingKeys.rotationFunction],
      ]),
      deadLetterQueues: new Map([['NotificationsDeadLetterQueue', this.notifications.deadLetterQueue]]),
      accessLogs: this.api.accessLogs,
      scheduleGroup: this.notifications.scheduleGroup,
      streamConsumers: new Map([['ScheduleSync', this.notifications.scheduleSync]]),
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.stage.url, description: 'keygate API base URL' });
    new CfnOutput(this, 'TableName', { value: table.tableName });
    new CfnOutput(this, 'ConsoleUrl', { value: `${this.api.httpApi.apiEndpoint}/console`, description: 'keygate console (people sign in with OpenID Connect)' });
    if (this.signIn.userPool) {
      new CfnOutput(this, 'UserPoolId', { value: this.signIn.userPool.userPoolId, description: 'Cognito user pool of the console: add people here, admins to the group keygate-admins' });
    }
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName, description: 'CloudWatch dashboard of keygate' });
    new CfnOutput(this, 'AdminKeySecretArn', { value: adminKeySecret.secretArn, description: 'Secret holding the admin key (ARN only)' });
    new CfnOutput(this, 'AdminKeyCommand', {
      description: 'Prints the admin key',
      value: Fn.join('', ['aws secretsmanager get-secret-value --region ', Aws.REGION, ' --secret-id ', adminKeySecret.secretArn, ' --query SecretString --output text']),
    });
    new CfnOutput(this, 'MintAdminKeyCommand', {
      description: 'Mints a new admin key into the secret (when the old one is lost or about to expire)',
      value: Fn.join('', [
        'aws lambda invoke --region ',
        Aws.REGION,
        ' --function-name ',
        bootstrapFunction.functionName,
        ` --cli-binary-format raw-in-base64-out --payload '{"action":"mint-admin-key"}' /dev/stdout`,
      ]),
    });
  }
}
