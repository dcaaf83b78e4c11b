import { spawnSync } from 'node:child_process';
import type { CfnElement } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { mintAdminKey } from '../../functions/bootstrap/admin-key.js';
import { authenticateKey } from '../../functions/keys/key-authentication.js';
import { deleteKey, updateKey } from '../../functions/keys/key-lifecycle.js';
import { freshDeps, testClock } from '../support/dynamodb.js';
import { MOTO_MISSING } from '../support/moto.js';
import { streamReader } from '../support/notifications.js';
import type { KeygateStack } from '../../infra/keygate-stack.js';
import { synthKeygate, type TemplateResource as Resource } from '../support/synth.js';

/**
 * The notification infrastructure in the synthesized template: schedule group, notifier,
 * schedule sync on the table stream, the Scheduler's role, the dead-letter queue. Bundling is
 * skipped: these assertions are about the template, not the bundle.
 */

let stack: KeygateStack;
let resources: Record<string, Resource>;
const logicalId = (element: unknown) => stack.getLogicalId(element as CfnElement);
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const arnOf = (element: unknown) => ({ 'Fn::GetAtt': [logicalId(element), 'Arn'] });
const ids = () => {
  const n = stack.notifications;
  return {
    group: logicalId(n.scheduleGroup.node.defaultChild),
    notifier: logicalId(n.notifier.node.defaultChild),
    sync: logicalId(n.scheduleSync.node.defaultChild),
    schedulerRole: logicalId(n.schedulerRole.node.defaultChild),
    queue: logicalId(n.deadLetterQueue.node.defaultChild),
    table: logicalId(stack.state.table.node.defaultChild),
  };
};
function statementsOfRole(roleId: string): { Action: string | string[]; Resource: unknown; Condition?: unknown }[] {
  return ofType('AWS::IAM::Policy')
    .filter(([, r]) => (r.Properties.Roles as { Ref: string }[]).some((ref) => ref.Ref === roleId))
    .flatMap(([, r]) => r.Properties.PolicyDocument.Statement);
}
const roleOf = (functionId: string) => resources[functionId]?.Properties.Role['Fn::GetAtt'][0] as string;
const actions = (s: { Action: string | string[] }) => [s.Action].flat();
const schedulesArn = () => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':scheduler:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':schedule/', { Ref: ids().group }, '/*']],
});

beforeAll(() => {
  ({ stack, resources } = synthKeygate({ emailSender: 'keygate@mail.example.org' }));
}, 120_000);

describe('notification infrastructure', () => {
  it('has one keygate schedule group, named by CDK, deleted with the stack so a redeploy after a destroy or a failed create can make it again', () => {
    const groups = ofType('AWS::Scheduler::ScheduleGroup');
    expect(groups.map(([id]) => id)).toEqual([ids().group]);
    expect(groups[0]?.[1].Properties.Name).toMatch(/^Keygate-Notifications-ScheduleGroup-/);
    // Retained, its fixed name would already exist at the next create: CREATE_FAILED.
    expect(resources[ids().group]).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
  });

  it('streams the table with old and new images', () => {
    expect(resources[ids().table]?.Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
  });

  it('lets the Scheduler assume its role only for keygate’s schedule group (its ARN, as AWS’s confused-deputy guidance says) in this account, and invoke only the notifier', () => {
    const role = resources[ids().schedulerRole]?.Properties ?? {};
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' }, 'aws:SourceArn': { 'Fn::GetAtt': [ids().group, 'Arn'] } } },
      },
    ]);
    expect(role.ManagedPolicyArns).toBeUndefined();
    const statements = statementsOfRole(ids().schedulerRole);
    const invokes = statements.filter((s) => actions(s).some((a) => a.startsWith('lambda:')));
    expect(invokes).toEqual([{ Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: arnOf(stack.notifications.notifier.node.defaultChild) }]);
    // Besides that, only sending to the dead-letter queue.
    const rest = statements.filter((s) => !invokes.includes(s));
    expect(rest.flatMap(actions).every((a) => a.startsWith('sqs:'))).toBe(true);
    expect(rest.map((s) => s.Resource)).toEqual([arnOf(stack.notifications.deadLetterQueue.node.defaultChild)]);
  });

  it('runs the schedule sync from the table stream with retries, bisection, reported item failures and the DLQ, for key items only', () => {
    const mappings = ofType('AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(1);
    const mapping = mappings[0]?.[1].Properties ?? {};
    expect(mapping).toMatchObject({
      FunctionName: { Ref: ids().sync },
      EventSourceArn: { 'Fn::GetAtt': [ids().table, 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [ids().queue, 'Arn'] } } },
    });
    // Key items only, and not a use record (it sets lastWriteWasUse, which every other key write clears) (#12).
    expect(JSON.parse(mapping.FilterCriteria.Filters[0].Pattern)).toEqual({
      dynamodb: { Keys: { pk: { S: [{ prefix: 'KEY#' }] } }, NewImage: { lastWriteWasUse: { BOOL: [{ exists: false }] } } },
    });
  });

  it("passes every key change but a use record to the schedule sync: the template's filter over real stream records (#12)", async () => {
    const mapping = ofType('AWS::Lambda::EventSourceMapping')[0]?.[1].Properties ?? {};
    const pattern = mapping.FilterCriteria.Filters[0].Pattern as string;
    const clock = testClock(new Date('2026-11-23T12:00:00.000Z'));
    const deps = await freshDeps({ clock: clock.now });
    const read = streamReader(deps.tableName);
    // moto's EventBridge pattern engine (moto_server's Python package): Lambda event filtering uses the same pattern
    // language. Its server mode leaves TestEventPattern unimplemented, so the engine is called in-process.
    const matchAll = (records: unknown[]): boolean[] => {
      const script =
        'import json, sys\nfrom moto.events.models import EventPattern\nq = json.load(sys.stdin)\n' +
        'p = EventPattern.load(q["pattern"])\nprint(json.dumps([p.matches_event(r) for r in q["records"]]))';
      const run = spawnSync('python3', ['-c', script], { input: JSON.stringify({ pattern, records }), encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`moto's pattern engine failed (${MOTO_MISSING}): ${run.stderr}`);
      return JSON.parse(run.stdout) as boolean[];
    };
    const judged = async () => {
      const records = (await read()).Records;
      const passed = matchAll(records);
      return records.map((r, i) => [r.eventName, passed[i]] as const);
    };

    const admin = await mintAdminKey(deps);
    const principal = { ...(await authenticateKey(deps, admin.key)) };
    // A create (with its name lock and audit entry: not key items), then the use record of the first use.
    expect(await judged()).toEqual([
      ['INSERT', true],
      ['INSERT', false],
      ['INSERT', false],
      ['MODIFY', false],
    ]);
    clock.advance(120_000);
    await authenticateKey(deps, admin.key);
    expect(await judged()).toEqual([['MODIFY', false]]);
    await updateKey(deps, principal, admin.details.id, { description: 'edited after a use' });
    expect((await judged()).filter(([, pass]) => pass)).toEqual([['MODIFY', true]]);
    clock.advance(120_000);
    await authenticateKey(deps, admin.key);
    await deleteKey(deps, principal, admin.details.id);
    // The use record is dropped, the delete (an edit that clears the mark) passes.
    expect((await judged()).filter(([name]) => name === 'MODIFY')).toEqual([
      ['MODIFY', false],
      ['MODIFY', true],
    ]);
  }, 90_000);

  it('gives the schedule sync what it needs to make schedules and no more', () => {
    const variables = resources[ids().sync]?.Properties.Environment.Variables;
    expect(variables).toMatchObject({
      SCHEDULE_GROUP: { Ref: ids().group },
      SCHEDULER_ROLE_ARN: { 'Fn::GetAtt': [ids().schedulerRole, 'Arn'] },
      NOTIFIER_ARN: { 'Fn::GetAtt': [ids().notifier, 'Arn'] },
      SCHEDULE_DLQ_ARN: { 'Fn::GetAtt': [ids().queue, 'Arn'] },
    });
    const statements = statementsOfRole(roleOf(ids().sync));
    expect(statements.filter((s) => actions(s).some((a) => a.startsWith('scheduler:')))).toEqual([
      { Action: ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule', 'scheduler:UpdateSchedule'], Effect: 'Allow', Resource: schedulesArn() },
    ]);
    expect(statements.filter((s) => actions(s).includes('iam:PassRole'))).toEqual([
      {
        Action: 'iam:PassRole',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [ids().schedulerRole, 'Arn'] },
        Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      },
    ]);
    const tableActions = statements.flatMap(actions).filter((a) => a.startsWith('dynamodb:') && !/Stream|GetRecords|GetShardIterator/.test(a));
    expect(tableActions).toEqual(['dynamodb:GetItem']);
  });

  it('lets the notifier send email from the configured sender only, and sends its failed runs to the DLQ after two retries', () => {
    const statements = statementsOfRole(roleOf(ids().notifier));
    const ses = statements.filter((s) => actions(s).some((a) => a.startsWith('ses:')));
    expect(ses).toHaveLength(1);
    expect(ses[0]?.Action).toBe('ses:SendEmail');
    expect(JSON.stringify(ses[0]?.Resource)).toContain(':identity/keygate@mail.example.org');
    expect(JSON.stringify(ses[0]?.Resource)).toContain(':identity/mail.example.org');
    expect(resources[ids().notifier]?.Properties.Environment.Variables.EMAIL_SENDER).toBe('keygate@mail.example.org');
    const config = ofType('AWS::Lambda::EventInvokeConfig').find(([, r]) => r.Properties.FunctionName.Ref === ids().notifier)?.[1].Properties;
    expect(config).toMatchObject({ MaximumRetryAttempts: 2, DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [ids().queue, 'Arn'] } } } });
    expect(resources[ids().notifier]?.Properties.Timeout).toBe(60);
  });

  it('without an emailSender, gives the notifier no SES permission and no sender (email notifications then fail visibly)', () => {
    const bare = synthKeygate();
    const bareResources = bare.resources;
    const notifierId = bare.logicalId(bare.stack.notifications.notifier.node.defaultChild);
    expect(bareResources[notifierId]?.Properties.Environment.Variables.EMAIL_SENDER).toBeUndefined();
    expect(JSON.stringify(bareResources)).not.toContain('ses:SendEmail');
    expect(JSON.stringify(bareResources)).not.toContain('example.com');
    expect(() => synthKeygate({ emailSender: 'not an address' })).toThrow(/emailSender/);
  });

  it('keeps undeliverable work in one encrypted, TLS-only dead-letter queue for 14 days', () => {
    expect(resources[ids().queue]?.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
    const policy = ofType('AWS::SQS::QueuePolicy').find(([, r]) => r.Properties.Queues.some((q: { Ref: string }) => q.Ref === ids().queue));
    expect(JSON.stringify(policy?.[1].Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
  });
});
