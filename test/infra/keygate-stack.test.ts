import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { App, CfnElement } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentConfig } from '../../functions/deployment-config.js';
import type { KeygateStack } from '../../infra/keygate-stack.js';
import { type RouteDefinition, routes, tokenAccess } from '../../functions/routes.js';
import { tableSchema } from '../../functions/contract/table-schema.js';
import { type BenchWorld, startBenchWorld } from '../bench/bench-world.js';
import { type ColdStartRig, coldStartRig, lambdaBundles } from '../bench/bundles.js';
import { synthKeygate, type TemplateResource as Resource } from '../support/synth.js';

/**
 * Assertions on the synthesized template. One synth for the whole file: it bundles every
 * function with the real esbuild, as `cdk synth` does, with cdk.json's context.
 */
// Every function bundles the AWS SDK (esbuild, ~30 bundles): minutes on a loaded 2-core machine.
const SYNTH_TIMEOUT = 300_000;
const routeTable = routes as readonly RouteDefinition[];

let stack: KeygateStack;
let template: Template;
let resources: Record<string, Resource>;
let assemblyDirectory: string;

const logicalId = (element: unknown) => stack.getLogicalId(element as CfnElement);
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const tableRef = () => ({ Ref: logicalId(stack.state.table.node.defaultChild) });
const secretRef = () => ({ Ref: logicalId(stack.state.adminKeySecret.node.defaultChild) });
const routeFunctionId = (route: RouteDefinition) => logicalId(stack.api.functions.get(route.id)?.node.defaultChild);
/** The notifier, the schedule sync (test/infra/notifications.test.ts) and the schedule watch (test/infra/schedule-watch.test.ts). */
const notificationFunctionIds = () =>
  [stack.notifications.notifier, stack.notifications.scheduleSync, stack.scheduleWatch.function].map((fn) => logicalId(fn.node.defaultChild));
const bootstrapFunctionId = () => {
  const ids = ofType('AWS::Lambda::Function')
    .filter(([, r]) => r.Properties.Environment?.Variables?.ADMIN_SECRET_ARN !== undefined)
    .map(([id]) => id);
  expect(ids).toHaveLength(1);
  return ids[0] as string;
};

/** Every statement of the inline policy attached to a function's role. */
function roleStatements(functionId: string): { Action: string | string[]; Resource: unknown }[] {
  const roleId = (resources[functionId]?.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const policies = ofType('AWS::IAM::Policy').filter(([, r]) => (r.Properties.Roles as { Ref: string }[]).some((ref) => ref.Ref === roleId));
  expect(policies).toHaveLength(1);
  return policies[0]?.[1].Properties.PolicyDocument.Statement;
}
const actionsOf = (statement: { Action: string | string[] }) => [statement.Action].flat();

beforeAll(() => {
  let app: App;
  // Asset and path metadata, as `cdk synth` writes them: the bundles are started below by their
  // construct paths (test/bench/bundles.ts reads a cloud assembly as the bench does).
  ({ app, stack, template, resources } = synthKeygate({}, { bundle: ['**'], context: { 'aws:cdk:enable-asset-metadata': true, 'aws:cdk:enable-path-metadata': true } }));
  assemblyDirectory = app.synth().directory;
}, SYNTH_TIMEOUT);

describe('the HTTP API', () => {
  it('has exactly one route per route-table entry, with its method and path', () => {
    const routeKeys = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey).sort();
    expect(routeKeys).toEqual(routeTable.map((r) => `${r.method} ${r.path}`).sort());
  });

  it.each(routeTable.map((r) => [r.id, r] as const))('wires %s to its own function through a payload 2.0 Lambda proxy integration', (_id, route) => {
    const [, apiRoute] = ofType('AWS::ApiGatewayV2::Route').find(([, r]) => r.Properties.RouteKey === `${route.method} ${route.path}`) ?? [];
    const target = apiRoute?.Properties.Target as { 'Fn::Join': [string, [string, { Ref: string }]] };
    const integrationId = target['Fn::Join'][1][1].Ref;
    expect(target['Fn::Join'][1][0]).toBe('integrations/');
    expect(resources[integrationId]?.Properties).toMatchObject({
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [routeFunctionId(route), 'Arn'] },
    });
    expect(resources[routeFunctionId(route)]?.Properties.Description).toBe(`keygate ${route.method} ${route.path}: ${route.summary}`);
  });

  it('serves the $default stage with default throttling and JSON access logs that carry no header', () => {
    const stages = ofType('AWS::ApiGatewayV2::Stage');
    expect(stages).toHaveLength(1);
    const stage = stages[0]?.[1].Properties ?? {};
    expect(stage).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingBurstLimit: 100, ThrottlingRateLimit: 50 },
    });
    const destinationId = stage.AccessLogSettings.DestinationArn['Fn::GetAtt'][0];
    expect(resources[destinationId]?.Type).toBe('AWS::Logs::LogGroup');
    expect(resources[destinationId]?.Properties.RetentionInDays).toBe(30);
    const format = JSON.parse(stage.AccessLogSettings.Format);
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      routeKey: '$context.routeKey',
      status: '$context.status',
    });
    expect(stage.AccessLogSettings.Format).not.toMatch(/header|authorization/i);
  });
});

