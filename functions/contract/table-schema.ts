/**
 * The keygate table's shape, declared once: the CDK stack and the local run (DynamoDB Local)
 * both build the table from it. All attributes named here are strings except `ttl`.
 *
 * Item layout (single table):
 * - key:        pk `KEY#<id>`          sk `KEY`
 *                keysByOwner (gsi6): `OWNER#<owner>`  / `<createdAt>#<id>`
 *                keysAll     (gsi7): `KEYS#<shard>`   / `<createdAt>#<id>`
 *                keysByName  (gsi8): `KEYNAMES#<shard>` / `<lower-cased name>#<id>`
 *                Key indexes project only KEY_INDEX_ATTRIBUTES, none of which a use record writes,
 *                so a use (lastUsedAt, inactiveAt, ttl) touches no index: functions/keys/key-listing.ts.
 * - name lock:  pk `NAME#<owner>#<lower-cased name>` sk `NAME`, holds the key id that owns the
 *                name; written in the same transaction as the key (uniqueness per owner).
 * - channels, operator messages and (local run only) schedules: byOwner (gsi1) and all (gsi2), which
 *                project ALL (their listings read whole items; none of them is written per request).
 * - usage:      pk `USAGE#<keyId>` sk `M#<minute start ISO>` (ttl a day after the minute) and
 *                `H#<hour start ISO>` (ttl 90 days after the hour): the numbers `allowed`,
 *                `rateLimited`, `refused`, only ever moved by ADD (functions/usage/usage-store.ts).
 * - audit entry: pk `AUDIT#<shard>` sk `<at>#<entry id>`; the three audit indexes are sparse
 *                (only audit entries have their attributes) and sort by the same `sk`. Why this
 *                layout scales: functions/audit/audit-store.ts.
 *
 * The stream (old and new images) feeds the schedule sync of expiry notifications
 * (functions/reminders/schedule-sync.ts); the local run reads DynamoDB Local's.
 */
/**
 * The non-key attributes the key indexes carry: what a listing filters on before it reads whole
 * items (tags, name prefix, revoked, fixed expiry). All change only on create, edit or delete. Never
 * lastUsedAt, inactiveAt, ttl or the use marker: a use record would then rewrite every key index.
 */
export const KEY_INDEX_ATTRIBUTES = ['tags', 'nameLower', 'expiresAt', 'revokedAt'] as const;

/**
 * Set (true) by a use record on the key item, and by no other write: a Put of the whole item leaves
 * it out, and every other update removes it. The schedule sync's stream filter (infra/notifications.ts)
 * drops changes whose new image carries it: a use moves only lastUsedAt and the inactivity expiry,
 * never a notification, and happens up to once a minute per key.
 */
export const KEY_USE_MARK = 'lastWriteWasUse';

export type IndexProjection = { type: 'ALL' } | { type: 'INCLUDE'; attributes: readonly string[] };

const ALL: IndexProjection = { type: 'ALL' };
const KEY_PROJECTION: IndexProjection = { type: 'INCLUDE', attributes: KEY_INDEX_ATTRIBUTES };

export const tableSchema = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'ttl',
  streamView: 'NEW_AND_OLD_IMAGES',
  indexes: [
    { name: 'byOwner', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection: ALL },
    { name: 'all', partitionKey: 'gsi2pk', sortKey: 'gsi2sk', projection: ALL },
    { name: 'auditByKey', partitionKey: 'gsi3pk', sortKey: 'sk', projection: ALL },
    { name: 'auditByActor', partitionKey: 'gsi4pk', sortKey: 'sk', projection: ALL },
    { name: 'auditByAction', partitionKey: 'gsi5pk', sortKey: 'sk', projection: ALL },
    { name: 'keysByOwner', partitionKey: 'gsi6pk', sortKey: 'gsi6sk', projection: KEY_PROJECTION },
    { name: 'keysAll', partitionKey: 'gsi7pk', sortKey: 'gsi7sk', projection: KEY_PROJECTION },
    { name: 'keysByName', partitionKey: 'gsi8pk', sortKey: 'gsi8sk', projection: KEY_PROJECTION },
  ],
} as const;
