import type { CfnElement } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KeygateStack } from '../../infra/keygate-stack.js';
import { type RouteDefinition, routes, tokenAccess } from '../../functions/routes.js';
import { synthKeygate, type TemplateResource as Resource } from '../support/synth.js';

/** Template assertions for the token parts: the signing-key secret, its rotation, and the token routes' wiring. */

const routeTable = routes as readonly RouteDefinition[];

let stack: KeygateStack;
let resources: Record<string, Resource>;

const logicalId = (element: unknown) => stack.getLogicalId(element as CfnElement);
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const secretId = () => logicalId(stack.signingKeys.secret.node.defaultChild);
const functionId = (route: RouteDefinition) => logicalId(stack.api.functions.get(route.id)?.node.defaultChild);

function statementsOfFunction(id: string): { Action: string | string[]; Resource: unknown; Effect: string }[] {
  const roleId = (resources[id]?.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return ofType('AWS::IAM::Policy')
    .filter(([, r]) => (r.Properties.Roles as { Ref: string }[]).some((ref) => ref.Ref === roleId))
    .flatMap(([, r]) => r.Properties.PolicyDocument.Statement);
}
const actionsOf = (statement: { Action: string | string[] }) => [statement.Action].flat();

beforeAll(() => {
  ({ stack, resources } = synthKeygate());
}, 120_000);

describe('the signing-key secret', () => {
  it('holds no key in the template: Secrets Manager generates a keyless placeholder', () => {
    const secret = resources[secretId()];
    expect(secret?.Properties).toMatchObject({
      GenerateSecretString: { SecretStringTemplate: '{"version":1,"keys":[]}', GenerateStringKey: 'placeholder', ExcludePunctuation: true },
    });
    expect(secret?.Properties.SecretString).toBeUndefined();
    const template = JSON.stringify(resources);
    expect(template).not.toMatch(/privateJwk|"d":|BEGIN PRIVATE KEY/);
  });

  it('is retained when the stack is deleted, like the table', () => {
    expect(resources[secretId()]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('rotates every tokens.rotationInterval with its rotation function, and once right away (the first key)', () => {
    const schedules = ofType('AWS::SecretsManager::RotationSchedule');
    expect(schedules).toHaveLength(1);
    expect(schedules[0]?.[1].Properties).toEqual({
      SecretId: { Ref: secretId() },
      RotationLambdaARN: { 'Fn::GetAtt': [stack.signingKeys.rotationFunctionLogicalId, 'Arn'] },
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
      RotateImmediatelyOnUpdate: true,
    });
    const invokers = ofType('AWS::Lambda::Permission').filter(([, r]) => r.Properties.FunctionName?.['Fn::GetAtt']?.[0] === stack.signingKeys.rotationFunctionLogicalId);
    // Secrets Manager for the rotation; EventBridge for the daily overdue check, from that one rule only.
    expect(invokers.map(([, r]) => r.Properties.Principal).sort()).toEqual(['events.amazonaws.com', 'secretsmanager.amazonaws.com']);
    const ruleId = stack.getLogicalId(stack.signingKeys.rotationCheck.node.defaultChild as never);
    expect(invokers.find(([, r]) => r.Properties.Principal === 'events.amazonaws.com')?.[1].Properties.SourceArn).toEqual({ 'Fn::GetAtt': [ruleId, 'Arn'] });
  });

  // The daily overdue check's rule (events.amazonaws.com) is the other invoker: asserted above.
  it("lets Secrets Manager invoke the rotation function for this secret's rotation only, in this account", () => {
    const invokers = ofType('AWS::Lambda::Permission').filter(
      ([, r]) => r.Properties.FunctionName?.['Fn::GetAtt']?.[0] === stack.signingKeys.rotationFunctionLogicalId && r.Properties.Principal !== 'events.amazonaws.com',
    );
    expect(invokers.map(([, r]) => r.Properties)).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [stack.signingKeys.rotationFunctionLogicalId, 'Arn'] },
        Principal: 'secretsmanager.amazonaws.com',
        SourceAccount: { Ref: 'AWS::AccountId' },
        SourceArn: { Ref: secretId() },
      },
    ]);
  });

  it('lets only the rotation function write it', () => {
    const rotation = statementsOfFunction(stack.signingKeys.rotationFunctionLogicalId).filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
    expect(rotation).toContainEqual(
      expect.objectContaining({
        Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
        Resource: { Ref: secretId() },
      }),
    );
    const writers = ofType('AWS::Lambda::Function')
      .filter(([id]) => statementsOfFunction(id).some((s) => actionsOf(s).includes('secretsmanager:PutSecretValue') && JSON.stringify(s.Resource).includes(secretId())))
      .map(([id]) => id);
    expect(writers).toEqual([stack.signingKeys.rotationFunctionLogicalId]);
  });
});

