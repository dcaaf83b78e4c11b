import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type CfnElement, Duration, Stack } from 'aws-cdk-lib';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Code, type IFunction, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { KeygateDemoStack } from '../../infra/demo/demo-stack.js';
import { demoRoutes } from '../../infra/demo/demo-routes.js';
import { KeygateStack } from '../../infra/keygate-stack.js';
import { keygateReference, KeygateProtectedApi, type KeygateProtectedApiProps } from '../../infra/protected-api.js';
import { testApp } from '../support/synth.js';

/**
 * Template assertions on KeygateProtectedApi: authorizer attached to every route, the permission
 * of each route wired into the authorizer, the identity sources that make caching safe, the TTL
 * as configured, and the authorizer's grants. Bundling is skipped: the template is the subject.
 */
const newApp = (bundle = false, context: Record<string, unknown> = {}) => testApp({ bundle: bundle ? ['Team'] : [], context });

function teamStack(options: Partial<KeygateProtectedApiProps> = {}, bundle = false, routesFor?: (handler: IFunction) => KeygateProtectedApiProps['routes'], context: Record<string, unknown> = {}) {
  const app = newApp(bundle, context);
  const stack = new Stack(app, 'Team', { env: { account: '123456789012', region: 'eu-west-1' } });
  const table = new Table(stack, 'KeygateTable', { partitionKey: { name: 'pk', type: AttributeType.STRING }, sortKey: { name: 'sk', type: AttributeType.STRING } });
  const fn = (id: string) => new LambdaFunction(stack, id, { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('exports.handler = async () => ({})') });
  const api = new KeygateProtectedApi(stack, 'Api', {
    keygate: { table, issuer: 'https://keygate.example.com' },
    routes: [
      { method: 'GET', path: '/alerts', permission: 'alerts:read', handler: fn('ListAlerts') },
      { method: 'POST', path: '/alerts', permission: 'alerts:write', handler: fn('CreateAlert') },
      { method: 'GET', path: '/rules', permission: 'rules:read', handler: fn('ListRules') },
      { method: 'GET', path: '/cloud-accounts/{accountId}', permission: 'cloud-accounts:read', instanceFrom: 'accountId', handler: fn('GetAccount') },
    ],
    ...options,
    ...(routesFor === undefined ? {} : { routes: routesFor(LambdaFunction.fromFunctionArn(stack, 'TeamBackend', 'arn:aws:lambda:eu-west-1:123456789012:function:team-backend')) }),
  });
  const template = Template.fromStack(stack);
  const id = (element: unknown) => stack.getLogicalId(element as CfnElement);
  return { app, stack, table, api, template, id, resources: template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }> };
}

/** The authorizer's bundle (esbuild output), from a synth with bundling on. */
function authorizerBundle(world: ReturnType<typeof teamStack>): string {
  const fn = world.resources[world.id(world.api.authorizerFunction.node.defaultChild)];
  const hash = String(fn?.Properties.Code.S3Key).replace(/\.zip$/, '');
  return readFileSync(path.join(world.app.synth().directory, `asset.${hash}`, 'index.mjs'), 'utf8');
}

/** Lambda's limit: all environment variables of a function together, names and values, 4 KB. */
const envBytes = (variables: Record<string, unknown>) => Object.entries(variables).reduce((sum, [k, v]) => sum + k.length + JSON.stringify(v).length, 0);

const ofType = (resources: Record<string, { Type: string; Properties: Record<string, any> }>, type: string) =>
  Object.entries(resources).filter(([, r]) => r.Type === type);

