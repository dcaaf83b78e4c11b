import { KEY_USE_MARK, QUOTA_PERIOD_ATTRIBUTES, RATE_WINDOW_ATTRIBUTES, type tableSchema } from './table-schema.js';

/**
 * What a function may do to keygate's table, declared next to the code that does it: every route
 * contract (`tableAccess`) and every function that is not a route (`functionTableAccess` below).
 * The CDK turns each grant into one IAM statement (infra/table-grants.ts): its actions, on the
 * table or on one index, with a `dynamodb:LeadingKeys` condition naming the partitions, and a
 * `dynamodb:Attributes` condition where the grant names attributes. The tests run every route
 * with its declaration enforced on the DynamoDB client (test/support/table-access-guard.ts), so a
 * call the declaration does not cover fails there as AccessDenied would on AWS.
 *
 * No grant has Scan, BatchWriteItem or a PartiQL action: keygate reads by key and queries
 * partitions, never the whole table. A TransactWriteItems is authorized item by item as the
 * PutItem, UpdateItem or DeleteItem it holds, so grants name those.
 */
export type TableAction = 'GetItem' | 'BatchGetItem' | 'Query' | 'PutItem' | 'UpdateItem' | 'DeleteItem';

export type IndexName = (typeof tableSchema.indexes)[number]['name'];

export interface TableGrant {
  readonly actions: readonly TableAction[];
  /**
   * The partition key values the actions may touch, as IAM `StringLike` patterns on
   * `dynamodb:LeadingKeys`: the table's `pk`, or for a query on an index, the index's partition key.
   */
  readonly partitions: readonly string[];
  /** Query this index (its own ARN) instead of the table. */
  readonly index?: IndexName;
  /**
   * The only top-level attributes a request may name, keys included (`dynamodb:Attributes`):
   * an update that may move a counter or a timestamp, never rewrite the item.
   */
  readonly attributes?: readonly string[];
}

export type TableAccess = readonly TableGrant[];

/**
 * Partition patterns, by what the items are. The stores own the exact key layout
 * (functions/keys/key-store.ts, channels/channel-store.ts, channels/operator-messages.ts,
 * audit/audit-store.ts); a pattern that drifts from it fails the integration tests (see above).
 */
export const partitions = {
  key: 'KEY#*',
  keyName: 'NAME#*',
  channel: 'CHANNEL#*',
  /** An owner channel's name lock; an admin channel's is `adminChannelName`. */
  ownerChannelName: 'OWNERCHANNELNAME#*',
  adminChannelName: 'CHANNELNAME#*',
  operatorMessage: 'OPMSG#*',
  /** An owner's default channel (channels/owner-default-channel.ts). */
  ownerDefaultChannel: 'OWNERDEFAULTCHANNEL#*',
  audit: 'AUDIT#*',
  /** A key's rate-limit window counters and quota period counters (functions/usage/limit-counters.ts). */
  rateWindow: 'LIMIT#*',
  quotaPeriod: 'QUOTA#*',
  /* The key indexes (functions/keys/key-listing.ts): keysByOwner (gsi6pk), keysAll (gsi7pk), keysByName (gsi8pk) */
  keysOfOwner: 'OWNER#*',
  allKeys: 'KEYS#*',
  keysByName: 'KEYNAMES#*',
  /* Index partitions: byOwner (gsi1pk) */
  channelsOfOwner: 'CHANNELOWNER#*',
  messagesOfOwner: 'OPMSGOWNER#*',
  /* all (gsi2pk) */
  allChannels: 'CHANNELS',
  allMessages: 'OPMSGS',
  /* the audit indexes (gsi3pk, gsi4pk, gsi5pk) */
  auditOfKey: 'AUDITKEY#*',
  auditOfActor: 'AUDITACTOR#*',
  auditOfAction: 'AUDITACTION#*',
  /** A key's usage counts (functions/usage/usage-store.ts). */
  usage: 'USAGE#*',
} as const;

/** What a key's use record names (key-store.ts recordUse): it moves lastUsedAt, inactiveAt and ttl, on a key not revoked. */
export const USE_RECORD_ATTRIBUTES = ['pk', 'sk', 'lastUsedAt', 'inactiveAt', 'ttl', 'revokedAt', KEY_USE_MARK] as const;

/** What counting one more failed authentication names (audit-store.ts addFailedAttempt): the aggregate's two counters. */
export const FAILED_ATTEMPT_ATTRIBUTES = ['pk', 'sk', 'attempts', 'lastAttemptAt'] as const;

/** What the notifier's updates of a key name (key-store.ts claimNotification, recordNotificationOutcome). */
export const NOTIFICATION_ATTRIBUTES = ['pk', 'sk', 'notification', 'defaultNotifications', 'leakAlerts', 'version', 'revokedAt', KEY_USE_MARK] as const;

/**
 * Audit entries are append-only: a new entry is a PutItem (always `attribute_not_exists(pk)` in
 * audit-store.ts). No role has UpdateItem on `AUDIT#` except on a failed-authentication
 * aggregate's counters (`failedAttempts`), and no role has DeleteItem there (TTL deletes old entries).
 */
export const appendAudit: TableGrant = { actions: ['PutItem'], partitions: [partitions.audit] };

/** Count a failed authentication: create its aggregate entry (appendAudit) or bump its two counters. */
export const failedAttempts: TableAccess = [
  appendAudit,
  { actions: ['UpdateItem'], partitions: [partitions.audit], attributes: FAILED_ATTEMPT_ATTRIBUTES },
];

