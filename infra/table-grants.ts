import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { TableAccess, TableGrant } from '../functions/contract/table-access.js';

/**
 * The IAM statements of a table declaration (functions/contract/table-access.ts): one per
 * resource (the table, or one queried index) and condition set, its actions merged. Conditions:
 *
 * - `ForAllValues:StringLike` on `dynamodb:LeadingKeys`: every partition key value the request
 *   names (each item of a BatchGetItem or a transaction; a query's partition, for an index query
 *   the index's partition key) matches one of the grant's patterns;
 * - `ForAllValues:StringEquals` on `dynamodb:Attributes` where the grant names attributes: the
 *   request names no other top-level attribute (in its expressions or its key).
 *
 * The table is encrypted with an AWS owned key (infra/stateful.ts), so no KMS grant goes with it.
 */
export function tableStatements(table: ITable, access: TableAccess): PolicyStatement[] {
  return mergeGrants(access).map(
    (grant) =>
      new PolicyStatement({
        actions: grant.actions.map((action) => `dynamodb:${action}`),
        resources: [grant.index === undefined ? table.tableArn : `${table.tableArn}/index/${grant.index}`],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...grant.partitions] },
          ...(grant.attributes === undefined ? {} : { 'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...grant.attributes] } }),
        },
      }),
  );
}

/** Grants the role of `grantee` exactly `access` on the table; nothing for an empty declaration. */
export function grantTableAccess(grantee: IGrantable, table: ITable, access: TableAccess): void {
  for (const statement of tableStatements(table, access)) grantee.grantPrincipal.addToPrincipalPolicy(statement);
}

/**
 * One grant per (index, partitions, attributes), its actions the union of the declaration's, in a
 * stable order: the same declaration always makes the same statements.
 */
export function mergeGrants(access: TableAccess): TableGrant[] {
  const merged = new Map<string, { actions: Set<TableGrant['actions'][number]>; grant: TableGrant }>();
  for (const grant of access) {
    const partitions = [...new Set(grant.partitions)].sort();
    const attributes = grant.attributes === undefined ? undefined : [...new Set(grant.attributes)].sort();
    const key = JSON.stringify([grant.index ?? '', partitions, attributes ?? null]);
    const entry = merged.get(key) ?? {
      actions: new Set(),
      grant: {
        actions: [],
        partitions,
        ...(grant.index === undefined ? {} : { index: grant.index }),
        ...(attributes === undefined ? {} : { attributes }),
      },
    };
    for (const action of grant.actions) entry.actions.add(action);
    merged.set(key, entry);
  }
  return [...merged.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, { actions, grant }]) => ({ ...grant, actions: [...actions].sort() }));
}
