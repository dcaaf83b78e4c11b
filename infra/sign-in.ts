import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  CfnManagedLoginBranding,
  CfnUserPoolGroup,
  FeaturePlan,
  ManagedLoginVersion,
  Mfa,
  OAuthScope,
  UserPool,
  type UserPoolClient,
  UserPoolClientIdentityProvider,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import type { PeoplePolicy } from '../functions/deployment-config.js';

export interface KeygateSignInProps {
  /** `<API URL>/console`: the console's redirect URI (and where sign-out returns). */
  readonly consoleUrl: string;
  readonly people: PeoplePolicy;
  /** The Cognito managed login domain prefix (globally unique per region). @default keygate-<account id> */
  readonly domainPrefix?: string;
}

/**
 * Where people sign in to the console: by default a Cognito user pool made here, with managed
 * login, an app client for the console (public: authorization code + PKCE, no secret) and the
 * admin group; or, when the deployment config names one, the company's own OIDC issuer, and
 * nothing is made. Either way the functions get the issuer URL and the console's client id.
 */
export class KeygateSignIn extends Construct {
  readonly issuer: string;
  readonly clientId: string;
  readonly userPool?: UserPool;
  readonly client?: UserPoolClient;

  constructor(scope: Construct, id: string, props: KeygateSignInProps) {
    super(scope, id);
    if (props.people.issuer) {
      this.issuer = props.people.issuer.url;
      this.clientId = props.people.issuer.clientId;
      return;
    }
    const userPool = new UserPool(this, 'UserPool', {
      // People are added by an administrator (console or CLI), never by signing themselves up.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      passwordPolicy: { minLength: 12, requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: true, tempPasswordValidity: Duration.days(3) },
      // Whoever signs in here manages API keys: a second factor, always.
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      featurePlan: FeaturePlan.ESSENTIALS,
      deletionProtection: true,
      // The people are state: keep the pool when the stack goes.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: props.domainPrefix ?? `keygate-${Stack.of(this).account}` },
      managedLoginVersion: ManagedLoginVersion.NEWER_MANAGED_LOGIN,
    });
    const client = userPool.addClient('ConsoleClient', {
      generateSecret: false,
      authFlows: {},
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: [props.consoleUrl],
        logoutUrls: [props.consoleUrl],
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(8),
      enableTokenRevocation: true,
    });
    // Managed login (v2) shows its pages for a client once it has a style: Cognito's own.
    new CfnManagedLoginBranding(this, 'ManagedLoginBranding', { userPoolId: userPool.userPoolId, clientId: client.userPoolClientId, useCognitoProvidedValues: true });
    new CfnUserPoolGroup(this, 'AdminGroup', {
      userPoolId: userPool.userPoolId,
      groupName: props.people.adminGroup,
      description: 'keygate admins: manage every key (the admin role of the deployment config)',
    });
    Validations.of(userPool).acknowledge({
      id: 'AwsSolutions-COG8',
      reason:
        'Essentials tier: managed login and required TOTP MFA. The Plus tier (threat protection) is billed per monthly active user; a deployment that wants it sets featurePlan: FeaturePlan.PLUS here.',
    });
    this.userPool = userPool;
    this.client = client;
    // The issuer its tokens name (`iss`). CloudFormation's ProviderURL attribute lacks the scheme.
    const stack = Stack.of(this);
    this.issuer = `https://cognito-idp.${stack.region}.${stack.urlSuffix}/${userPool.userPoolId}`;
    this.clientId = client.userPoolClientId;
  }
}
