/**
 * The keygate table's shape, declared once: the CDK stack and the local run (DynamoDB Local)
 * both build the table from it. All attributes named here are strings except `ttl`.
 *
 * Item layout (single table):
 * - key:        pk `KEY#<id>`          sk `KEY`
 *                gsi1 (by owner): `OWNER#<owner>` / `<createdAt>#<id>`
 *                gsi2 (all keys): `KEYS`          / `<createdAt>#<id>`
 * - name lock:  pk `NAME#<owner>#<lower-cased name>` sk `NAME`, holds the key id that owns the
 *                name; written in the same transaction as the key (uniqueness per owner).
 * - channels, operator messages and (local run only) schedules: see functions/notifications.
 * - audit entry: pk `AUDIT#<shard>` sk `<at>#<entry id>`; the three audit indexes are sparse
 *                (only audit entries have their attributes) and sort by the same `sk`. Why this
 *                layout scales: functions/audit/audit-store.ts.
 *
 * The stream (old and new images) feeds the schedule sync of expiry notifications
 * (functions/reminders/schedule-sync.ts); the local run reads DynamoDB Local's.
 */
export const tableSchema = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'ttl',
  streamView: 'NEW_AND_OLD_IMAGES',
  indexes: [
    { name: 'byOwner', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    { name: 'all', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
    { name: 'auditByKey', partitionKey: 'gsi3pk', sortKey: 'sk' },
    { name: 'auditByActor', partitionKey: 'gsi4pk', sortKey: 'sk' },
    { name: 'auditByAction', partitionKey: 'gsi5pk', sortKey: 'sk' },
  ],
} as const;
