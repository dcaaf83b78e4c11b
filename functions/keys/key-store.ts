import { setTimeout as sleep } from 'node:timers/promises';
import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { NativeAttributeValue } from '@aws-sdk/util-dynamodb';
import { KEY_USE_MARK, tableSchema } from '../contract/table-schema.js';
import type { AuditEntry } from '../audit/audit-model.js';
import { type AuditEntryPut, auditEntryPut, updateWithAudit } from '../audit/audit-store.js';
import type { Deps } from '../runtime/deps.js';
import { conditionFailedAt, isConditionFailed, transactionConflict } from '../shared/dynamodb.js';
import { leanReaderOf } from '../shared/dynamodb-lean.js';
import { ValidationError } from '../shared/errors.js';
import { KEY_INDEX_TABLE_ATTRIBUTES, keyIndexAttributes, queryKeyIndexes } from './key-listing.js';
import { applyKeyChanges, type KeyChanges, type KeyRecord, nameLockTtl, ttlFor } from './key-model.js';
import type { EditOutcome, KeyPage, KeyStore, ListQuery, NameClaim, RotationOutcome } from './key-store-interface.js';

/*
 * Items (see functions/contract/table-schema.ts):
 *   key        pk KEY#<id>                       sk KEY
 *              the key indexes' attributes (gsi6-8, nameLower): key-listing.ts
 *              lastWriteWasUse: true when the last write was a use record, see recordUse
 *   name lock  pk NAME#<owner>#<lower-cased name> sk NAME   { keyId, ttl }
 *
 * A name lock says which key holds a name. Invariant: an active key's lock always names it. A
 * lock whose key is no longer active is stale and may be taken over, but only by a conditional
 * write that names the stale holder, so two creators racing for a freed name cannot both win.
 * Owners cannot contain '#' (the schema forbids it), so the lock key is unambiguous.
 */
const keyPk = (id: string) => `KEY#${id}`;
const namePk = (owner: string, name: string) => `NAME#${owner}#${name.toLowerCase()}`;
const KEY_SK = 'KEY';
const NAME_SK = 'NAME';
type Item = Record<string, NativeAttributeValue>;

/** Set by a use record and by nothing else; every other write to a key item leaves it out (a Put) or removes it. */
const USE_MARK = KEY_USE_MARK;

const TABLE_ATTRIBUTES = new Set<string>(['pk', 'sk', 'ttl', USE_MARK, ...KEY_INDEX_TABLE_ATTRIBUTES]);

/** The whole item, as a create or an edit Puts it: without the use mark (this write is not a use). */
function toItem(key: KeyRecord, ttl: number): Item {
  return { ...key, pk: keyPk(key.id), sk: KEY_SK, ...keyIndexAttributes(key), ttl };
}

/** Copies what is not a table attribute (a copy, then deletes, left the record in slow dictionary mode: every request reads one). */
function fromItem(item: Item): KeyRecord {
  const record: Item = {};
  for (const attribute of Object.keys(item)) if (!TABLE_ATTRIBUTES.has(attribute)) record[attribute] = item[attribute];
  return record as KeyRecord;
}

/**
 * Creates a key, its name lock and the audit entry of its creation in one transaction.
 * `staleHolder`: take over that key's lock.
 */
async function insertKey(
  deps: Deps,
  key: KeyRecord,
  ttl: number,
  lockTtl: number | undefined,
  audit: AuditEntryPut,
  staleHolder?: string,
): Promise<NameClaim> {
  try {
    await deps.ddb.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: deps.tableName, Item: toItem(key, ttl), ConditionExpression: 'attribute_not_exists(pk)' } },
          nameLockPut(deps, key.owner, key.name, key.id, lockTtl, staleHolder),
          audit,
        ],
      }),
    );
    return { ok: true };
  } catch (error) {
    if (conditionFailedAt(error, 1)) return { ok: false, holder: await nameHolder(deps, key.owner, key.name) };
    throw error;
  }
}

function nameLockPut(deps: Deps, owner: string, name: string, keyId: string, ttl: number | undefined, staleHolder?: string) {
  return {
    Put: {
      TableName: deps.tableName,
      Item: { pk: namePk(owner, name), sk: NAME_SK, keyId, ...(ttl === undefined ? {} : { ttl }) },
      ConditionExpression: staleHolder === undefined ? 'attribute_not_exists(pk)' : 'keyId = :stale',
      ...(staleHolder === undefined ? {} : { ExpressionAttributeValues: { ':stale': staleHolder } }),
    },
  };
}

