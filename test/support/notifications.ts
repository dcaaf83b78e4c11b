import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, type _Record } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { inject } from 'vitest';
import type { Deps } from '../../functions/runtime/deps.js';
import { localDynamoClientConfig } from '../../dev/dynamodb-local.js';
import { localNotificationDeps } from '../../dev/local-notifications.js';

/** Deps with the local notification stand-ins (schedules in the test's table, email to a temp outbox). */
export function withLocalNotifications(deps: Deps) {
  const outboxDir = mkdtempSync(join(tmpdir(), 'keygate-outbox-'));
  const notifications = localNotificationDeps(deps, outboxDir);
  return { deps: { ...deps, notifications }, outboxDir, schedules: notifications.schedules };
}

export function clientConfig() {
  return localDynamoClientConfig(inject('dynamoDbEndpoint'));
}

/**
 * Reads a test table's DynamoDB Local stream: every record since the previous call, in the
 * Lambda event's shape (the same JSON AttributeValue images), as the event source would deliver.
 */
export function streamReader(tableName: string) {
  const config = clientConfig();
  const streams = new DynamoDBStreamsClient(config);
  const iterators = new Map<string, string | undefined>();
  return async function read(): Promise<DynamoDBStreamEvent> {
    const admin = new DynamoDBClient(config);
    const { Table } = await admin.send(new DescribeTableCommand({ TableName: tableName }));
    admin.destroy();
    const streamArn = Table?.LatestStreamArn;
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    const records: _Record[] = [];
    for (const shard of StreamDescription?.Shards ?? []) {
      if (!shard.ShardId) continue;
      if (!iterators.has(shard.ShardId)) {
        const { ShardIterator } = await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
        iterators.set(shard.ShardId, ShardIterator);
      }
      let iterator = iterators.get(shard.ShardId);
      while (iterator !== undefined) {
        const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
        records.push(...(page.Records ?? []));
        iterator = page.NextShardIterator;
        if ((page.Records ?? []).length === 0) break;
      }
      iterators.set(shard.ShardId, iterator);
    }
    return {
      Records: records.map((r) => ({
        eventID: r.eventID,
        eventName: r.eventName,
        eventSource: 'aws:dynamodb',
        dynamodb: {
          Keys: r.dynamodb?.Keys as never,
          ...(r.dynamodb?.OldImage ? { OldImage: r.dynamodb.OldImage as never } : {}),
          ...(r.dynamodb?.NewImage ? { NewImage: r.dynamodb.NewImage as never } : {}),
          SequenceNumber: r.dynamodb?.SequenceNumber,
          StreamViewType: 'NEW_AND_OLD_IMAGES',
        },
      })),
    } as DynamoDBStreamEvent;
  };
}

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** An HTTP receiver on 127.0.0.1 that records every request and answers `status` (with `headers`). */
export async function webhookReceiver(status = 204, headers: Record<string, string> = {}) {
  const received: ReceivedWebhook[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      res.statusCode = receiver.status;
      for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
      res.end();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const receiver = {
    status,
    received,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/keygate`,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
  return receiver;
}

export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000, stepMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`nothing after ${timeoutMs} ms`);
    await new Promise((done) => setTimeout(done, stepMs));
  }
}