describe('KeygateProtectedApi', () => {
  const world = teamStack();
  const authorizers = ofType(world.resources, 'AWS::ApiGatewayV2::Authorizer');
  const authorizerFunctionId = world.id(world.api.authorizerFunction.node.defaultChild);

  it('makes one HTTP API Lambda authorizer with simple responses, payload 2.0 and, by default, no decision cache (a reset or deleted key stops at once)', () => {
    expect(authorizers).toHaveLength(1);
    expect(authorizers[0]?.[1].Properties).toMatchObject({
      AuthorizerType: 'REQUEST',
      EnableSimpleResponses: true,
      AuthorizerPayloadFormatVersion: '2.0',
      AuthorizerResultTtlInSeconds: 0,
    });
    expect(JSON.stringify(authorizers[0]?.[1].Properties.AuthorizerUri)).toContain(JSON.stringify({ 'Fn::GetAtt': [authorizerFunctionId, 'Arn'] }));
  });

  it('with a cache opted into, keys it by credential, route and (for instance routes) path, so no decision is reused for another route', () => {
    const cached = teamStack({ cacheTtl: Duration.seconds(30) });
    const authorizer = ofType(cached.resources, 'AWS::ApiGatewayV2::Authorizer')[0]?.[1].Properties;
    expect(authorizer?.AuthorizerResultTtlInSeconds).toBe(30);
    expect(authorizer?.IdentitySource).toEqual(['$request.header.Authorization', '$context.routeKey', '$context.path']);
  });

  it('attaches the authorizer to every route', () => {
    const routes = ofType(world.resources, 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties);
    expect(routes.map((r) => r.RouteKey).sort()).toEqual(['GET /alerts', 'GET /cloud-accounts/{accountId}', 'GET /rules', 'POST /alerts']);
    for (const route of routes) {
      expect(route).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: authorizers[0]?.[0] } });
    }
  });

  it('compiles each route permission (aliases resolved) into the authorizer bundle, and gives it the issuer and the header it reads', () => {
    const bundled = teamStack({}, true);
    const rules = {
      'GET /alerts': { permission: 'alerts:read' },
      'POST /alerts': { permission: 'alerts:write' },
      'GET /rules': { permission: 'alert-rules:read' },
      'GET /cloud-accounts/{accountId}': { permission: 'cloud-accounts:read', instanceFrom: 'accountId' },
    };
    expect(authorizerBundle(bundled)).toContain(JSON.stringify(rules));
    const env = world.resources[authorizerFunctionId]?.Properties.Environment.Variables;
    expect(env.KEYGATE_ROUTES).toBeUndefined();
    expect(env).toMatchObject({
      KEYGATE_CREDENTIAL_HEADERS: 'authorization',
      KEYGATE_ISSUER: 'https://keygate.example.com',
      TABLE_NAME: { Ref: world.id(world.table.node.defaultChild) },
    });
  });

  it('lets the authorizer read keys, record their use, count refused credentials in the audit log and add usage counts, and nothing else', () => {
    const roleId = (world.resources[authorizerFunctionId]?.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
    const policies = ofType(world.resources, 'AWS::IAM::Policy').filter(([, p]) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId));
    const statements = policies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    const tableStatements = statements.filter((s: { Action: string | string[] }) => [s.Action].flat().some((a) => a.startsWith('dynamodb:')));
    const table = { 'Fn::GetAtt': [world.id(world.table.node.defaultChild), 'Arn'] };
    const on = (pattern: string) => ({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [pattern] } });
    expect(tableStatements).toEqual(
      expect.arrayContaining([
        { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: table, Condition: on('KEY#*') },
        { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: table, Condition: on('AUDIT#*') },
        {
          Effect: 'Allow',
          Action: 'dynamodb:UpdateItem',
          Resource: table,
          Condition: { ...on('AUDIT#*'), 'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['attempts', 'lastAttemptAt', 'pk', 'sk'] } },
        },
        {
          Effect: 'Allow',
          Action: 'dynamodb:UpdateItem',
          Resource: table,
          Condition: { ...on('KEY#*'), 'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['inactiveAt', 'lastUsedAt', 'lastWriteWasUse', 'pk', 'revokedAt', 'sk', 'ttl'] } },
        },
        {
          Effect: 'Allow',
          Action: 'dynamodb:UpdateItem',
          Resource: table,
          Condition: {
            ...on('USAGE#*'),
            'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['allowed', 'pk', 'rateLimited', 'refused', 'sk', 'ttl'] },
          },
        },
      ]),
    );
    expect(tableStatements).toHaveLength(5);
    expect(JSON.stringify(statements)).not.toMatch(/dynamodb:(Query|Scan|DeleteItem|BatchWriteItem|\*)/);
  });

  it('lets API Gateway invoke the authorizer function only through this authorizer', () => {
    const permissions = ofType(world.resources, 'AWS::Lambda::Permission').filter(([, p]) => JSON.stringify(p.Properties.FunctionName).includes(authorizerFunctionId));
    expect(permissions).toHaveLength(1);
    expect(permissions[0]?.[1].Properties).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com' });
    expect(JSON.stringify(permissions[0]?.[1].Properties.SourceArn)).toContain(`/authorizers/`);
  });

  it('uses the cache TTL it is given, and without a cache lets two credential headers in', () => {
    const longer = teamStack({ cacheTtl: Duration.seconds(60) });
    expect(ofType(longer.resources, 'AWS::ApiGatewayV2::Authorizer')[0]?.[1].Properties.AuthorizerResultTtlInSeconds).toBe(60);

    const uncached = teamStack({ cacheTtl: Duration.seconds(0), credentialHeaders: ['authorization', 'x-api-key'] });
    const authorizer = ofType(uncached.resources, 'AWS::ApiGatewayV2::Authorizer')[0]?.[1].Properties;
    expect(authorizer?.AuthorizerResultTtlInSeconds).toBe(0);
    expect(authorizer?.IdentitySource ?? []).toEqual([]);
    const env = uncached.resources[uncached.id(uncached.api.authorizerFunction.node.defaultChild)]?.Properties.Environment.Variables;
    expect(env.KEYGATE_CREDENTIAL_HEADERS).toBe('authorization,x-api-key');

    const apiKeyOnly = teamStack({ credentialHeaders: ['x-api-key'] });
    expect(ofType(apiKeyOnly.resources, 'AWS::ApiGatewayV2::Authorizer')[0]?.[1].Properties.IdentitySource[0]).toBe('$request.header.x-api-key');
  });

  it('takes 300 routes: the rules are in the bundle, and the environment stays far below Lambda\'s 4 KB', () => {
    const stack300 = teamStack({}, true, (handler) =>
      Array.from({ length: 300 }, (_, i) => ({
        method: 'GET' as const,
        path: `/resource-${i}/{itemId}`,
        permission: i % 2 === 0 ? 'alerts:read' : 'cloud-accounts:read',
        ...(i % 2 === 0 ? {} : { instanceFrom: 'itemId' }),
        handler,
      })),
      // 300 routes are ~900 resources (route, integration, invoke permission each): past
      // CloudFormation's 500 per stack, which a real API that size meets with nested stacks or
      // several APIs. Lifted here: the subject is the authorizer's configuration.
      { '@aws-cdk/core:stackResourceLimit': 0 },
    );
    const env = stack300.resources[stack300.id(stack300.api.authorizerFunction.node.defaultChild)]?.Properties.Environment.Variables;
    expect(envBytes(env)).toBeLessThan(1024);
    const bundle = authorizerBundle(stack300);
    expect(bundle).toContain('GET /resource-299/{itemId}');
    expect(bundle).toContain('instanceFrom');
  }, 120_000);

  it('alarms on the authorizer\'s errors and throttles, to the topic it is given', () => {
    const topicWorld = teamStack({ alarmTopic: undefined });
    const alarms = ofType(topicWorld.resources, 'AWS::CloudWatch::Alarm').map(([, r]) => r.Properties);
    const fnRef = { Ref: topicWorld.id(topicWorld.api.authorizerFunction.node.defaultChild) };
    for (const metric of ['Errors', 'Throttles']) {
      expect(alarms.filter((a) => a.MetricName === metric && JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'FunctionName', Value: fnRef }]))).toHaveLength(1);
    }
    const app = newApp();
    const stack = new Stack(app, 'WithTopic');
    const topic = new Topic(stack, 'Alarms');
    const table = new Table(stack, 'T', { partitionKey: { name: 'pk', type: AttributeType.STRING }, sortKey: { name: 'sk', type: AttributeType.STRING } });
    const handler = LambdaFunction.fromFunctionArn(stack, 'B', 'arn:aws:lambda:eu-west-1:123456789012:function:b');
    new KeygateProtectedApi(stack, 'Api', { keygate: { table, issuer: 'https://k.example.com' }, routes: [{ method: 'GET', path: '/a', permission: 'alerts:read', handler }], alarmTopic: topic });
    const withTopic = Object.values(Template.fromStack(stack).toJSON().Resources as Record<string, { Type: string; Properties: any }>).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
    expect(withTopic).toHaveLength(2);
    expect(withTopic.every((a) => JSON.stringify(a.Properties.AlarmActions) === JSON.stringify([{ Ref: stack.getLogicalId(topic.node.defaultChild as CfnElement) }]))).toBe(true);
  });

  it('takes 3 CloudFormation resources per route (route, integration, invoke permission): about 160 routes fit in one stack of 500', () => {
    const count = (n: number) =>
      Object.keys(
        teamStack({}, false, (handler) => Array.from({ length: n }, (_, i) => ({ method: 'GET' as const, path: `/r-${i}`, permission: 'alerts:read', handler }))).resources,
      ).length;
    const ten = count(10);
    const perRoute = (count(20) - ten) / 10;
    expect(perRoute).toBe(3);
    const fixed = ten - 10 * perRoute;
    // The construct's own resources (authorizer, its role, logs, API, stage, alarms) plus this test stack's few.
    expect(fixed).toBeLessThan(30);
    expect(Math.floor((500 - fixed) / perRoute)).toBeGreaterThanOrEqual(155);
  });

  it('refuses at synth what would misbehave at run time', () => {
    expect(() => teamStack({ cacheTtl: Duration.seconds(30), credentialHeaders: ['authorization', 'x-api-key'] })).toThrow(/one credential header/);
    expect(() => teamStack({ credentialHeaders: ['authorization', 'x-api-key'] })).not.toThrow(); // no cache (the default): both headers work
    expect(() => teamStack({ cacheTtl: Duration.minutes(61) })).toThrow(/at most an hour/);
    const table = () => {
      const stack = new Stack(newApp(), 'T');
      return { stack, table: new Table(stack, 'T', { partitionKey: { name: 'pk', type: AttributeType.STRING } }) };
    };
    const withRoute = (route: { permission: string; path?: string; instanceFrom?: string }) => () => {
      const { stack, table: t } = table();
      const handler = new LambdaFunction(stack, 'F', { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('exports.handler = 1') });
      new KeygateProtectedApi(stack, 'Api', { keygate: { table: t, issuer: 'https://k.example.com' }, routes: [{ method: 'GET', path: route.path ?? '/x', permission: route.permission, handler, ...(route.instanceFrom ? { instanceFrom: route.instanceFrom } : {}) }] });
    };
    expect(withRoute({ permission: 'alerts:reed' })).toThrow(/read or write/);
    expect(withRoute({ permission: 'customer:read' })).toThrow(/never be granted/);
    expect(withRoute({ permission: 'alerts:read', path: '/x/{id}', instanceFrom: 'accountId' })).toThrow(/\{accountId\}/);
  });
});

