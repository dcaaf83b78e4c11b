import type { CfnElement } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KeygateStack } from '../../infra/keygate-stack.js';
import { type RouteDefinition, routes } from '../../functions/routes.js';
import { synthKeygate, type TemplateResource as Resource } from '../support/synth.js';

/**
 * The table grants of every role in the synthesized template (functions/contract/table-access.ts,
 * infra/table-grants.ts). Synthesized without bundling: only the IAM policies are read here.
 */

const routeTable = routes as readonly RouteDefinition[];

let stack: KeygateStack;
let resources: Record<string, Resource>;

const logicalId = (element: unknown) => stack.getLogicalId(element as CfnElement);
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const routeFunctionId = (route: RouteDefinition) => logicalId(stack.api.functions.get(route.id)?.node.defaultChild);
const bootstrapFunctionId = () => {
  const ids = ofType('AWS::Lambda::Function')
    .filter(([, r]) => r.Properties.Environment?.Variables?.ADMIN_SECRET_ARN !== undefined)
    .map(([id]) => id);
  expect(ids).toHaveLength(1);
  return ids[0] as string;
};

/** Every statement of the inline policies attached to a function's role. */
function roleStatements(functionId: string): { Action: string | string[]; Resource: unknown }[] {
  const roleId = (resources[functionId]?.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return ofType('AWS::IAM::Policy')
    .filter(([, r]) => (r.Properties.Roles as { Ref: string }[]).some((ref) => ref.Ref === roleId))
    .flatMap(([, r]) => r.Properties.PolicyDocument.Statement);
}
const actionsOf = (statement: { Action: string | string[] }) => [statement.Action].flat();

beforeAll(() => {
  ({ stack, resources } = synthKeygate());
}, 120_000);

describe('table grants', () => {
  /**
   * Every function's table statements, one line each: `<actions> <table | index/name> <partitions>`,
   * and `only <attributes>` where a dynamodb:Attributes condition restricts it. The table below is
   * the review copy of functions/contract/table-access.ts and the contracts: a change of any role's
   * table access shows here as a diff.
   */
  const EXPECTED: Record<string, string[]> = {
    AcknowledgeOperatorMessage: [
      'GetItem table KEY#*',
      'GetItem table OPMSG#*',
      'PutItem table AUDIT#*',
      'UpdateItem table AUDIT#* only attempts,lastAttemptAt,pk,sk',
      'UpdateItem table LIMIT#* only hits,pk,sk,ttl',
      'UpdateItem table QUOTA#* only pk,sk,ttl,used',
      'UpdateItem table KEY#* only inactiveAt,lastUsedAt,lastWriteWasUse,pk,revokedAt,sk,ttl',
      'UpdateItem table USAGE#* only allowed,pk,rateLimited,refused,sk,ttl',
      'UpdateItem table OPMSG#* only acknowledgedAt,acknowledgedBy,pk,sk',
    ],
    Bootstrap: [
      'GetItem table CHANNEL#*,CHANNELNAME#*,OWNERDEFAULTCHANNEL#*',
      'GetItem,PutItem table KEY#*,NAME#*',
      'PutItem table AUDIT#*',
    ],
    CreateChannel: [
      'GetItem table KEY#*',
      'PutItem table AUDIT#*',
      'PutItem table CHANNEL#*,CHANNELNAME#*,OWNERCHANNELNAME#*',
      'UpdateItem table AUDIT#* only attempts,lastAttemptAt,pk,sk',
      'UpdateItem table LIMIT#* only hits,pk,sk,ttl',
      'UpdateItem table QUOTA#* only pk,sk,ttl,used',
      'UpdateItem table KEY#* only inactiveAt,lastUsedAt,lastWriteWasUse,pk,revokedAt,sk,ttl',
      'UpdateItem table USAGE#* only allowed,pk,rateLimited,refused,sk,ttl',
    ],
    CreateKey: [
      'GetItem table CHANNEL#*,CHANNELNAME#*,OWNERDEFAULTCHANNEL#*',
      'GetItem table KEY#*',
      'GetItem,PutItem table KEY#*,NAME#*',
      'PutItem table AUDIT#*',
      'UpdateItem table AUDIT#* only attempts,lastAttemptAt,pk,sk',
      'UpdateItem table LIMIT#* only hits,pk,sk,ttl',
      'UpdateItem table QUOTA#* only pk,sk,ttl,used',
      'UpdateItem table KEY#* only inactiveAt,lastUsedAt,lastWriteWasUse,pk,revokedAt,sk,ttl',
      'UpdateItem table USAGE#* only allowed,pk,rateLimited,refused,sk,ttl',
    ],
    DeleteChannel: [
      'DeleteItem table CHANNELNAME#*,OWNERCHANNELNAME#*',
      'DeleteItem,GetItem table CHANNEL#*',
      'GetItem table KEY#*',
      'PutItem table AUDIT#*',
      'UpdateItem table AUDIT#* only attempts,lastAttemptAt,pk,sk',
      'UpdateItem table LIMIT#* only hits,pk,sk,ttl',
      'UpdateItem table QUOTA#* only pk,sk,ttl,used',
      'UpdateItem table KEY#* only inactiveAt,lastUsedAt,lastWriteWasUse,pk,revokedAt,sk,ttl',
      'UpdateItem table USAGE#* only allowed,pk,rateLimited,refused,sk,ttl',
    ],
    DeleteKey: [
      'DeleteItem table NAME#*',
      'GetItem,PutItem table KEY#*',
      'PutItem table AUDIT#*',
      'UpdateItem table AUDIT#* only attempts,lastAttemptAt,pk,sk',
      'UpdateItem table LIMIT#* only hits,pk,sk,ttl',
      'UpdateItem table QUOTA#* only pk,sk,ttl,used',
      'UpdateItem table KEY#* only inactiveAt,lastUsedAt,lastWriteWasUse,pk,revokedAt,sk,ttl',
      'UpdateItem table USAGE#* only allowed,pk,rateLimited,refused,sk,ttl',
    ],
    GetAuthorizationServerMetadata: [
    ],
    GetCaller: [
      'GetItem table KEY#*',
      'PutItem table AUDIT#*',
      'UpdateItem table AUDIT#* only attempts,lastAttemptAt,pk,sk',
      'UpdateItem table LIMIT#* only hits,pk,sk,ttl',
      'UpdateItem table QUOTA#* only pk,sk,ttl,used',
      'UpdateItem table KEY#* only inactiveAt,lastUsedAt,lastWriteWasUse,pk,revokedAt,sk,ttl',
      'UpdateItem table USAGE#* only allowed,pk,rateLimited,refused,sk,ttl',
    ],
    GetCatalog: [
      'GetItem table KEY#*',
      'PutItem table AUDIT#*',
      'UpdateItem table AUDIT#* only attempts,lastAttemptAt,pk,sk',
      'UpdateItem table LIMIT#* only hits,pk,sk,ttl',
      'UpdateItem table QUOTA#* only pk,sk,ttl,used',
      'UpdateItem table KEY#* only inactiveAt,lastUsedAt,lastWriteWasUse,pk,revokedAt,sk,ttl',
      'UpdateItem table USAGE#* only allowed,pk,rateLimited,refused,sk,ttl',
    ],
    GetChannel: [
      'GetItem table CHANNEL#*',
      'GetItem table KEY#*',
      'PutItem table AUDIT#*',
      'UpdateItem table AUDIT#* only attempts,lastAttemptAt,pk,sk',
      'UpdateItem table LIMIT#* only hits,pk,sk,ttl',
      'UpdateItem table QUOTA#* only pk,sk,ttl,used',
      'UpdateItem table KEY#* only inactiveAt,lastUsedAt,lastWriteWasUse,pk,revokedAt,sk,ttl',
      'UpdateItem table USAGE#* only allowed,pk,rateLimited,refused,sk,ttl',
    ],
    GetConsole: [
    ],
    GetConsoleAsset: [
    ],
    GetJwks: [
    ],
    GetKey: [
      'GetItem table QUOTA#*',
      'GetItem table KEY#*',
      'PutItem table AUDIT#*',
      'UpdateItem table AUDIT#* only attempts,lastAttemptAt,pk,sk',
      'UpdateItem table LIMIT#* only hits,pk,sk,ttl',
      'UpdateItem table QUOTA#* only pk,sk,ttl,used',
      'UpdateItem table KEY#* only inactiveAt,lastUsedAt,lastWriteWasUse,pk,revokedAt,sk,ttl',
      'UpdateItem table USAGE#* only allowed,pk,rateLimited,refused,sk,ttl',
      'Query table USAGE#*',
    ],
    GetKeyUsage: [
      'GetItem table KEY#*',
      'PutItem table AUDIT#*',
      'UpdateItem table AUDIT#* only attempts,lastAttemptAt,pk,sk',
      'UpdateItem table LIMIT#* only hits,pk,sk,ttl',
      'UpdateItem table QUOTA#* only pk,sk,ttl,used',
      'UpdateItem table KEY#* only inactiveAt,lastUsedAt,lastWriteWasUse,pk,revokedAt,sk,ttl',
      'UpdateItem table USAGE#* only allowed,pk,rateLimited,refused,sk,ttl',
      'Query table USAGE#*',
    ],
    GetKeyJwks: [
    ],
    GetOpenApi: [
    ],
    GetOpenIdConfiguration: [
    ],
    GetPolicy: [
      'GetItem table KEY#*',
      'PutItem table AUDIT#*',
      'UpdateItem table AUDIT#* only attempts,lastAttemptAt,pk,sk',
      'UpdateItem table LIMIT#* only hits,pk,sk,ttl',
      'UpdateItem table QUOTA#* only pk,sk,ttl,used',
      'UpdateItem table KEY#* only inactiveAt,lastUsedAt,lastWriteWasUse,pk,revokedAt,sk,ttl',
      'UpdateItem table USAGE#* only allowed,pk,rateLimited,refused,sk,ttl',
    ],
    IntrospectToken: [
      'GetItem table KEY#*',
      'PutItem table AUDIT#*',
      'UpdateItem table AUDIT#* only attempts,lastAttemptAt,pk,sk',
      'UpdateItem table LIMIT#* only hits,pk,sk,ttl',
      'UpdateItem table QUOTA#* only pk,sk,ttl,used',
      'UpdateItem table KEY#* only inactiveAt,lastUsedAt,lastWriteWasUse,pk,revokedAt,sk,ttl',
      'UpdateItem table USAGE#* only allowed,pk,rateLimited,refused,sk,ttl',
    ],
    IssueToken: [
      'GetItem table KEY#*',
      'PutItem table AUDIT#*',
      'UpdateItem table AUDIT#* only attempts,lastAttemptAt,pk,sk',
      'UpdateItem table LIMIT#* only hits,pk,sk,ttl',
      'UpdateItem table QUOTA#* only pk,sk,ttl,used',
      'UpdateItem table KEY#* only inactiveAt,lastUsedAt,lastWriteWasUse,pk,revokedAt,sk,ttl',
      'UpdateItem table USAGE#* only allowed,pk,rateLimited,refused,sk,ttl',
    ],
    ListAuditEntries: [
      'GetItem table KEY#*',
      'PutItem,Query table AUDIT#*',
      'Query index/auditByAction AUDITACTION#*',
      'Query index/auditByActor AUDITACTOR#*',
      'Query index/auditByKey AUDITKEY#*',
      'UpdateItem table AUDIT#* only attempts,lastAttemptAt,pk,sk',
      'UpdateItem table LIMIT#* only hits,pk,sk,ttl',
      'UpdateItem table QUOTA#* only pk,sk,ttl,used',
      'UpdateItem table KEY#* only inactiveAt,lastUsedAt,lastWriteWasUse,pk,revokedAt,sk,ttl',
      'UpdateItem table USAGE#* only allowed,pk,rateLimited,refused,sk,ttl',
    ],
    ListChannels: [
      'GetItem table KEY#*',
      'PutItem table AUDIT#*',
      'Query index/all CHANNELS',
      'Query index/byOwner CHANNELOWNER#*',
      'UpdateItem table AUDIT#* only attempts,lastAttemptAt,pk,sk',
      'UpdateItem table LIMIT#* only hits,pk,sk,ttl',
      'UpdateItem table QUOTA#* only pk,sk,ttl,used',
      'UpdateItem table KEY#* only inactiveAt,lastUsedAt,lastWriteWasUse,pk,revokedAt,sk,ttl',
      'UpdateItem table USAGE#* only allowed,pk,rateLimited,refused,sk,ttl',
    ],
    ListKeys: [
      'GetItem table QUOTA#*',
      'BatchGetItem,GetItem table KEY#*',
      'PutItem table AUDIT#*',
      'Query index/keysAll KEYS#*',
      'Query index/keysByName KEYNAMES#*',
      'Query index/keysByOwner OWNER#*',
      'UpdateItem table AUDIT#* only attempts,lastAttemptAt,pk,sk',
      'UpdateItem table LIMIT#* only hits,pk,sk,ttl',
      'UpdateItem table QUOTA#* only pk,sk,ttl,used',
      'UpdateItem table KEY#* only inactiveAt,lastUsedAt,lastWriteWasUse,pk,revokedAt,sk,ttl',
      'UpdateItem table USAGE#* only allowed,pk,rateLimited,refused,sk,ttl',
    ],
    ListOperatorMessages: [
      'GetItem table KEY#*',
      'PutItem table AUDIT#*',
      'Query index/all OPMSGS',
      'Query index/byOwner OPMSGOWNER#*',
      'UpdateItem table AUDIT#* only attempts,lastAttemptAt,pk,sk',
      'UpdateItem table LIMIT#* only hits,pk,sk,ttl',
      'UpdateItem table QUOTA#* only pk,sk,ttl,used',
      'UpdateItem table KEY#* only inactiveAt,lastUsedAt,lastWriteWasUse,pk,revokedAt,sk,ttl',
      'UpdateItem table USAGE#* only allowed,pk,rateLimited,refused,sk,ttl',
    ],
    Notifier: [
      'GetItem table CHANNEL#*,KEY#*',
      'PutItem table AUDIT#*',
      'PutItem table OPMSG#*',
      'UpdateItem table KEY#* only defaultNotifications,lastWriteWasUse,leakAlerts,notification,pk,revokedAt,sk,version',
    ],
    ReportGitHubLeaks: [
      'BatchGetItem,GetItem,PutItem table KEY#*',
      'DeleteItem table NAME#*',
      'GetItem table CHANNEL#*,CHANNELNAME#*,OWNERDEFAULTCHANNEL#*',
      'PutItem table AUDIT#*',
    ],
    ResetKeySecret: [
      'GetItem table QUOTA#*',
      'GetItem,PutItem table KEY#*',
      'PutItem table AUDIT#*',
      'UpdateItem table AUDIT#* only attempts,lastAttemptAt,pk,sk',
      'UpdateItem table LIMIT#* only hits,pk,sk,ttl',
      'UpdateItem table QUOTA#* only pk,sk,ttl,used',
      'UpdateItem table KEY#* only inactiveAt,lastUsedAt,lastWriteWasUse,pk,revokedAt,sk,ttl',
      'UpdateItem table USAGE#* only allowed,pk,rateLimited,refused,sk,ttl',
    ],
    ResumeKey: [
      'GetItem table QUOTA#*',
      'GetItem,PutItem table KEY#*',
      'PutItem table AUDIT#*',
      'UpdateItem table AUDIT#* only attempts,lastAttemptAt,pk,sk',
      'UpdateItem table LIMIT#* only hits,pk,sk,ttl',
      'UpdateItem table QUOTA#* only pk,sk,ttl,used',
      'UpdateItem table KEY#* only inactiveAt,lastUsedAt,lastWriteWasUse,pk,revokedAt,sk,ttl',
      'UpdateItem table USAGE#* only allowed,pk,rateLimited,refused,sk,ttl',
    ],
    RevokeOwnerKeys: [
      'BatchGetItem,GetItem,PutItem table KEY#*',
      'DeleteItem table NAME#*',
      'PutItem table AUDIT#*',
      'Query index/keysByOwner OWNER#*',
      'UpdateItem table AUDIT#* only attempts,lastAttemptAt,pk,sk',
      'UpdateItem table LIMIT#* only hits,pk,sk,ttl',
      'UpdateItem table QUOTA#* only pk,sk,ttl,used',
      'UpdateItem table KEY#* only inactiveAt,lastUsedAt,lastWriteWasUse,pk,revokedAt,sk,ttl',
      'UpdateItem table USAGE#* only allowed,pk,rateLimited,refused,sk,ttl',
    ],
    RotateKey: [
      'GetItem table CHANNEL#*,CHANNELNAME#*,OWNERDEFAULTCHANNEL#*',
      'GetItem table QUOTA#*',
      'GetItem,PutItem,UpdateItem table KEY#*',
      'PutItem table AUDIT#*',
      'PutItem table NAME#*',
      'UpdateItem table AUDIT#* only attempts,lastAttemptAt,pk,sk',
      'UpdateItem table LIMIT#* only hits,pk,sk,ttl',
      'UpdateItem table QUOTA#* only pk,sk,ttl,used',
      'UpdateItem table KEY#* only inactiveAt,lastUsedAt,lastWriteWasUse,pk,revokedAt,sk,ttl',
      'UpdateItem table USAGE#* only allowed,pk,rateLimited,refused,sk,ttl',
    ],
    ScheduleSync: [
      'GetItem table KEY#*',
    ],
    ScheduleWatch: [
      'GetItem table KEY#*',
      'PutItem table AUDIT#*',
      'UpdateItem table KEY#* only defaultNotifications,lastWriteWasUse,leakAlerts,notification,pk,revokedAt,sk,version',
    ],
    SetDefaultChannel: [
      'GetItem table CHANNEL#*',
      'GetItem table KEY#*',
      'PutItem table AUDIT#*',
      'PutItem table OWNERDEFAULTCHANNEL#*',
      'UpdateItem table AUDIT#* only attempts,lastAttemptAt,pk,sk',
      'UpdateItem table LIMIT#* only hits,pk,sk,ttl',
      'UpdateItem table QUOTA#* only pk,sk,ttl,used',
      'UpdateItem table KEY#* only inactiveAt,lastUsedAt,lastWriteWasUse,pk,revokedAt,sk,ttl',
      'UpdateItem table USAGE#* only allowed,pk,rateLimited,refused,sk,ttl',
    ],
    SuspendKey: [
      'GetItem table QUOTA#*',
      'GetItem,PutItem table KEY#*',
      'PutItem table AUDIT#*',
      'UpdateItem table AUDIT#* only attempts,lastAttemptAt,pk,sk',
      'UpdateItem table LIMIT#* only hits,pk,sk,ttl',
      'UpdateItem table QUOTA#* only pk,sk,ttl,used',
      'UpdateItem table KEY#* only inactiveAt,lastUsedAt,lastWriteWasUse,pk,revokedAt,sk,ttl',
      'UpdateItem table USAGE#* only allowed,pk,rateLimited,refused,sk,ttl',
    ],
    SuspendOwnerKeys: [
      'BatchGetItem,GetItem,PutItem table KEY#*',
      'PutItem table AUDIT#*',
      'Query index/keysByOwner OWNER#*',
      'UpdateItem table AUDIT#* only attempts,lastAttemptAt,pk,sk',
      'UpdateItem table LIMIT#* only hits,pk,sk,ttl',
      'UpdateItem table QUOTA#* only pk,sk,ttl,used',
      'UpdateItem table KEY#* only inactiveAt,lastUsedAt,lastWriteWasUse,pk,revokedAt,sk,ttl',
      'UpdateItem table USAGE#* only allowed,pk,rateLimited,refused,sk,ttl',
    ],
    UnsetDefaultChannel: [
      'DeleteItem table OWNERDEFAULTCHANNEL#*',
      'GetItem table CHANNEL#*',
      'GetItem table KEY#*',
      'PutItem table AUDIT#*',
      'UpdateItem table AUDIT#* only attempts,lastAttemptAt,pk,sk',
      'UpdateItem table LIMIT#* only hits,pk,sk,ttl',
      'UpdateItem table QUOTA#* only pk,sk,ttl,used',
      'UpdateItem table KEY#* only inactiveAt,lastUsedAt,lastWriteWasUse,pk,revokedAt,sk,ttl',
      'UpdateItem table USAGE#* only allowed,pk,rateLimited,refused,sk,ttl',
    ],
    UpdateKey: [
      'GetItem table QUOTA#*',
      'DeleteItem,GetItem,PutItem table NAME#*',
      'GetItem table CHANNEL#*,CHANNELNAME#*,OWNERDEFAULTCHANNEL#*',
      'GetItem,PutItem table KEY#*',
      'PutItem table AUDIT#*',
      'UpdateItem table AUDIT#* only attempts,lastAttemptAt,pk,sk',
      'UpdateItem table LIMIT#* only hits,pk,sk,ttl',
      'UpdateItem table QUOTA#* only pk,sk,ttl,used',
      'UpdateItem table KEY#* only inactiveAt,lastUsedAt,lastWriteWasUse,pk,revokedAt,sk,ttl',
      'UpdateItem table USAGE#* only allowed,pk,rateLimited,refused,sk,ttl',
    ],
    VerifyKey: [
      'BatchGetItem,GetItem table KEY#*',
      'PutItem table AUDIT#*',
      'UpdateItem table AUDIT#* only attempts,lastAttemptAt,pk,sk',
      'UpdateItem table LIMIT#* only hits,pk,sk,ttl',
      'UpdateItem table QUOTA#* only pk,sk,ttl,used',
      'UpdateItem table KEY#* only inactiveAt,lastUsedAt,lastWriteWasUse,pk,revokedAt,sk,ttl',
      'UpdateItem table USAGE#* only allowed,pk,rateLimited,refused,sk,ttl',
    ],
  };

  type Statement = { Action: string | string[]; Resource: unknown; Effect: string; Condition?: Record<string, Record<string, string | string[]>> };
  const tableStatementsOf = (functionId: string) =>
    (roleStatements(functionId) as Statement[]).filter(
      // The stream's read actions (the schedule sync's event source) are on the stream, not the table.
      (s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')) && !actionsOf(s).some((a) => STREAM_ACTIONS.includes(a)),
    );
  const STREAM_ACTIONS = ['dynamodb:ListStreams', 'dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'];

  function rendered(functionId: string): string[] {
    const lines = tableStatementsOf(functionId).map((statement) => {
      const resource = JSON.stringify(statement.Resource);
      const index = /\/index\/([A-Za-z]+)/.exec(resource)?.[1];
      const partitions = [statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] ?? ['<any>']].flat().sort();
      const attributes = statement.Condition?.['ForAllValues:StringEquals']?.['dynamodb:Attributes'];
      const actions = actionsOf(statement).map((a) => a.replace('dynamodb:', '')).sort();
      const only = attributes === undefined ? '' : ` only ${[attributes].flat().sort().join(',')}`;
      return `${actions.join(',')} ${index === undefined ? 'table' : `index/${index}`} ${partitions.join(',')}${only}`;
    });
    return lines.sort();
  }

  const functionIds = (): [string, string][] => [
    ...routeTable.map((route) => [route.id, routeFunctionId(route)] as [string, string]),
    ['Bootstrap', bootstrapFunctionId()],
    ['Notifier', logicalId(stack.notifications.notifier.node.defaultChild)],
    ['ScheduleSync', logicalId(stack.notifications.scheduleSync.node.defaultChild)],
    ['ScheduleWatch', logicalId(stack.scheduleWatch.function.node.defaultChild)],
  ];

  it('every role holds exactly the table actions, partitions, indexes and attributes of its declaration', () => {
    const actual = Object.fromEntries(functionIds().map(([name, id]) => [name, rendered(id)]));
    const expected = Object.fromEntries(Object.entries(EXPECTED).map(([name, lines]) => [name, [...lines].sort()]));
    expect(actual).toEqual(expected);
  });

  it('no role may Scan, batch-write, use PartiQL or hold a table-wide grant, and every table statement names its partitions', () => {
    for (const [name, id] of functionIds()) {
      for (const statement of tableStatementsOf(id)) {
        const actions = actionsOf(statement);
        for (const action of actions) expect(action, name).toMatch(/^dynamodb:(GetItem|BatchGetItem|Query|PutItem|UpdateItem|DeleteItem)$/);
        expect(statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'], `${name} ${actions}`).toBeDefined();
        expect(JSON.stringify(statement.Resource), name).not.toContain('index/*');
        if (actions.includes('dynamodb:Query') && !JSON.stringify(statement.Resource).includes('/index/')) {
          // Table queries read one audit shard or one key's usage counts, nothing else.
          expect([['AUDIT#*'], ['USAGE#*']], name).toContainEqual(statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys']);
        }
      }
    }
    const everyAction = Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap((r) => r.Properties.PolicyDocument.Statement as Statement[])
      .flatMap(actionsOf);
    expect(everyAction.filter((a) => /^dynamodb:(Scan|BatchWriteItem|PartiQL|\*)/.test(a))).toEqual([]);
  });

  it('the audit log is append-only: no role may delete an AUDIT# item, or update one beyond a failed-authentication count', () => {
    const glob = (pattern: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    const mayTouchAudit = (patterns: string[]) => patterns.some((p) => glob(p).test('AUDIT#3'));
    for (const [, policy] of ofType('AWS::IAM::Policy')) {
      for (const statement of policy.Properties.PolicyDocument.Statement as Statement[]) {
        const actions = actionsOf(statement).filter((a) => ['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:*'].includes(a));
        if (actions.length === 0) continue;
        const patterns = [statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] ?? ['*']].flat();
        if (!mayTouchAudit(patterns)) continue;
        expect(actions).toEqual(['dynamodb:UpdateItem']);
        expect(patterns).toEqual(['AUDIT#*']);
        const attributes = [statement.Condition?.['ForAllValues:StringEquals']?.['dynamodb:Attributes']].flat().sort();
        expect(attributes).toEqual(['attempts', 'lastAttemptAt', 'pk', 'sk']);
      }
    }
  });
});