describe('the functions', () => {
  const bundleOf = (functionId: string) => {
    const hash = String(resources[functionId]?.Properties.Code.S3Key).replace(/\.zip$/, '');
    return readFileSync(path.join(assemblyDirectory, `asset.${hash}`, 'index.mjs'), 'utf8');
  };

  /** The functions keygate bundles (index.handler): every one but the CDK's own providers. */
  const bundledFunctions = () => ofType('AWS::Lambda::Function').filter(([, r]) => r.Properties.Handler === 'index.handler');
  /** Those whose bundle carries an AWS SDK client (the SDK's user-agent header is in every one). */
  const withSdk = () => bundledFunctions().filter(([id]) => bundleOf(id).includes('x-amz-user-agent'));

  it('carry an AWS SDK client but for the routes that need none: no table access, no signing keys', () => {
    const sdk = new Set(withSdk().map(([id]) => id));
    const without = bundledFunctions()
      .filter(([id]) => !sdk.has(id))
      .map(([id]) => id)
      .sort();
    const expected = routeTable.filter((route) => route.tableAccess.length === 0 && tokenAccess(route) !== 'signing-keys');
    expect(expected.map((route) => route.id).sort()).toEqual(['GetAuthorizationServerMetadata', 'GetConsole', 'GetConsoleAsset', 'GetOpenApi', 'GetOpenIdConfiguration']);
    expect(without).toEqual(expected.map(routeFunctionId).sort());
  });

  /** The packages a bundle imports from outside itself at run time (node: built-ins aside). */
  function importedAtRunTime(functionId: string): string[] {
    const bundle = bundleOf(functionId);
    // A statement starts the file or follows `;` or `}`: the SDK's error messages quote `import "…"` in text.
    const specifiers = [...bundle.matchAll(/(?:^|[;}])\s*import\s*(?:[\w$\s{},*]+?from\s*)?["']([^"']+)["']/g)].map((m) => m[1] as string);
    return [...new Set(specifiers.filter((s) => !s.startsWith('node:')))].sort();
  }

  it('carry the AWS SDK in their bundles (minified), not the copy of the Lambda runtime', () => {
    const bundled = bundledFunctions();
    // Besides the routes: bootstrap, signing-key rotation, first signing key, notifier, schedule sync, schedule watch.
    expect(bundled).toHaveLength(routeTable.length + 6);
    for (const [id] of bundled) expect(importedAtRunTime(id), id).toEqual([]);
  });

  it('take their AWS credentials from what Lambda hands them, without the SDK\'s SSO, INI-file, process or web-identity providers', () => {
    const sdk = new Set(withSdk().map(([id]) => id));
    for (const [id] of bundledFunctions()) {
      const bundle = bundleOf(id);
      // functions/runtime/lambda-credentials.ts, which infra/bundling.ts puts in place of @aws-sdk/credential-provider-node.
      if (sdk.has(id)) expect(bundle, id).toContain('no AWS credentials: this bundle reads them from the Lambda environment');
      expect(bundle, id).not.toContain('defaultProvider::fromSSO');
      expect(bundle, id).not.toContain('@aws-sdk/credential-provider-ini');
      expect(bundle, id).not.toContain('node:child_process');
    }
  });

  /*
   * The bundles themselves, run as Lambda runs them: each in a fresh node with its template's
   * environment (pointed at a DynamoDB Local of its own and a stand-in Secrets Manager), imported,
   * then given the first request of its kind and the same again (test/bench/bundles.ts, the
   * bench's cold-start rig). What only a bundle can get wrong shows here: an alias, a module
   * initialised out of order, the credential chain, a dependency that does not bundle.
   */
  describe('started as Lambda starts them', () => {
    let world: BenchWorld;
    let rig: ColdStartRig;
    beforeAll(async () => {
      world = await startBenchWorld();
      rig = await coldStartRig(world, assemblyDirectory);
    }, 120_000);
    afterAll(async () => {
      rig?.close();
      await world?.close();
    });

    it('import and answer their first request and a second, none with a 5xx or a throw', { timeout: 180_000 }, async () => {
      const bundles = lambdaBundles(assemblyDirectory);
      expect(bundles.map((bundle) => bundle.name)).toContain('Keygate/Api/VerifyKey');
      expect(bundles).toHaveLength(routeTable.length + 6);
      const answers: Record<string, string> = {};
      const failed: string[] = [];
      for (const bundle of bundles) {
        const start = await rig.start(bundle);
        const answer = rig.hasRequest(bundle) ? `${start.outcome}, then ${start.warmOutcome}` : 'imported';
        answers[bundle.name] = answer;
        if (/\b(5\d\d|threw|undefined)\b/.test(answer)) failed.push(`${bundle.name}: ${answer}${start.error === undefined ? '' : ` (${start.error})`}`);
      }
      expect(failed).toEqual([]);
      // The requests of test/bench/bundles.ts that succeed: a key verified, a key made, a token issued.
      expect(answers['Keygate/Api/VerifyKey']).toBe('200, then 200');
      expect(answers['Keygate/Api/CreateKey']).toBe('201, then 201');
      expect(answers['Keygate/Api/IssueToken']).toBe('200, then 200');
      expect(answers['Keygate/Notifications/Notifier']).toBe('ok, then ok');
    });

    // The bench reports every cold start against these two (test/bench/cold-start-floors/).
    it('have floors for the bench that start the same way and read the key item', { timeout: 60_000 }, async () => {
      for (const kind of ['sdk', 'lean'] as const) {
        const start = await rig.floor(kind);
        expect([start.outcome, start.warmOutcome, start.calls], kind).toEqual(['200', '200', ['GetItem']]);
      }
    });
  });

  it('leave out the SDK\'s event-stream code (infra/bundling.ts), which wrapped its core in lazy initialisers', () => {
    const bundled = withSdk();
    expect(bundled.length).toBeGreaterThan(routeTable.length - 5);
    for (const [id] of bundled) {
      const bundle = bundleOf(id);
      expect(bundle, id).toContain('keygate bundles leave out @smithy/core/event-streams and bowser');
      expect(bundle, id).not.toContain('@smithy/core/event-streams - header name exceeds');
    }
  });

  it('carry the deployment configuration as the synth validated it, and neither its schemas nor a second validation', () => {
    const bundled = bundledFunctions();
    // The start of the define's JSON text (esbuild escapes the catalog's quoted words further on).
    const compiled = `JSON.parse(\`{"keyPrefix":${JSON.stringify(deploymentConfig.keyPrefix)},"policy":${JSON.stringify(deploymentConfig.policy)},`;
    for (const [id] of bundled) {
      const bundle = bundleOf(id);
      expect(bundle.includes(compiled), id).toBe(true);
      expect(bundle, id).not.toContain('leaks.githubKeysUrl must be https');
      expect(bundle, id).not.toContain('resource names are lower-case words joined by');
    }
  });

  it('are one per route plus the bootstrap function, besides the provider frameworks, the signing-key rotation and the first-signing-key wait', () => {
    // The notifier and the schedule sync are asserted in test/infra/notifications.test.ts.
    const functions = ofType('AWS::Lambda::Function').filter(([id]) => !notificationFunctionIds().includes(id));
    const keygate = functions.filter(([, r]) => r.Properties.Environment?.Variables?.TABLE_NAME !== undefined);
    expect(keygate).toHaveLength(routeTable.length + 1);
    // + bootstrap, rotation, the admin-key provider's onEvent; + the first-key function and its provider's onEvent, isComplete, onTimeout.
    expect(functions).toHaveLength(routeTable.length + 3 + 4);
    expect(functions.filter(([, r]) => String(r.Properties.Handler).startsWith('framework.'))).toHaveLength(4);
  });

  it('run Node.js 22 or newer on arm64 with 256 MB, no runtime flags (the source maps ship, --enable-source-maps costs each cold start) and TABLE_NAME as their only configuration (plus the token settings of token routes, the webhook-secrets key of channel-creating ones)', () => {
    const keygate = ofType('AWS::Lambda::Function').filter(([id, r]) => r.Properties.Environment?.Variables?.TABLE_NAME !== undefined && !notificationFunctionIds().includes(id));
    for (const [id, fn] of keygate) {
      const props = fn.Properties;
      const version = Number(/^nodejs(\d+)\.x$/.exec(props.Runtime)?.[1]);
      expect(version, id).toBeGreaterThanOrEqual(22);
      expect(props).toMatchObject({ Handler: 'index.handler', Architectures: ['arm64'], MemorySize: 256 });
      const variables = props.Environment.Variables;
      expect(variables.TABLE_NAME).toEqual(tableRef());
      expect(variables.NODE_OPTIONS).toBeUndefined();
      const expected = id === bootstrapFunctionId() ? ['ADMIN_SECRET_ARN', 'TABLE_NAME'] : ['TABLE_NAME'];
      // Token routes also get the issuer and the signing-key secret ARN (test/infra/tokens.test.ts).
      const route = routeTable.find((r) => routeFunctionId(r) === id);
      const tokens = route === undefined ? undefined : tokenAccess(route);
      const tokenVariables = tokens === 'signing-keys' ? ['ISSUER_URL', 'SIGNING_KEYS_SECRET_ARN'] : tokens === 'issuer' ? ['ISSUER_URL'] : [];
      // Routes that authenticate a caller, and the console's own, know where people sign in.
      const signIn = route !== undefined && (route.permission !== 'public' || route.assets === 'console') ? ['PEOPLE_CLIENT_ID', 'PEOPLE_ISSUER'] : [];
      // Routes that create webhook channels seal their secrets under the KMS key (test/infra/webhook-secrets.test.ts).
      const sealing = route?.webhookSecrets === 'seal' ? ['WEBHOOK_SECRETS_KEY_ARN'] : [];
      expect(Object.keys(variables).sort()).toEqual([...expected, ...tokenVariables, ...signIn, ...sealing].sort());
    }
  });

  it('give every route function a 10 s timeout and its own log group with a retention', () => {
    const logGroups = new Set<string>();
    for (const route of routeTable) {
      const props = resources[routeFunctionId(route)]?.Properties ?? {};
      expect(props.Timeout).toBe(10);
      const logGroupId = props.LoggingConfig.LogGroup.Ref as string;
      expect(resources[logGroupId]?.Properties.RetentionInDays).toBe(30);
      logGroups.add(logGroupId);
    }
    expect(logGroups.size).toBe(routeTable.length);
  });

  it('let a role write to its own log group only, not through AWSLambdaBasicExecutionRole', () => {
    expect(JSON.stringify(template.toJSON())).not.toContain('AWSLambdaBasicExecutionRole');
    for (const route of routeTable) {
      const id = routeFunctionId(route);
      const logStatements = roleStatements(id).filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
      expect(logStatements).toEqual([
        expect.objectContaining({
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [resources[id]?.Properties.LoggingConfig.LogGroup.Ref, 'Arn'] },
        }),
      ]);
    }
  });
});