describe('the token routes', () => {
  /** The HTTP API's own endpoint, https://<api id>.execute-api.<region>.amazonaws.com: no Host header decides it. */
  const issuer = () => ({ 'Fn::GetAtt': [logicalId(stack.api.httpApi.node.defaultChild), 'ApiEndpoint'] });

  it.each(routeTable.map((r) => [r.id, r] as const))('%s gets exactly the token configuration its route-table entry asks for', (_id, route) => {
    const id = functionId(route);
    const variables = resources[id]?.Properties.Environment.Variables;
    const secretStatements = statementsOfFunction(id).filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
    const tokens = tokenAccess(route);
    if (tokens === undefined) {
      expect(variables.ISSUER_URL).toBeUndefined();
      expect(variables.SIGNING_KEYS_SECRET_ARN).toBeUndefined();
      expect(secretStatements.filter((s) => JSON.stringify(s.Resource).includes(secretId()))).toEqual([]);
      return;
    }
    expect(variables.ISSUER_URL).toEqual(issuer());
    if (tokens === 'issuer') {
      expect(variables.SIGNING_KEYS_SECRET_ARN).toBeUndefined();
      expect(secretStatements).toEqual([]);
    } else {
      expect(variables.SIGNING_KEYS_SECRET_ARN).toEqual({ Ref: secretId() });
      expect(secretStatements).toHaveLength(1);
      expect({ ...secretStatements[0], Action: actionsOf(secretStatements[0] ?? { Action: [] }).sort() }).toEqual({
        Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
        Effect: 'Allow',
        Resource: { Ref: secretId() },
      });
    }
  });

  it('every other route that authenticates a keygate key knows the issuer (to fetch the key JWKS) and reads no private key', () => {
    for (const route of routeTable.filter((r) => r.tokens === undefined && r.permission !== 'public')) {
      expect(tokenAccess(route), route.id).toBe('issuer');
    }
  });

  it('the JWKS and metadata functions cannot touch the table', () => {
    for (const route of routeTable.filter((r) => r.path.startsWith('/.well-known/') || r.id === 'GetKeyJwks')) {
      expect(statementsOfFunction(functionId(route)).flatMap(actionsOf).filter((a) => a.startsWith('dynamodb:'))).toEqual([]);
    }
  });
});

describe('the first signing key at deploy', () => {
  it('is a custom resource, made after the rotation schedule, whose provider polls (isComplete) until a key signs, for at most 15 minutes', () => {
    const custom = ofType('Custom::KeygateFirstSigningKey');
    expect(custom).toHaveLength(1);
    const [customId, resource] = custom[0] ?? [];
    expect(resource?.Properties.SecretId).toEqual({ Ref: secretId() });
    const scheduleId = ofType('AWS::SecretsManager::RotationSchedule')[0]?.[0];
    expect(resource?.DependsOn).toContain(scheduleId);
    // The provider framework's waiter: a state machine polling the isComplete handler.
    const machines = ofType('AWS::StepFunctions::StateMachine');
    expect(machines).toHaveLength(1);
    const definition = JSON.stringify(machines[0]?.[1].Properties.DefinitionString);
    expect(definition).toContain('"IntervalSeconds\\":10');
    expect(definition).toContain('"MaxAttempts\\":90');
    expect(customId).toBeDefined();
  });

  it('lets its function read the secret, start its rotation and invoke the rotation function, and nothing else', () => {
    const fnId = logicalId(stack.signingKeys.firstKeyFunction.node.defaultChild);
    const statements = statementsOfFunction(fnId);
    const actions = statements.flatMap(actionsOf).filter((a) => !a.startsWith('logs:'));
    expect(actions.sort()).toEqual(['lambda:InvokeFunction', 'secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:RotateSecret']);
    const invoke = statements.find((s) => actionsOf(s).includes('lambda:InvokeFunction'));
    expect(invoke?.Resource).toEqual({ 'Fn::GetAtt': [stack.signingKeys.rotationFunctionLogicalId, 'Arn'] });
    const rotate = statements.find((s) => actionsOf(s).includes('secretsmanager:RotateSecret'));
    expect(rotate?.Resource).toEqual({ Ref: secretId() });
  });
});