async function nameHolder(deps: Deps, owner: string, name: string): Promise<string | undefined> {
  const { Item } = await deps.ddb.send(
    new GetCommand({ TableName: deps.tableName, Key: { pk: namePk(owner, name), sk: NAME_SK }, ConsistentRead: true }),
  );
  return Item?.keyId as string | undefined;
}

/** Strongly consistent: a reset or delete must bite on the very next request. */
export async function findKey(deps: Deps, id: string): Promise<KeyRecord | undefined> {
  // The hot read of every request: the lean path (functions/shared/dynamodb-lean.ts), not the SDK's.
  const item = await leanReaderOf(deps.ddb).getItem(deps.tableName, { pk: keyPk(id), sk: KEY_SK }, true);
  return item ? fromItem(item) : undefined;
}

/** BatchGetItem may leave keys unprocessed (throttling, response size): asked again this often, after a short wait. */
const MAX_BATCH_GETS = 4;
const BATCH_RETRY_BASE_MS = 10;

/**
 * The keys with these ids, by id (an id with no key is absent), strongly consistent like
 * findKey: one GetItem for one id, one BatchGetItem for more (duplicates are read once: the
 * request refuses them). Keys BatchGetItem leaves unprocessed are asked again, a bounded number
 * of times; if some are still unread that is an error, never an absent key.
 */
async function findKeys(deps: Deps, ids: readonly string[]): Promise<Map<string, KeyRecord>> {
  const found = new Map<string, KeyRecord>();
  const unique = [...new Set(ids)];
  if (unique.length <= 1) {
    const key = unique[0] === undefined ? undefined : await findKey(deps, unique[0]);
    if (key) found.set(key.id, key);
    return found;
  }
  let pending: Item[] = unique.map((id) => ({ pk: keyPk(id), sk: KEY_SK }));
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt === MAX_BATCH_GETS) throw new Error(`DynamoDB left ${pending.length} key item(s) unprocessed after ${MAX_BATCH_GETS} BatchGetItem requests`);
    if (attempt > 0) await sleep(BATCH_RETRY_BASE_MS * 2 ** (attempt - 1));
    const { items, unprocessed } = await leanReaderOf(deps.ddb).batchGetItem(deps.tableName, pending, true);
    for (const item of items) {
      const key = fromItem(item);
      found.set(key.id, key);
    }
    pending = unprocessed;
  }
  return found;
}

/**
 * The attributes a use writes (recordUse), outside the version check: a use does not bump
 * `version`, so an edit replacing the item must not carry the values it read of these.
 */
const USE_ATTRIBUTES = ['lastUsedAt', 'inactiveAt'] as const;

/** A use recorded between an edit's read and its write makes the edit retry this often, with the use's record merged in. */
const MAX_EDIT_WRITES = 4;

/**
 * Replaces an edited key, conditional on the version it was read at and on the use record it
 * read (lastUsedAt, inactiveAt): a use landing in between would otherwise be erased, and the key
 * expire for inactivity early. When only the use record moved (same version), the edit is
 * written again over the newer use record, which `after` then carries (its TTL recomputed from
 * it). A rename moves the name lock in the same transaction, and the edit's audit entry is
 * written by it too (never without the edit). `releaseName`: the key gives up its name
 * (revocation).
 */
async function writeKeyEdit(
  deps: Deps,
  before: KeyRecord,
  after: KeyRecord,
  audit: AuditEntryPut,
  options: { lockTtl?: number; staleHolder?: string; releaseName?: boolean } = {},
): Promise<EditOutcome> {
  let read: KeyRecord = before;
  for (let attempt = 1; ; attempt++) {
    const outcome = await writeKeyEditOnce(deps, before, read, after, audit, options);
    if (outcome.ok || outcome.reason !== 'changed' || attempt === MAX_EDIT_WRITES) return outcome;
    const fresh = await findKey(deps, before.id);
    if (fresh === undefined || fresh.version !== before.version) return outcome;
    // Only a use was recorded meanwhile: keep it. `after` is the caller's object, so what the
    // edit returns shows the use too.
    for (const attribute of USE_ATTRIBUTES) {
      if (fresh[attribute] === undefined) delete after[attribute];
      else Object.assign(after, { [attribute]: fresh[attribute] });
    }
    read = fresh;
  }
}