describe('the table', () => {
  it('key indexes project only what listings filter on: a use record (lastUsedAt, inactiveAt, ttl) touches no index (#12)', () => {
    const props = ofType('AWS::DynamoDB::Table')[0]?.[1].Properties ?? {};
    type Index = { IndexName: string; KeySchema: { AttributeName: string }[]; Projection: { ProjectionType: string; NonKeyAttributes?: string[] } };
    const indexes = props.GlobalSecondaryIndexes as Index[];
    const byName = new Map(indexes.map((index) => [index.IndexName, index]));
    for (const name of ['keysByOwner', 'keysAll', 'keysByName']) {
      expect(byName.get(name)?.Projection).toEqual({ ProjectionType: 'INCLUDE', NonKeyAttributes: ['tags', 'nameLower', 'expiresAt', 'revokedAt'] });
    }
    // What recordUse writes (functions/keys/key-store.ts) is neither projected nor an index key anywhere key items are indexed.
    const useWrites = ['lastUsedAt', 'inactiveAt', 'ttl', 'lastWriteWasUse'];
    for (const name of ['keysByOwner', 'keysAll', 'keysByName']) {
      const index = byName.get(name);
      const touched = [...(index?.Projection.NonKeyAttributes ?? []), ...(index?.KeySchema ?? []).map((k) => k.AttributeName)];
      expect(touched.filter((a) => useWrites.includes(a))).toEqual([]);
    }
    // The ALL indexes hold channels, operator messages and audit entries: key items carry none of their key attributes.
    expect(indexes.filter((index) => index.Projection.ProjectionType === 'ALL').map((index) => index.IndexName).sort()).toEqual(
      ['all', 'auditByAction', 'auditByActor', 'auditByKey', 'byOwner'],
    );
  });

  it('is built from functions/contract/table-schema.ts: keys, GSIs with their projections, TTL', () => {
    const tables = ofType('AWS::DynamoDB::Table');
    expect(tables).toHaveLength(1);
    const props = tables[0]?.[1].Properties ?? {};
    expect(props.KeySchema).toEqual([
      { AttributeName: tableSchema.partitionKey, KeyType: 'HASH' },
      { AttributeName: tableSchema.sortKey, KeyType: 'RANGE' },
    ]);
    expect(props.GlobalSecondaryIndexes).toEqual(
      tableSchema.indexes.map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection:
          index.projection.type === 'ALL'
            ? { ProjectionType: 'ALL' }
            : { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.projection.attributes] },
      })),
    );
    const attributes = [...new Set([tableSchema.partitionKey, tableSchema.sortKey, ...tableSchema.indexes.flatMap((i) => [i.partitionKey, i.sortKey])])];
    expect(props.AttributeDefinitions).toEqual(expect.arrayContaining(attributes.map((name) => ({ AttributeName: name, AttributeType: 'S' }))));
    expect(props.AttributeDefinitions).toHaveLength(attributes.length);
    expect(props.TimeToLiveSpecification).toEqual({ AttributeName: 'ttl', Enabled: true });
  });

  it('is on-demand, with point-in-time recovery and deletion protection, and retained', () => {
    const [, table] = ofType('AWS::DynamoDB::Table')[0] ?? [];
    expect(table?.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
    });
    expect(table?.DeletionPolicy).toBe('Retain');
    expect(table?.UpdateReplacePolicy).toBe('Retain');
  });
});

