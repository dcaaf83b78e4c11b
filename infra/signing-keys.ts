import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
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
    this.secret.addRotationSchedule('Schedule', {
      rotationLambda: this.rotationFunction,
      automaticallyAfter: Duration.millis(settings.rotationIntervalMs),
      rotateImmediatelyOnUpdate: true,
    });
    Validations.of(this.rotationFunction.role ?? this.rotationFunction).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'CDK grants every Secrets Manager rotation function secretsmanager:GetRandomPassword on *; that action reads no data (it returns random characters) and this function does not call it. Its other grants name the signing-key secret only.',
    });
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
