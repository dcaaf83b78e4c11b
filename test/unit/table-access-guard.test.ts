import { describe, expect, it } from 'vitest';
import { authentication, functionTableAccess } from '../../functions/contract/table-access.js';
import { listAuditEntriesContract } from '../../functions/audit/handlers/list-audit-entries.contract.js';
import { deniedCall } from '../support/table-access-guard.js';

/** The guard that plays IAM in the integration tests: it must refuse what the statements would refuse. */
describe('the table access guard', () => {
  const auditUpdate = (expression: string) => ({
    TableName: 't',
    Key: { pk: 'AUDIT#3', sk: '2026-11-23T12:00:00.000Z#abc' },
    UpdateExpression: expression,
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeValues: { ':one': 1, ':last': 'x' },
  });

  it('allows counting a refused attempt, and refuses any other update of an audit entry', () => {
    expect(deniedCall(authentication, 'UpdateItem', auditUpdate('SET lastAttemptAt = :last ADD attempts :one'))).toBeUndefined();
    expect(deniedCall(authentication, 'UpdateItem', auditUpdate('SET #a = :last'))).toMatch(/UpdateItem on the table, partitions AUDIT#3 naming/);
    const renamed = { ...auditUpdate('SET #a = :last'), ExpressionAttributeNames: { '#a': 'action' } };
    expect(deniedCall(authentication, 'UpdateItem', renamed)).toMatch(/naming action/);
    expect(deniedCall(authentication, 'DeleteItem', { TableName: 't', Key: { pk: 'AUDIT#3', sk: 's' } })).toMatch(/DeleteItem/);
  });

  it('judges a transaction item by item: a key put next to an audit put needs both grants', () => {
    const transaction = { TransactItems: [{ Put: { Item: { pk: 'KEY#k1', sk: 'KEY' } } }, { Put: { Item: { pk: 'AUDIT#1', sk: 's' } } }] };
    expect(deniedCall(authentication, 'TransactWriteItems', transaction)).toMatch(/PutItem on the table, partitions KEY#k1/);
    expect(deniedCall(functionTableAccess.bootstrap, 'TransactWriteItems', transaction)).toBeUndefined();
  });

  it('checks a query against the index it names and that index partition', () => {
    const query = (IndexName: string | undefined, partition: string) => ({
      ...(IndexName === undefined ? {} : { IndexName }),
      KeyConditionExpression: '#p = :p AND sk >= :low',
      ExpressionAttributeNames: { '#p': IndexName === undefined ? 'pk' : 'gsi3pk' },
      ExpressionAttributeValues: { ':p': partition, ':low': 'a' },
    });
    expect(deniedCall(listAuditEntriesContract.tableAccess, 'Query', query('auditByKey', 'AUDITKEY#k1'))).toBeUndefined();
    expect(deniedCall(listAuditEntriesContract.tableAccess, 'Query', query(undefined, 'AUDIT#0'))).toBeUndefined();
    expect(deniedCall(listAuditEntriesContract.tableAccess, 'Query', query(undefined, 'KEY#k1'))).toMatch(/Query on the table, partitions KEY#k1/);
    expect(deniedCall(authentication, 'Query', query('auditByKey', 'AUDITKEY#k1'))).toMatch(/index auditByKey/);
  });

  it('refuses a Scan and a BatchWriteItem to every function', () => {
    expect(deniedCall(listAuditEntriesContract.tableAccess, 'Scan', { TableName: 't' })).toMatch(/granted to no keygate function/);
    expect(deniedCall(functionTableAccess.notifier, 'BatchWriteItem', { RequestItems: {} })).toMatch(/granted to no keygate function/);
  });
});