async function writeKeyEditOnce(
  deps: Deps,
  before: KeyRecord,
  read: KeyRecord,
  after: KeyRecord,
  audit: AuditEntryPut,
  options: { lockTtl?: number; staleHolder?: string; releaseName?: boolean },
): Promise<EditOutcome> {
  const put = {
    Put: {
      TableName: deps.tableName,
      Item: toItem(after, ttlFor(after, deps.config.policy)),
      ConditionExpression: `attribute_exists(pk) AND version = :version AND inactiveAt = :inactiveAt AND ${
        read.lastUsedAt === undefined ? 'attribute_not_exists(lastUsedAt)' : 'lastUsedAt = :lastUsedAt'
      }`,
      ExpressionAttributeValues: {
        ':version': before.version,
        ':inactiveAt': read.inactiveAt,
        ...(read.lastUsedAt === undefined ? {} : { ':lastUsedAt': read.lastUsedAt }),
      },
    },
  };
  const renamed = before.name.toLowerCase() !== after.name.toLowerCase();
  const releaseOld = {
    Delete: {
      TableName: deps.tableName,
      Key: { pk: namePk(before.owner, before.name), sk: NAME_SK },
      ConditionExpression: 'keyId = :id',
      ExpressionAttributeValues: { ':id': before.id },
    },
  };
  const items: object[] = [put];
  if (renamed) items.push(nameLockPut(deps, after.owner, after.name, after.id, options.lockTtl, options.staleHolder));
  // Before the release, which stays last: a release that fails is dropped (below) and the rest retried.
  items.push(audit);
  const holdsOldName = renamed || options.releaseName === true;
  if (holdsOldName) items.push(releaseOld);
  try {
    await deps.ddb.send(new TransactWriteCommand({ TransactItems: items as never }));
    return { ok: true };
  } catch (error) {
    if (conditionFailedAt(error, 0)) return { ok: false, reason: 'changed' };
    if (renamed && conditionFailedAt(error, 1)) {
      return { ok: false, reason: 'name_taken', holder: await nameHolder(deps, after.owner, after.name) };
    }
    if (holdsOldName && conditionFailedAt(error, items.length - 1)) {
      // An expired key's name was already taken over by another key: there is nothing to release.
      items.pop();
      return writeKeyEditItems(deps, items);
    }
    throw error;
  }
}

async function writeKeyEditItems(deps: Deps, items: object[]): Promise<EditOutcome> {
  try {
    await deps.ddb.send(new TransactWriteCommand({ TransactItems: items as never }));
    return { ok: true };
  } catch (error) {
    if (conditionFailedAt(error, 0)) return { ok: false, reason: 'changed' };
    if (conditionFailedAt(error, 1)) return { ok: false, reason: 'name_taken', holder: undefined };
    throw error;
  }
}

/**
 * Records a use. The condition makes this a no-op unless the last recorded use is at least a
 * minute old, so however many requests race here, one write per key per minute gets through.
 * It also refuses to touch a revoked or inactive key: using an expired key must not revive it.
 *
 * It writes nothing an index projects (KEY_INDEX_ATTRIBUTES), so it costs the table item's write
 * units only, and it sets the use mark: the stream filter of the schedule sync
 * (infra/notifications.ts) drops changes that carry it, since a use never changes a schedule.
 */
