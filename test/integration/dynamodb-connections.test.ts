import { createServer, type Server, connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inject } from 'vitest';
import { ensureTable } from '../../dev/create-table.js';
import { localDynamoClientConfig } from '../../dev/dynamodb-local.js';
import { documentClient } from '../../functions/shared/dynamodb.js';
import { leanReaderOf } from '../../functions/shared/dynamodb-lean.js';

/**
 * The table's SDK client and its lean reader share one keep-alive pool (functions/shared/aws-http.ts):
 * a function talking to DynamoDB Local through a counting TCP relay opens one connection for
 * both kinds of call, where a pool each opened two (on AWS: two TLS handshakes on a cold start).
 */
const upstream = new URL(inject('dynamoDbEndpoint'));
let relay: Server;
let relayEndpoint: string;
let connections = 0;

beforeAll(async () => {
  relay = createServer((downstream) => {
    connections++;
    const up = connect(Number(upstream.port), upstream.hostname);
    downstream.pipe(up).pipe(downstream);
    up.on('error', () => downstream.destroy());
    downstream.on('error', () => up.destroy());
  });
  await new Promise<void>((done) => relay.listen(0, '127.0.0.1', done));
  relayEndpoint = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((done) => relay.close(done));
});

it('opens one connection to DynamoDB for the SDK calls and the lean reads of a client together', async () => {
  const tableName = `test-connections-${Date.now()}`;
  const raw = new DynamoDBClient(localDynamoClientConfig(upstream.origin));
  await ensureTable(raw, tableName);
  raw.destroy();
  const client = documentClient(localDynamoClientConfig(relayEndpoint));
  try {
    const key = { pk: 'KEY#one', sk: 'KEY' };
    for (let round = 0; round < 3; round++) {
      await client.send(new PutCommand({ TableName: tableName, Item: { ...key, round } }));
      expect(await leanReaderOf(client).getItem(tableName, key, true)).toEqual({ ...key, round });
      expect((await client.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item).toEqual({ ...key, round });
    }
    expect(connections).toBe(1);
  } finally {
    leanReaderOf(client).destroy();
    client.destroy();
  }
});