/** What a usage flush names (usage-store.ts addUsage): the three counters (ADD) and the expiry. */
export const USAGE_COUNT_ATTRIBUTES = ['pk', 'sk', 'allowed', 'rateLimited', 'refused', 'ttl'] as const;

/**
 * Add this process's usage counts (functions/usage/usage-counts.ts): every function that checks
 * keys or access tokens may flush, so each holds this, and nothing else on usage items.
 */
export const usageFlush: TableGrant = { actions: ['UpdateItem'], partitions: [partitions.usage], attributes: USAGE_COUNT_ATTRIBUTES };

/** Read a key's usage counts (GET /v1/keys/{id}/usage, the key details' last 24 hours). */
export const usageReading: TableGrant = { actions: ['Query'], partitions: [partitions.usage] };

/** Record a use of a key (at most once a minute), and nothing else of it. */
export const useRecord: TableGrant = { actions: ['UpdateItem'], partitions: [partitions.key], attributes: USE_RECORD_ATTRIBUTES };

/**
 * Count a use of a key with limits (functions/usage/): the ADD on a rate window's or a quota
 * period's counter, naming only the counter and its TTL. Never a read, never another attribute.
 */
export const limitCounting: TableAccess = [
  { actions: ['UpdateItem'], partitions: [partitions.rateWindow], attributes: RATE_WINDOW_ATTRIBUTES },
  { actions: ['UpdateItem'], partitions: [partitions.quotaPeriod], attributes: QUOTA_PERIOD_ATTRIBUTES },
];

/** Show the uses left in a key's quota (the key details every key route answers with): a read of its current period. */
export const quotaReading: TableGrant = { actions: ['GetItem'], partitions: [partitions.quotaPeriod] };

/**
 * What checking a keygate credential does (functions/access, keys/key-authentication.ts): read the
 * caller's key, count the use against its limits (keys with limits only), record its use, audit a
 * refused credential, and flush the process's usage counts.
 */
export const authentication: TableAccess = [
  { actions: ['GetItem'], partitions: [partitions.key] },
  ...limitCounting,
  useRecord,
  ...failedAttempts,
  usageFlush,
];

/**
 * Listing keys (keys/key-listing.ts): a query on one of the three key indexes, then the matching
 * keys' whole items by BatchGetItem.
 */
export const keyListing: TableAccess = [
  { actions: ['Query'], index: 'keysByOwner', partitions: [partitions.keysOfOwner] },
  { actions: ['Query'], index: 'keysAll', partitions: [partitions.allKeys] },
  { actions: ['Query'], index: 'keysByName', partitions: [partitions.keysByName] },
  { actions: ['BatchGetItem'], partitions: [partitions.key] },
];

/** One owner's keys, all of them (keys/key-operations.ts, the owner-wide suspend and revoke). */
export const ownerKeys: TableAccess = [
  { actions: ['Query'], index: 'keysByOwner', partitions: [partitions.keysOfOwner] },
  { actions: ['GetItem', 'BatchGetItem'], partitions: [partitions.key] },
];

/**
 * A new key's expiry notifications (keys/key-reminders.ts): the channel a notification names, the
 * owner's default channel, and the deployment's default channel by its name lock.
 */
export const notificationChannels: TableGrant = {
  actions: ['GetItem'],
  partitions: [partitions.channel, partitions.adminChannelName, partitions.ownerDefaultChannel],
};

/**
 * Creating a key (keys/key-lifecycle.ts createKey, key-store.ts insertKey): the key, its name lock
 * (or taking over a stale one: the holder's key is read), the audit entry; by a route or by the
 * bootstrap.
 */
export const keyCreation: TableAccess = [
  { actions: ['GetItem', 'PutItem'], partitions: [partitions.key, partitions.keyName] },
  notificationChannels,
  appendAudit,
];

/** The functions that are not routes: each one's role gets exactly this (infra/keygate-stack.ts, notifications.ts, protected-api.ts). */
export const functionTableAccess = {
  /** KeygateProtectedApi's Lambda authorizer: a credential check per request. */
  authorizer: authentication,
  /** Mints an admin key: a key creation with no caller to authenticate. */
  bootstrap: keyCreation,
  /**
   * A notification schedule deleted outside keygate (reminders/schedule-deletions.ts): re-reads the
   * key, cancels the notification (its fields only) with an audit entry.
   */
  scheduleWatch: [
    { actions: ['GetItem'], partitions: [partitions.key] },
    { actions: ['UpdateItem'], partitions: [partitions.key], attributes: NOTIFICATION_ATTRIBUTES },
    appendAudit,
  ],
  /** Re-reads a key whose item changed on the stream (reminders/schedule-sync.ts). */
  scheduleSync: [{ actions: ['GetItem'], partitions: [partitions.key] }],
  /**
   * Re-reads the key and its channel, claims the notification and records its outcome (updates of
   * the notification fields only) with an audit entry, stores an operator message.
   */
  notifier: [
    { actions: ['GetItem'], partitions: [partitions.key, partitions.channel] },
    { actions: ['UpdateItem'], partitions: [partitions.key], attributes: NOTIFICATION_ATTRIBUTES },
    { actions: ['PutItem'], partitions: [partitions.operatorMessage] },
    appendAudit,
  ],
} as const satisfies Record<string, TableAccess>;