async function recordUse(deps: Deps, id: string, now: Date, inactiveAt: string, ttl: number): Promise<boolean> {
  const nowIso = now.toISOString();
  const minuteAgo = new Date(now.getTime() - 60_000).toISOString();
  try {
    await deps.ddb.send(
      new UpdateCommand({
        TableName: deps.tableName,
        Key: { pk: keyPk(id), sk: KEY_SK },
        UpdateExpression: `SET lastUsedAt = :now, inactiveAt = :inactiveAt, #ttl = :ttl, ${USE_MARK} = :true`,
        ConditionExpression:
          'attribute_exists(pk) AND attribute_not_exists(revokedAt) AND inactiveAt > :now AND (attribute_not_exists(lastUsedAt) OR lastUsedAt <= :minuteAgo)',
        ExpressionAttributeNames: { '#ttl': tableSchema.ttlAttribute },
        ExpressionAttributeValues: { ':now': nowIso, ':minuteAgo': minuteAgo, ':inactiveAt': inactiveAt, ':ttl': ttl, ':true': true },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
}

/*
 * Expiry notifications are fields of the key item (functions/keys/key-notifications.ts).
 * The notifier updates one of them in place; each update is conditional on the notification's
 * `rev` (it is still the one the schedule was made for) and bumps `version` (and removes the use
 * mark: this change must reach the schedule sync), so an edit that read
 * the key before it fails as a concurrent update instead of overwriting what the notifier wrote.
 * One-item transactions, so an audit entry can join them.
 */
type NotificationPath = { path: string; names: Record<string, string> };

/** The key exists, is not revoked, and the slot holds notification `:rev`, neither fired nor canceled. */
const PENDING_NOTIFICATION = (path: string) =>
  `attribute_exists(pk) AND attribute_not_exists(revokedAt) AND ${path}.rev = :rev` +
  ` AND attribute_not_exists(${path}.firedAt) AND attribute_not_exists(${path}.canceledAt)`;

/** Claims a notification for sending: true for exactly one caller, and never for a deleted key. */
export async function claimNotification(deps: Deps, id: string, slot: NotificationPath, rev: string, now: Date): Promise<boolean> {
  return updateWithAudit(deps, {
    TableName: deps.tableName,
    Key: { pk: keyPk(id), sk: KEY_SK },
    UpdateExpression: `SET ${slot.path}.firedAt = :now, version = version + :one REMOVE ${USE_MARK}`,
    ConditionExpression: PENDING_NOTIFICATION(slot.path),
    ExpressionAttributeNames: slot.names,
    ExpressionAttributeValues: { ':now': now.toISOString(), ':rev': rev, ':one': 1 },
  });
}

/**
 * Marks a notification canceled (its schedule was deleted outside keygate), with its audit entry:
 * only while it is the same notification (`rev`), unfired and not canceled yet, on a key that
 * exists and is not revoked. False when any of that no longer holds (nothing was written).
 */
export async function cancelNotification(
  deps: Deps,
  id: string,
  slot: NotificationPath,
  rev: string,
  now: Date,
  detail: string,
  audit: AuditEntryPut,
): Promise<boolean> {
  return updateWithAudit(
    deps,
    {
      TableName: deps.tableName,
      Key: { pk: keyPk(id), sk: KEY_SK },
      UpdateExpression: `SET ${slot.path}.canceledAt = :now, ${slot.path}.detail = :detail, version = version + :one REMOVE ${USE_MARK}`,
      ConditionExpression: PENDING_NOTIFICATION(slot.path),
      ExpressionAttributeNames: slot.names,
      ExpressionAttributeValues: { ':now': now.toISOString(), ':rev': rev, ':one': 1, ':detail': detail },
    },
    audit,
  );
}

/** Records how a claimed notification ended (`sent`, `failed` or `dropped`, with a reason), and its audit entry. */
export async function recordNotificationOutcome(
  deps: Deps,
  id: string,
  slot: NotificationPath,
  rev: string,
  outcome: string,
  audit: AuditEntryPut,
  detail?: string,
): Promise<void> {
  const detailSet = detail === undefined ? '' : `, ${slot.path}.detail = :detail`;
  // False when the key was deleted or its notification replaced meanwhile: there is nothing left to record on.
  await updateWithAudit(
    deps,
    {
      TableName: deps.tableName,
      Key: { pk: keyPk(id), sk: KEY_SK },
      UpdateExpression: `SET ${slot.path}.outcome = :outcome${detailSet}, version = version + :one REMOVE ${USE_MARK}`,
      ConditionExpression: `attribute_exists(pk) AND ${slot.path}.rev = :rev`,
      ExpressionAttributeNames: slot.names,
      ExpressionAttributeValues: { ':outcome': outcome, ':rev': rev, ':one': 1, ...(detail === undefined ? {} : { ':detail': detail }) },
    },
    audit,
  );
}

/**
 * A rotation in one transaction (see KeyStore.rotateKey). The old key is updated in place, not
 * replaced, so a use recorded meanwhile (lastUsedAt, inactiveAt: outside the version check) is
 * kept; its condition on `version` and `attribute_not_exists(successorId)` lets exactly one of
 * concurrent rotations through. The name lock moves to the successor only if it still names the
 * old key (an active key's lock always does).
 */
async function rotateKey(
  deps: Deps,
  before: KeyRecord,
  changes: KeyChanges,
  successor: KeyRecord,
  audits: readonly AuditEntryPut[],
): Promise<RotationOutcome> {
  const { policy } = deps.config;
  const after = applyKeyChanges(before, changes);
  const names: Record<string, string> = { '#ttl': tableSchema.ttlAttribute };
  const values: Record<string, NativeAttributeValue> = { ':version': before.version, ':ttl': ttlFor(after, policy) };
  const sets = ['#ttl = :ttl'];
  Object.entries(changes.set).forEach(([field, value], i) => {
    names[`#s${i}`] = field;
    values[`:s${i}`] = value;
    sets.push(`#s${i} = :s${i}`);
  });
  // A rotation is not a use: it clears the use mark, so the schedule sync sees it (KEY_USE_MARK).
  const removes = [...changes.remove, USE_MARK].map((field, i) => {
    names[`#r${i}`] = field;
    return `#r${i}`;
  });
  const lockTtl = nameLockTtl(successor, policy);
  const items = [
    {
      Update: {
        TableName: deps.tableName,
        Key: { pk: keyPk(before.id), sk: KEY_SK },
        UpdateExpression: `SET ${sets.join(', ')}${removes.length === 0 ? '' : ` REMOVE ${removes.join(', ')}`}`,
        ConditionExpression: 'attribute_exists(pk) AND version = :version AND attribute_not_exists(successorId) AND attribute_not_exists(revokedAt)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    },
    { Put: { TableName: deps.tableName, Item: toItem(successor, ttlFor(successor, policy)), ConditionExpression: 'attribute_not_exists(pk)' } },
    {
      Put: {
        TableName: deps.tableName,
        Item: { pk: namePk(successor.owner, successor.name), sk: NAME_SK, keyId: successor.id, ...(lockTtl === undefined ? {} : { ttl: lockTtl }) },
        ConditionExpression: 'keyId = :old',
        ExpressionAttributeValues: { ':old': before.id },
      },
    },
    ...audits,
  ];
  try {
    await deps.ddb.send(new TransactWriteCommand({ TransactItems: items as never }));
    return { ok: true };
  } catch (error) {
    if (conditionFailedAt(error, 0)) return { ok: false, reason: 'changed' };
    if (conditionFailedAt(error, 2)) return { ok: false, reason: 'name_moved' };
    if (transactionConflict(error)) return { ok: false, reason: 'conflict' };
    throw error;
  }
}

/**
 * The key store over DynamoDB: the only production implementation of KeyStore. The table's own
 * attributes are computed here from the key: TTLs (ttlFor, and the name lock's nameLockTtl) and
 * the audit entry's Put, which joins the change's transaction.
 */
export function dynamoKeyStore(deps: Deps): KeyStore {
  // Read when used: the store is kept per deps object (keyStore), deps.config may be swapped.
  const policy = () => deps.config.policy;
  return {
    findKey: (id) => findKey(deps, id),
    findKeys: (ids) => findKeys(deps, ids),
    queryKeys: (query, now) => queryKeyIndexes(deps, (ids) => findKeys(deps, ids), query, now),
    insertKey: (key, audit, staleHolder) =>
      insertKey(deps, key, ttlFor(key, policy()), nameLockTtl(key, policy()), auditEntryPut(deps, audit), staleHolder),
    editKey(before, changes: KeyChanges, audit: AuditEntry, options = {}) {
      const after = applyKeyChanges(before, changes);
      const lock = options.staleHolder === undefined ? {} : { staleHolder: options.staleHolder };
      const release = options.releaseName === undefined ? {} : { releaseName: options.releaseName };
      const lockTtl = nameLockTtl(after, policy());
      return writeKeyEdit(deps, before, after, auditEntryPut(deps, audit), {
        ...(lockTtl === undefined ? {} : { lockTtl }),
        ...lock,
        ...release,
      });
    },
    recordUse: (key, now, inactiveAt) => recordUse(deps, key.id, now, inactiveAt, ttlFor({ ...key, inactiveAt }, policy())),
    rotateKey: (before, changes, successor, audits) => rotateKey(deps, before, changes, successor, audits.map((audit) => auditEntryPut(deps, audit))),
  };
}

/** The DynamoDB key store of each deps object, built on its first use, not on each of a request's several. */
const dynamoStores = new WeakMap<Deps, KeyStore>();

/** The key store `deps` carries (the composition root sets it), or the DynamoDB one over its table. */
export function keyStore(deps: Deps): KeyStore {
  if (deps.keys) return deps.keys;
  let store = dynamoStores.get(deps);
  if (!store) dynamoStores.set(deps, (store = dynamoKeyStore(deps)));
  return store;
}
