import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, type _Record } from '@aws-sdk/client-dynamodb-streams';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { ChannelDeps, EmailMessage, EmailSender } from '../functions/channels/channel-deps.js';
import type { DesiredSchedule, ReminderDeps, SchedulePort } from '../functions/reminders/schedules.js';
import { notify } from '../functions/reminders/handlers/notifier.js';
import { type DeletionOutcome, handleScheduleDeleted, type ScheduleLookup } from '../functions/reminders/schedule-deletions.js';
import { type KeyChange, syncKeyChanges } from '../functions/reminders/schedule-sync.js';
import type { Deps } from '../functions/runtime/deps.js';

/**
 * The local stand-ins for what runs notifications on AWS, for `npm start` and the tests:
 *
 * - LocalSchedules: the Scheduler. Schedules are items in the keygate table on DynamoDB Local
 *   (kept on disk, so they survive a restart), put and deleted by the same schedule sync.
 * - the stream reader: the Lambda event source. It reads DynamoDB Local's stream of the table
 *   and hands the key changes to the same syncKeyChanges the stream function runs on AWS.
 * - the firing loop: the Scheduler firing. Every tick it invokes the same notifier handler with
 *   each due schedule's input, then deletes the schedule (ActionAfterCompletion DELETE).
 * - OutboxEmail: SES. One readable file per message in `.keygate/outbox/`.
 *
 * Webhooks are sent for real, and operator messages are stored as on AWS.
 *
 *   local schedule  pk LOCALSCHEDULE#<name>  sk SCHEDULE  gsi2pk LOCALSCHEDULES  gsi2sk <at>#<name>
 */
const schedulePk = (name: string) => `LOCALSCHEDULE#${name}`;
const SCHEDULE_SK = 'SCHEDULE';
const ALL_SCHEDULES = 'LOCALSCHEDULES';
/** A schedule whose notifier run keeps failing is given up after this many tries (Lambda: 1 + 2 retries, then the DLQ). */
const MAX_FIRE_ATTEMPTS = 3;

export class LocalSchedules implements SchedulePort, ScheduleLookup {
  constructor(private readonly deps: Pick<Deps, 'ddb' | 'tableName'>) {}

  async exists(name: string): Promise<boolean> {
    return (await this.current(name)) !== undefined;
  }

  /**
   * What deleting a schedule in the AWS console does: the schedule goes, and the deletion reaches
   * keygate as an event (on AWS: CloudTrail → EventBridge → the schedule-deletion function), which
   * cancels its notification (functions/reminders/schedule-deletions.ts). `deps` is the local
   * run's. Undefined when there was no such schedule (the Scheduler answers ResourceNotFound).
   */
  async deleteOutsideKeygate(deps: Deps, name: string): Promise<DeletionOutcome | undefined> {
    try {
      await this.deps.ddb.send(
        new DeleteCommand({
          TableName: this.deps.tableName,
          Key: { pk: schedulePk(name), sk: SCHEDULE_SK },
          ConditionExpression: 'attribute_exists(pk)',
        }),
      );
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return undefined;
      throw error;
    }
    return handleScheduleDeleted(deps, this, { name });
  }

  async put(schedule: DesiredSchedule): Promise<void> {
    await this.deps.ddb.send(
      new PutCommand({
        TableName: this.deps.tableName,
        Item: { pk: schedulePk(schedule.name), sk: SCHEDULE_SK, gsi2pk: ALL_SCHEDULES, gsi2sk: `${schedule.at}#${schedule.name}`, ...schedule },
      }),
    );
  }

  async remove(name: string): Promise<void> {
    await this.deps.ddb.send(new DeleteCommand({ TableName: this.deps.tableName, Key: { pk: schedulePk(name), sk: SCHEDULE_SK } }));
  }

  /** Every schedule, soonest first. */
  async list(): Promise<DesiredSchedule[]> {
    return this.query('gsi2pk = :p', {});
  }

