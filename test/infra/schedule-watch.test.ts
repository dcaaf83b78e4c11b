import type { CfnElement } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KeygateStack } from '../../infra/keygate-stack.js';
import { synthKeygate, type TemplateResource as Resource } from '../support/synth.js';

/**
 * The schedule watch in the synthesized template (issue 14, item 9): an EventBridge rule on
 * EventBridge Scheduler's DeleteSchedule calls (CloudTrail) in keygate's group only, targeting the
 * watch function with retries and the notifications' dead-letter queue; the function knows the
 * group and the sync's role and may only read schedules of that group. Bundling is skipped.
 */

let stack: KeygateStack;
let resources: Record<string, Resource>;
const logicalId = (element: unknown) => stack.getLogicalId(element as CfnElement);

beforeAll(() => {
  ({ stack, resources } = synthKeygate());
}, 120_000);

describe('schedule watch', () => {
  it("has one event rule: DeleteSchedule API calls via CloudTrail, in keygate's schedule group only, to the watch function", () => {
    // Besides the signing keys' daily rotation check (a schedule, no event pattern).
    const rules = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Events::Rule' && r.Properties.EventPattern !== undefined);
    expect(rules.map(([id]) => id)).toEqual([logicalId(stack.scheduleWatch.rule.node.defaultChild)]);
    const rule = rules[0]?.[1].Properties ?? {};
    const group = logicalId(stack.notifications.scheduleGroup.node.defaultChild);
    expect(rule.EventPattern).toEqual({
      source: ['aws.scheduler'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: { eventSource: ['scheduler.amazonaws.com'], eventName: ['DeleteSchedule'], requestParameters: { groupName: [{ Ref: group }] } },
    });
    expect(rule.State).toBe('ENABLED');
    const fn = logicalId(stack.scheduleWatch.function.node.defaultChild);
    expect(rule.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [fn, 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 21600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(stack.notifications.deadLetterQueue.node.defaultChild), 'Arn'] } },
      }),
    ]);
    const permissions = Object.values(resources).filter(
      (r) => r.Type === 'AWS::Lambda::Permission' && r.Properties.Principal === 'events.amazonaws.com'
        && JSON.stringify(r.Properties.FunctionName) === JSON.stringify({ 'Fn::GetAtt': [fn, 'Arn'] }),
    );
    expect(permissions).toEqual([
      expect.objectContaining({ Properties: expect.objectContaining({ FunctionName: { 'Fn::GetAtt': [fn, 'Arn'] },
        SourceArn: { 'Fn::GetAtt': [rules[0]?.[0], 'Arn'] } }) }),
    ]);
  });

  it("gives the watch function the group and the sync's role, and lets it read only that group's schedules", () => {
    const fnId = logicalId(stack.scheduleWatch.function.node.defaultChild);
    const fn = resources[fnId]?.Properties ?? {};
    const group = logicalId(stack.notifications.scheduleGroup.node.defaultChild);
    const syncRole = logicalId(stack.notifications.scheduleSync.role?.node.defaultChild);
    expect(fn.Environment.Variables).toMatchObject({ SCHEDULE_GROUP: { Ref: group }, SCHEDULE_SYNC_ROLE_ARN: { 'Fn::GetAtt': [syncRole, 'Arn'] } });
    const roleId = fn.Role['Fn::GetAtt'][0] as string;
    const statements = Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && (r.Properties.Roles as { Ref: string }[]).some((ref) => ref.Ref === roleId))
      .flatMap((r) => r.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    const scheduler = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('scheduler:')));
    expect(scheduler).toEqual([
      expect.objectContaining({
        Action: 'scheduler:GetSchedule',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':scheduler:', { Ref: 'AWS::Region' }, ':',
          { Ref: 'AWS::AccountId' }, ':schedule/', { Ref: group }, '/*']] },
      }),
    ]);
  });
});
