import { App, Stack, Validations } from 'aws-cdk-lib';
import { Table, AttributeType } from 'aws-cdk-lib/aws-dynamodb';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { KeygateStack } from '../../infra/keygate-stack.js';
import { routes } from '../../functions/routes.js';
import { testApp } from '../support/synth.js';

/**
 * cdk-nag (AwsSolutions) over the keygate stack, as `cdk synth` runs it. Bundling is skipped
 * here: the findings depend on the template, not on the bundle contents.
 */
interface Acknowledgment {
  path: string;
  id: string;
  reason: string;
}

function acknowledgmentsUnder(root: IConstruct): Acknowledgment[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([qualified, reason]) => ({
          path: construct.node.path,
          id: qualified.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

let app: App;
let stack: KeygateStack;

beforeAll(() => {
  app = testApp();
  stack = new KeygateStack(app, 'Keygate');
  app.synth();
}, 120_000);

describe('cdk-nag AwsSolutions', () => {
  it('finds no unacknowledged error or warning in the keygate stack', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    const findings = report.violations.map((v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('does report findings in this setup (a table without point-in-time recovery fails DDB3)', () => {
    const probe = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    new Table(new Stack(probe, 'Probe'), 'Table', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
    const report = new AwsSolutionsChecks(probe).validateScope(probe);
    expect(report.violations.map((v) => v.ruleName)).toContain('AwsSolutions-DDB3');
  });

  it('acknowledges exactly the reviewed findings, each on the construct it concerns, each with a reason', () => {
    const acknowledgments = acknowledgmentsUnder(stack);
    for (const ack of acknowledgments) {
      expect(ack.reason.trim().length, `${ack.path} ${ack.id}`).toBeGreaterThan(40);
    }
    const firstKey = stack.getLogicalId(stack.signingKeys.firstKeyFunction.node.defaultChild as never);
    const bootstrap = acknowledgments.find((a) => a.path.endsWith('/AdminKeyProviderRole'))?.id;
    expect(bootstrap).toMatch(/^AwsSolutions-IAM5\[Resource::<Bootstrap[0-9A-F]{8}\.Arn>:\*\]$/);
    expect(acknowledgments.map((a) => `${a.path} ${a.id}`).sort()).toEqual(
      [
        'Keygate/State/AdminKeySecret AwsSolutions-SMG4',
        'Keygate/Notifications/DeadLetterQueue AwsSolutions-SQS3',
        `Keygate/Notifications/ScheduleSyncRole AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/<${stack.getLogicalId(stack.notifications.scheduleGroup.node.defaultChild as never)}>/*]`,
        'Keygate/Notifications/ScheduleSyncRole AwsSolutions-IAM5[Resource::*]',
        `Keygate/ScheduleWatch/ScheduleWatchRole AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/<${
          stack.getLogicalId(stack.notifications.scheduleGroup.node.defaultChild as never)
        }>/*]`,
        `Keygate/AdminKeyProviderRole ${bootstrap}`,
        'Keygate/SigningKeys/RotationRole AwsSolutions-IAM5[Resource::*]',
        ...['FirstKeyProviderRole', 'FirstKeyWaiterRole'].map((role) => `Keygate/SigningKeys/${role} AwsSolutions-IAM5[Resource::<${firstKey}.Arn>:*]`),
        ...['isComplete', 'onTimeout'].map(
          (fn) => `Keygate/SigningKeys/FirstKeyProvider/waiter-state-machine AwsSolutions-IAM5[Resource::<${stack.getLogicalId(stack.signingKeys.node.findChild('FirstKeyProvider').node.findChild(`framework-${fn}`).node.defaultChild as never)}.Arn>:*]`,
        ),
        'Keygate/SigningKeys/FirstKeyProvider/waiter-state-machine AwsSolutions-SF2',
        'Keygate/SigningKeys/FirstKeyProvider/waiter-state-machine AwsSolutions-IAM5[Resource::*]',
        // The console's user pool: Essentials tier (Plus is billed per active user), MFA required.
        'Keygate/SignIn/UserPool AwsSolutions-COG8',
        ...routes.map((route) => `Keygate/Api/${route.id}Route AwsSolutions-APIG4`),
      ].sort(),
    );
  });
});