  async due(now: Date): Promise<DesiredSchedule[]> {
    // gsi2sk is `<at>#<name>` and '$' sorts right after '#': every schedule at or before now.
    return this.query('gsi2pk = :p AND gsi2sk < :upper', { ':upper': `${now.toISOString()}$` });
  }

  /** Deletes a fired schedule, unless it was moved meanwhile (then it fires at its new time). */
  async complete(schedule: DesiredSchedule): Promise<void> {
    try {
      await this.deps.ddb.send(
        new DeleteCommand({
          TableName: this.deps.tableName,
          Key: { pk: schedulePk(schedule.name), sk: SCHEDULE_SK },
          ConditionExpression: 'gsi2sk = :sk',
          ExpressionAttributeValues: { ':sk': `${schedule.at}#${schedule.name}` },
        }),
      );
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    }
  }

  async current(name: string): Promise<DesiredSchedule | undefined> {
    const { Item } = await this.deps.ddb.send(new GetCommand({ TableName: this.deps.tableName, Key: { pk: schedulePk(name), sk: SCHEDULE_SK }, ConsistentRead: true }));
    return Item ? { name: Item.name, at: Item.at, input: Item.input } : undefined;
  }

  private async query(condition: string, values: Record<string, string>): Promise<DesiredSchedule[]> {
    const out: DesiredSchedule[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.deps.ddb.send(
        new QueryCommand({
          TableName: this.deps.tableName,
          IndexName: 'all',
          KeyConditionExpression: condition,
          ExpressionAttributeValues: { ':p': ALL_SCHEDULES, ...values },
          ExclusiveStartKey: start,
        }),
      );
      out.push(...(page.Items ?? []).map((i) => ({ name: i.name, at: i.at, input: i.input })));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }
}

/** Email as files: `.keygate/outbox/<time>-<random>.eml`, plain text a person can read (or open in a mail program). */
export class OutboxEmail implements EmailSender {
  constructor(
    readonly dir: string,
    private readonly from: string,
  ) {}

  async send(message: EmailMessage): Promise<void> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const now = new Date();
    const file = join(this.dir, `${now.toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}.eml`);
    const headers = [`From: keygate <${this.from}>`, `To: ${message.to.join(', ')}`, `Date: ${now.toUTCString()}`, `Subject: ${message.subject}`, 'Content-Type: text/plain; charset=utf-8'];
    writeFileSync(file, `${headers.join('\n')}\n\n${message.text}\n`, { mode: 0o600 });
  }
}

/**
 * Webhook receivers a local run may reach although they are not public: this machine's loopback
 * only (test receivers, a receiver on the laptop). The Lambda functions never set this, so on
 * AWS every non-public address is refused (functions/channels/webhook-url.ts).
 */
export const LOCAL_WEBHOOK_RANGES = ['127.0.0.0/8', '::1/128'] as const;

export function localNotificationDeps(deps: Pick<Deps, 'ddb' | 'tableName' | 'config'>, outboxDir: string): ChannelDeps & ReminderDeps & { schedules: LocalSchedules } {
  return {
    schedules: new LocalSchedules(deps),
    email: new OutboxEmail(outboxDir, deps.config.notifications.emailFrom),
    allowHttpWebhooks: true,
    privateWebhookRanges: LOCAL_WEBHOOK_RANGES,
  };
}

