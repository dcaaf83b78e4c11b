import { Aws, CustomResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { LogLevel } from 'aws-cdk-lib/aws-stepfunctions';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { type CfnFunction, CfnPermission } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { deploymentConfig } from '../functions/deployment-config.js';
import { tokenSettings } from '../functions/signing/token-settings.js';
import { type KeygateApi, keygateFunction } from './api.js';
import { type RouteDefinition, routes, tokenAccess } from '../functions/routes.js';

export interface SigningKeysProps {
  readonly logRetention: RetentionDays;
}

/**
 * The token signing keys on AWS: one Secrets Manager secret holding the key set
 * (functions/signing/signing-keys.ts), and its rotation function on a Secrets Manager rotation
 * schedule (tokens.rotationInterval of the deployment config). The template holds no key: the
 * secret starts as a keyless placeholder that Secrets Manager generates, and the rotation it
 * runs as soon as the schedule exists writes the first key. The secret is stateful: it is
 * retained when the stack goes, like the table.
 */
export class SigningKeys extends Construct {
  readonly secret: Secret;
  readonly rotationFunction: NodejsFunction;
  /** Invokes the rotation function daily to check the rotation is not overdue (SigningKeyRotationOverdue). */
  readonly rotationCheck: Rule;
  /** Runs the first rotation at deploy and holds the deploy until a key signs. */
  readonly firstKeyFunction: NodejsFunction;
  readonly firstKey: CustomResource;

  constructor(scope: Construct, id: string, props: SigningKeysProps) {
    super(scope, id);
    const settings = tokenSettings(deploymentConfig.tokens);

    this.secret = new Secret(this, 'Secret', {
      description: 'keygate token signing keys (private JWKs) and retired public halves. Written only by its rotation function; read by the functions that sign tokens or JWT-format keys, or publish their JWKS.',
      // Valid, keyless JSON: {"version":1,"keys":[],"placeholder":"<random>"}. No key material in the template.
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ version: 1, keys: [] }),
        generateStringKey: 'placeholder',
        excludePunctuation: true,
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.rotationFunction = keygateFunction(this, 'Rotation', {
      entry: 'functions/tokens/handlers/rotate-signing-keys.ts',
      description: 'keygate signing-key rotation: adds a key published before it signs, drops keys no token needs (Secrets Manager rotation steps)',
      environment: {},
      logRetention: props.logRetention,
      timeout: Duration.seconds(30),
    });
    const schedule = this.secret.addRotationSchedule('Schedule', {
      rotationLambda: this.rotationFunction,
      automaticallyAfter: Duration.millis(settings.rotationIntervalMs),
      rotateImmediatelyOnUpdate: true,
    });
    // Secrets Manager may invoke the rotation function for this secret's rotation only: CDK's
    // grant names the service alone, so any secret's rotation in any account could call it.
    const invokes = this.rotationFunction.node.children.filter(
      (child): child is CfnPermission => child instanceof CfnPermission && child.principal === 'secretsmanager.amazonaws.com',
    );
    if (invokes.length !== 1) throw new Error(`expected one Secrets Manager invoke permission on the rotation function, found ${invokes.length}`);
    for (const invoke of invokes) {
      invoke.sourceAccount = Aws.ACCOUNT_ID;
      invoke.sourceArn = this.secret.secretArn;
    }
    Validations.of(this.rotationFunction.role ?? this.rotationFunction).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'CDK grants every Secrets Manager rotation function secretsmanager:GetRandomPassword on *; that action reads no data (it returns random characters) and this function does not call it. Its other grants name the signing-key secret only.',
    });
    // A rotation that never runs or keeps failing leaves no error behind once its retries stop:
    // the function checks LastRotatedDate daily and counts an overdue rotation (an alarm watches it).
    this.rotationCheck = new Rule(this, 'RotationCheck', {
      description: 'keygate: daily check that the token signing-key rotation is not overdue',
      schedule: Schedule.rate(Duration.days(1)),
      targets: [
        new LambdaFunction(this.rotationFunction, {
          event: RuleTargetInput.fromObject({ action: 'check-rotation', secretId: this.secret.secretArn }),
          retryAttempts: 2,
        }),
      ],
    });

    // The deploy does not finish without a signing key: a custom resource starts the first
    // rotation (RotateSecret, which invokes the rotation function) and its provider polls until
    // AWSCURRENT holds a key that signs; after 15 minutes without one the deploy fails (and rolls back).
    this.firstKeyFunction = keygateFunction(this, 'FirstKey', {
      entry: 'functions/tokens/handlers/await-signing-key.ts',
      description: 'keygate deploy step: starts the first signing-key rotation and waits until a key signs (custom resource provider, onEvent and isComplete)',
      environment: {},
      logRetention: props.logRetention,
      timeout: Duration.seconds(30),
    });
    this.secret.grantRead(this.firstKeyFunction);
    this.firstKeyFunction.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:RotateSecret'], resources: [this.secret.secretArn] }));
    // RotateSecret needs the caller to be allowed to invoke the rotation function too.
    this.firstKeyFunction.addToRolePolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.rotationFunction.functionArn] }));

    const providerRole = new Role(this, 'FirstKeyProviderRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'keygate first-signing-key provider: invokes the FirstKey function and writes its own log group',
    });
    // The waiter's own role (one role for both would make a dependency cycle through the state machine).
    const waiterRole = new Role(this, 'FirstKeyWaiterRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'keygate first-signing-key provider (isComplete, onTimeout): invokes the FirstKey function and writes its own log group',
    });
    const providerLogs = new LogGroup(this, 'FirstKeyProviderLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    providerLogs.grantWrite(providerRole);
    providerLogs.grantWrite(waiterRole);
    const provider = new Provider(this, 'FirstKeyProvider', {
      onEventHandler: this.firstKeyFunction,
      isCompleteHandler: this.firstKeyFunction,
      queryInterval: Duration.seconds(10),
      totalTimeout: Duration.minutes(15),
      frameworkOnEventRole: providerRole,
      frameworkCompleteAndTimeoutRole: waiterRole,
      logGroup: providerLogs,
      disableWaiterStateMachineLogging: false,
      waiterStateMachineLogOptions: { destination: providerLogs, includeExecutionData: false, level: LogLevel.ALL },
    });
    this.firstKey = new CustomResource(this, 'FirstSigningKey', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::KeygateFirstSigningKey',
      properties: { SecretId: this.secret.secretArn },
    });
    this.firstKey.node.addDependency(schedule);
    const stack = Stack.of(this);
    const firstKeyId = stack.getLogicalId(this.firstKeyFunction.node.defaultChild as CfnFunction);
    const waiter = provider.node.findChild('waiter-state-machine');
    const frameworkId = (name: string) => stack.getLogicalId(provider.node.findChild(name).node.defaultChild as CfnFunction);
    for (const name of ['framework-isComplete', 'framework-onTimeout']) {
      Validations.of(waiter).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${frameworkId(name)}.Arn>:*]`,
        reason: "CDK's provider-framework waiter may invoke any version of its own isComplete and onTimeout functions (ARN:*), and those only.",
      });
    }
    Validations.of(waiter).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Step Functions logging to CloudWatch Logs needs the logs:*LogDelivery and Describe* actions, which IAM only grants on * (AWS documents this for state machine logging); they deliver the waiter\'s own execution log.',
    });
    Validations.of(waiter).acknowledge({
      id: 'AwsSolutions-SF2',
      reason: "CDK's provider-framework waiter runs once per deploy and polls one function every 10 s; its executions are logged (level ALL, no execution data) to the provider's log group. X-Ray traces would add nothing an operator uses.",
    });
    for (const role of [providerRole, waiterRole]) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${firstKeyId}.Arn>:*]`,
        reason: 'The provider framework may invoke any version of the FirstKey function (ARN:*), and that function only.',
      });
    }
  }

  /**
   * Gives each route of the route table what tokenAccess() says it needs: the issuer URL, and for
   * `signing-keys` read access to the secret (by ARN, never its value).
   */
  connectTokenRoutes(api: KeygateApi, issuer: string): void {
    for (const route of routes as readonly RouteDefinition[]) {
      const access = tokenAccess(route);
      if (access === undefined) continue;
      const fn = api.functions.get(route.id);
      if (!fn) throw new Error(`the API has no function for token route ${route.id}`);
      fn.addEnvironment('ISSUER_URL', issuer);
      if (access === 'signing-keys') {
        fn.addEnvironment('SIGNING_KEYS_SECRET_ARN', this.secret.secretArn);
        this.secret.grantRead(fn);
      }
    }
  }

  /** The rotation function's logical id, for tests and acknowledgments. */
  get rotationFunctionLogicalId(): string {
    return Stack.of(this).getLogicalId(this.rotationFunction.node.defaultChild as CfnFunction);
  }
}