describe('the demo stack', () => {
  const app = newApp();
  const keygate = new KeygateStack(app, 'Keygate');
  const demo = new KeygateDemoStack(app, 'KeygateDemo', { keygate: keygateReference(keygate) });
  const resources = Template.fromStack(demo).toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;

  it('puts both demo routes behind the authorizer, which reads keygate’s table and trusts keygate’s issuer', () => {
    const routes = ofType(resources, 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties);
    expect(routes.map((r) => r.RouteKey).sort()).toEqual(demoRoutes.map((r) => `${r.method} ${r.path}`).sort());
    expect(routes.every((r) => r.AuthorizationType === 'CUSTOM')).toBe(true);
    const env = resources[demo.getLogicalId(demo.api.authorizerFunction.node.defaultChild as CfnElement)]?.Properties.Environment.Variables;
    expect(JSON.stringify(env.TABLE_NAME)).toContain('Fn::ImportValue');
    expect(JSON.stringify(env.KEYGATE_ISSUER)).toContain('Fn::ImportValue');
  });

  it('passes cdk-nag with no finding', () => {
    const report = new AwsSolutionsChecks(app).validateScope(demo);
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });
});

describe('the demo stack, bundled', () => {
  it('bundles the authorizer and both demo handlers with esbuild, as cdk synth does', () => {
    const app = testApp({ bundle: ['KeygateDemo'] });
    const keygate = new KeygateStack(app, 'Keygate');
    const demo = new KeygateDemoStack(app, 'KeygateDemo', { keygate: keygateReference(keygate) });
    const functions = ofType(Template.fromStack(demo).toJSON().Resources, 'AWS::Lambda::Function');
    expect(functions).toHaveLength(3);
    const assembly = app.synth();
    for (const [, fn] of functions) {
      const hash = String(fn.Properties.Code.S3Key).replace(/\.zip$/, '');
      expect(existsSync(path.join(assembly.directory, `asset.${hash}`, 'index.mjs'))).toBe(true);
    }
  }, 120_000);
});