export interface LocalNotifications {
  /** Runs one round now (read the stream, fire what is due); the tests step it by hand. */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

interface ShardState {
  iterator: string | undefined;
  /** Read but not yet synced (a sync failed): retried first, in order, like a stream retry. */
  pending: KeyChange[];
}

/**
 * Starts the stream reader and the firing loop over `deps` (whose `notifications` must hold
 * LocalSchedules). `intervalMs` is the tick; 0 runs no timer (tests call `tick`).
 */
export async function startLocalNotifications(
  deps: Deps,
  options: { clientConfig: DynamoDBClientConfig; intervalMs?: number; log?: (line: string) => void },
): Promise<LocalNotifications> {
  const schedules = deps.notifications?.schedules;
  if (!(schedules instanceof LocalSchedules)) throw new Error('the local notifications need deps.notifications.schedules to be LocalSchedules');
  const log = options.log ?? (() => {});
  const admin = new DynamoDBClient(options.clientConfig);
  const { Table } = await admin.send(new DescribeTableCommand({ TableName: deps.tableName }));
  admin.destroy();
  const streamArn = Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${deps.tableName} has no stream`);
  const streams = new DynamoDBStreamsClient(options.clientConfig);
  const shards = new Map<string, ShardState>();
  const attempts = new Map<string, number>();

  async function readStream(): Promise<void> {
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of StreamDescription?.Shards ?? []) {
      if (!shard.ShardId || shards.has(shard.ShardId)) continue;
      // From the oldest record kept: after a restart, changes made while keygate was down are synced too (syncing is idempotent).
      const { ShardIterator } = await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
      shards.set(shard.ShardId, { iterator: ShardIterator, pending: [] });
    }
    for (const state of shards.values()) {
      if (state.pending.length === 0 && state.iterator !== undefined) {
        const page = await streams.send(new GetRecordsCommand({ ShardIterator: state.iterator, Limit: 1000 }));
        state.iterator = page.NextShardIterator;
        // Key items only, as the event source's filter on AWS (infra/notifications.ts) delivers: other
        // items never matter to the sync, and DynamoDB Local writes an empty map in a stream image
        // as `{}` (an audit entry's empty `changes`), which unmarshall refuses.
        state.pending.push(...(page.Records ?? []).filter(isKeyRecord).map(changeOf));
      }
      if (state.pending.length === 0) continue;
      const { failedSequenceNumber } = await syncKeyChanges(deps, schedules as LocalSchedules, state.pending);
      const failedAt = failedSequenceNumber === undefined ? -1 : state.pending.findIndex((c) => c.sequenceNumber === failedSequenceNumber);
      state.pending = failedAt === -1 ? [] : state.pending.slice(failedAt);
    }
  }

  async function fireDue(): Promise<void> {
    for (const due of await (schedules as LocalSchedules).due(deps.clock())) {
      const schedule = await (schedules as LocalSchedules).current(due.name);
      if (!schedule || Date.parse(schedule.at) > deps.clock().getTime()) continue;
      try {
        const outcome = await notify(schedule.input, deps);
        log(`notification ${schedule.input.slot} of key ${schedule.input.keyId}: ${outcome.result}${'detail' in outcome ? ` (${outcome.detail})` : ''}`);
      } catch (error) {
        const tries = (attempts.get(schedule.name) ?? 0) + 1;
        attempts.set(schedule.name, tries);
        log(`notification ${schedule.input.slot} of key ${schedule.input.keyId} failed (try ${tries} of ${MAX_FIRE_ATTEMPTS}): ${(error as Error).message}`);
        if (tries < MAX_FIRE_ATTEMPTS) continue;
      }
      attempts.delete(schedule.name);
      await (schedules as LocalSchedules).complete(schedule);
    }
  }

  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = running.then(async () => {
      try {
        await readStream();
        await fireDue();
      } catch (error) {
        log(`local notifications: ${(error as Error).message}; retrying`);
      }
    });
    return running;
  };

  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const loop = () => {
    if (stopped) return;
    void tick().then(() => {
      if (!stopped) timer = setTimeout(loop, options.intervalMs);
    });
  };
  if ((options.intervalMs ?? 0) > 0) loop();

  return {
    tick,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      streams.destroy();
    },
  };
}

function isKeyRecord(record: _Record): boolean {
  return record.dynamodb?.Keys?.pk?.S?.startsWith('KEY#') === true;
}

function changeOf(record: _Record): KeyChange {
  const image = (value: unknown) => (value === undefined ? undefined : unmarshall(value as never));
  const oldImage = image(record.dynamodb?.OldImage);
  const newImage = image(record.dynamodb?.NewImage);
  return { sequenceNumber: record.dynamodb?.SequenceNumber ?? '', ...(oldImage ? { oldImage } : {}), ...(newImage ? { newImage } : {}) };
}
