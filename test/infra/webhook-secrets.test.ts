import type { CfnElement } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KeygateStack } from '../../infra/keygate-stack.js';
import { type RouteDefinition, routes } from '../../functions/routes.js';
import { synthKeygate, type TemplateResource as Resource } from '../support/synth.js';

/**
 * Webhook signing secrets at rest (issue 12, least privilege on the data): a customer-managed
 * KMS key, rotated and retained with the table; kms:Encrypt for the routes that create webhook
 * channels only, kms:Decrypt for the notifier only, each on that key alone and only with a
 * channel id as encryption context. Bundling is skipped.
 */

let stack: KeygateStack;
let resources: Record<string, Resource>;
const logicalId = (element: unknown) => stack.getLogicalId(element as CfnElement);

beforeAll(() => {
  ({ stack, resources } = synthKeygate());
}, 120_000);

/** Every statement of every policy that names a KMS action, with the role it is attached to. */
function kmsStatements() {
  const out: { roles: unknown; action: unknown; resource: unknown; condition: unknown }[] = [];
  for (const policy of Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Policy')) {
    for (const statement of policy.Properties.PolicyDocument.Statement) {
      const actions = [statement.Action].flat() as string[];
      if (actions.some((action) => action.startsWith('kms:'))) {
        out.push({ roles: policy.Properties.Roles, action: statement.Action, resource: statement.Resource, condition: statement.Condition });
      }
    }
  }
  return out;
}

const roleOf = (routeOrFunction: string) => {
  const fn = routeOrFunction === 'Notifier' ? stack.notifications.notifier : stack.api.functions.get(routeOrFunction);
  return [{ Ref: logicalId(fn?.role?.node.defaultChild) }];
};

describe('webhook secrets key', () => {
  it('is a customer-managed key with yearly rotation, retained with the table', () => {
    const key = resources[logicalId(stack.state.webhookSecretsKey.node.defaultChild)];
    expect(key?.Type).toBe('AWS::KMS::Key');
    expect(key?.Properties.EnableKeyRotation).toBe(true);
    expect(key?.DeletionPolicy).toBe('Retain');
  });

  it('only the channel-creating routes may encrypt and only the notifier may decrypt, on that key, with a channel id as context', () => {
    const keyArn = { 'Fn::GetAtt': [logicalId(stack.state.webhookSecretsKey.node.defaultChild), 'Arn'] };
    const condition = { Null: { 'kms:EncryptionContext:channelId': 'false' } };
    const sealing = (routes as readonly RouteDefinition[]).filter((route) => route.webhookSecrets === 'seal').map((route) => route.id);
    expect(sealing).toEqual(['CreateChannel']);
    expect(kmsStatements()).toEqual([
      ...sealing.map((id) => ({ roles: roleOf(id), action: 'kms:Encrypt', resource: keyArn, condition })),
      { roles: roleOf('Notifier'), action: 'kms:Decrypt', resource: keyArn, condition },
    ]);
  });

  it('tells those functions, and no other, which key it is', () => {
    const withKey = Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.WEBHOOK_SECRETS_KEY_ARN !== undefined)
      .map(([id]) => id)
      .sort();
    const expected = [stack.api.functions.get('CreateChannel'), stack.notifications.notifier].map((fn) => logicalId(fn?.node.defaultChild)).sort();
    expect(withKey).toEqual(expected);
  });
});
