import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mintAdminKey } from '../../functions/bootstrap/admin-key.js';
import type { Deps } from '../../functions/runtime/deps.js';
import { freshDeps, startGateway, testClock } from '../support/dynamodb.js';
import { apiClient, storedItems } from './api-client.js';

/**
 * Recording a use (lastUsedAt) is best effort: when DynamoDB refuses that write (throttled, a
 * transaction conflict on the key item), the valid key still works, and the next use records it.
 * The fault is injected at the client: DynamoDB Local neither throttles nor conflicts on demand.
 */
const START = new Date('2026-11-23T12:00:00.000Z');
let deps: Deps;
let clock: ReturnType<typeof testClock>;
let gateway: Awaited<ReturnType<typeof startGateway>>;
let api: ReturnType<typeof apiClient>;
let failUseWrites: string | undefined;

beforeEach(async () => {
  clock = testClock(START);
  const base = await freshDeps({ clock: clock.now });
  const send = base.ddb.send.bind(base.ddb);
  failUseWrites = undefined;
  const ddb = Object.create(base.ddb) as Deps['ddb'];
  ddb.send = (async (command: unknown, ...rest: unknown[]) => {
    const update = command instanceof UpdateCommand ? command.input.UpdateExpression : undefined;
    if (failUseWrites && update?.includes('lastUsedAt = :now')) {
      throw Object.assign(new Error('injected'), { name: failUseWrites, $fault: 'client', $metadata: { httpStatusCode: 400 } });
    }
    return (send as (...a: unknown[]) => unknown)(command, ...rest);
  }) as Deps['ddb']['send'];
  deps = { ...base, ddb };
  gateway = await startGateway(deps);
  api = apiClient(gateway.url);
});

afterEach(() => gateway.close());

const lastUsedOf = async (id: string) => (await storedItems(deps)).find((item) => item.pk === `KEY#${id}`)?.lastUsedAt;

describe('recording a key use', () => {
  it.each(['ProvisionedThroughputExceededException', 'TransactionConflictException', 'ThrottlingException'])(
    'never refuses a valid key when the lastUsedAt write fails with %s, and records it on a later use',
    async (errorName) => {
      const admin = await mintAdminKey(deps);
      failUseWrites = errorName;
      const first = await api('GET', '/v1/catalog', { key: admin.key });
      expect(first.status).toBe(200);
      const verified = await api('POST', '/v1/keys/verify', { key: admin.key, body: { key: admin.key } });
      expect(verified.status).toBe(200);
      expect(verified.json.valid).toBe(true);
      expect(await lastUsedOf(admin.details.id)).toBeUndefined();

      failUseWrites = undefined;
      clock.advance(1_000);
      expect((await api('GET', '/v1/catalog', { key: admin.key })).status).toBe(200);
      expect(await lastUsedOf(admin.details.id)).toBe(clock().toISOString());
    },
  );
});