describe('the admin bootstrap', () => {
  it('keeps the admin key in a retained secret whose value the template never holds', () => {
    // The other secret holds the token signing keys (test/infra/tokens.test.ts).
    const secrets = ofType('AWS::SecretsManager::Secret').filter(([id]) => id !== logicalId(stack.signingKeys.secret.node.defaultChild));
    expect(secrets).toHaveLength(1);
    const [id, secret] = secrets[0] ?? [];
    expect(id).toBe(secretRef().Ref);
    expect(secret?.DeletionPolicy).toBe('Retain');
    expect(secret?.Properties.SecretString).toBeUndefined();
    expect(secret?.Properties.GenerateSecretString).toEqual({});
  });

  it('mints through a custom resource whose provider calls the bootstrap function, given ARNs and names only', () => {
    const custom = ofType('Custom::KeygateAdminKey');
    expect(custom).toHaveLength(1);
    const props = custom[0]?.[1].Properties ?? {};
    expect(Object.keys(props).sort()).toEqual(['SecretArn', 'ServiceToken', 'TableName']);
    expect(props.SecretArn).toEqual(secretRef());
    expect(props.TableName).toEqual(tableRef());
    const frameworkId = props.ServiceToken['Fn::GetAtt'][0] as string;
    expect(resources[frameworkId]?.Properties.Environment.Variables).toEqual({
      USER_ON_EVENT_FUNCTION_ARN: { 'Fn::GetAtt': [bootstrapFunctionId(), 'Arn'] },
    });
  });

  it('lets the bootstrap function write the table and put a value into that one secret, nothing more of Secrets Manager', () => {
    const bootstrap = resources[bootstrapFunctionId()]?.Properties ?? {};
    expect(bootstrap.Environment.Variables.ADMIN_SECRET_ARN).toEqual(secretRef());
    expect(bootstrap.Timeout).toBe(30);
    const statements = roleStatements(bootstrapFunctionId());
    expect(statements.flatMap(actionsOf)).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:GetItem']));
    const secretStatements = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
    expect(secretStatements).toEqual([{ Action: 'secretsmanager:PutSecretValue', Effect: 'Allow', Resource: secretRef() }]);
    const adminSecretReaders = ofType('AWS::IAM::Policy')
      .flatMap(([, r]) => r.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
      .filter((s) => actionsOf(s).some((a) => a === 'secretsmanager:GetSecretValue' || a === 'secretsmanager:*') && JSON.stringify(s.Resource).includes(secretRef().Ref));
    expect(adminSecretReaders).toEqual([]);
  });

  it('runs only once the bootstrap function may use the table and the secret', () => {
    const roleId = resources[bootstrapFunctionId()]?.Properties.Role['Fn::GetAtt'][0];
    const [policyId] = ofType('AWS::IAM::Policy').find(([, r]) => r.Properties.Roles.some((ref: { Ref: string }) => ref.Ref === roleId)) ?? [];
    expect(resources[bootstrapFunctionId()]?.DependsOn).toEqual(expect.arrayContaining([policyId, roleId]));
  });
});

describe('secrets stay out of the template', () => {
  it('has no key-looking string anywhere', () => {
    const json = JSON.stringify(template.toJSON());
    expect(json).not.toContain(`${deploymentConfig.keyPrefix}_`);
    expect(json).not.toMatch(/[a-z0-9]{2,10}_[0-9A-Za-z]{22}_[0-9A-Za-z]{49}/);
  });

  it('passes only names and ARNs through environment variables', () => {
    for (const [id, fn] of ofType('AWS::Lambda::Function')) {
      for (const [name, value] of Object.entries<unknown>(fn.Properties.Environment?.Variables ?? {})) {
        // Every value is a reference CloudFormation resolves to a name or an ARN, or a Node option.
        const allowed = name === 'NODE_OPTIONS' ? value === '--enable-source-maps' : typeof value === 'object';
        expect(allowed, `${id} ${name}`).toBe(true);
      }
    }
  });
});

describe('stack outputs', () => {
  it('give the API URL, the table name, the secret ARN and ready commands, never the key', () => {
    const outputs = template.toJSON().Outputs;
    expect(Object.keys(outputs).sort()).toEqual(['AdminKeyCommand', 'AdminKeySecretArn', 'ApiUrl', 'ConsoleUrl', 'DashboardName', 'MintAdminKeyCommand', 'TableName', 'UserPoolId']);
    expect(outputs.TableName.Value).toEqual(tableRef());
    expect(outputs.AdminKeySecretArn.Value).toEqual(secretRef());
    expect(JSON.stringify(outputs.ApiUrl.Value)).toContain('.execute-api.');
    const command = outputs.AdminKeyCommand.Value['Fn::Join'][1];
    expect(command).toEqual(expect.arrayContaining([secretRef(), ' --query SecretString --output text']));
    expect(command[0]).toBe('aws secretsmanager get-secret-value --region ');
    expect(JSON.stringify(outputs.MintAdminKeyCommand.Value)).toContain('{\\"action\\":\\"mint-admin-key\\"}');
  });
});

describe('sign-in for the console', () => {
  const userPoolId = () => logicalId(stack.signIn.userPool?.node.defaultChild);
  const clientId = () => logicalId(stack.signIn.client?.node.defaultChild);

  it('makes a retained Cognito user pool: no self sign-up, email sign-in, strong passwords, MFA required', () => {
    const pool = resources[userPoolId()];
    expect(pool?.Type).toBe('AWS::Cognito::UserPool');
    expect(pool?.DeletionPolicy).toBe('Retain');
    expect(pool?.Properties).toMatchObject({
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      UsernameAttributes: ['email'],
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      DeletionProtection: 'ACTIVE',
      Policies: { PasswordPolicy: { MinimumLength: 12, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true } },
    });
  });

  it('has managed login and a public console client: authorization code only, callback on the API’s /console', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { ManagedLoginVersion: 2, UserPoolId: { Ref: userPoolId() } });
    template.hasResourceProperties('AWS::Cognito::ManagedLoginBranding', { UseCognitoProvidedValues: true, ClientId: { Ref: clientId() } });
    const client = resources[clientId()]?.Properties ?? {};
    expect(client.GenerateSecret).toBe(false);
    expect(client.AllowedOAuthFlows).toEqual(['code']);
    expect(client.AllowedOAuthFlowsUserPoolClient).toBe(true);
    expect([...client.AllowedOAuthScopes].sort()).toEqual(['email', 'openid', 'profile']);
    expect(client.SupportedIdentityProviders).toEqual(['COGNITO']);
    const apiId = logicalId(stack.api.httpApi.node.defaultChild);
    const consoleUrl = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [apiId, 'ApiEndpoint'] }, '/console']] };
    expect(client.CallbackURLs).toEqual([consoleUrl]);
    expect(client.LogoutURLs).toEqual([consoleUrl]);
  });

  it('has the admin group the deployment config names', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: deploymentConfig.people.adminGroup, UserPoolId: { Ref: userPoolId() } });
    expect(deploymentConfig.people.adminGroup).toBe('keygate-admins');
  });

  it('serves the console on /console and its files on /console/{asset}, both from bundles that carry them', () => {
    const apiId = logicalId(stack.api.httpApi.node.defaultChild);
    for (const key of ['GET /console', 'GET /console/{asset}']) template.hasResourceProperties('AWS::ApiGatewayV2::Route', { ApiId: { Ref: apiId }, RouteKey: key });
    for (const route of routeTable.filter((r) => r.assets === 'console')) {
      const hash = String(resources[routeFunctionId(route)]?.Properties.Code.S3Key).replace(/\.zip$/, '');
      for (const file of ['index.html', 'app.js', 'app.css']) {
        expect(readFileSync(path.join(assemblyDirectory, `asset.${hash}`, 'console', file), 'utf8').length, `${route.id} ${file}`).toBeGreaterThan(100);
      }
    }
  });

  it('tells every function that authenticates callers which issuer and client to trust', () => {
    const getKeys = routeTable.find((r) => r.id === 'ListKeys') as RouteDefinition;
    const variables = resources[routeFunctionId(getKeys)]?.Properties.Environment.Variables;
    expect(variables.PEOPLE_CLIENT_ID).toEqual({ Ref: clientId() });
    expect(variables.PEOPLE_ISSUER).toEqual({
      'Fn::Join': ['', ['https://cognito-idp.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/', { Ref: userPoolId() }]],
    });
  });
});
