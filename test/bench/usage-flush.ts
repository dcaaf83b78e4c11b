import './bench-environment.js';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import { localDemoRoutes } from '../../dev/local-demo.js';
import { createGateway } from '../../dev/gateway.js';
import { routes } from '../../functions/routes.js';
import { flushUsage } from '../../functions/usage/usage-counts.js';
import { startBenchWorld } from './bench-world.js';

/**
 * DynamoDB writes per 1,000 verifications of one hot key at steady state, usage counts included
 * (functions/usage/usage-counts.ts): the demo API behind the keygate authorizer (cache off: every
 * request authenticates the key) in this process, loaded by autocannon for `seconds` (default 35,
 * three flush intervals and more), every DynamoDB call counted at the client. Prints one line per
 * kind of write. Not part of `npm run bench` (it would add half a minute for a figure that follows
 * from the flush interval): `node --import tsx test/bench/usage-flush.ts [seconds] [connections]`.
 */
const seconds = Number(process.argv[2] ?? 35);
const connections = Number(process.argv[3] ?? 10);

const world = await startBenchWorld();
try {
  const deps = { ...world.deps, tokens: world.tokens };
  const server = createGateway({ deps, routeTable: [...routes, ...localDemoRoutes({ cacheTtlSeconds: 0 })], throttles: 'off' });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/demo/alerts`;
  // Whatever the world's setup left pending is written first: the count starts from nothing held.
  await flushUsage();
  world.calls.reset();
  let ok = 0;
  await new Promise<autocannon.Result>((done, fail) => {
    const instance = autocannon(
      { url, connections, duration: seconds, headers: { authorization: `Bearer ${world.keys.subject.key}` } },
      (error, result) => (error ? fail(error) : done(result)),
    );
    // autocannon 9 emits (client, statusCode, ...); @types/autocannon types it without the client.
    (instance as NodeJS.EventEmitter).on('response', (_client: unknown, statusCode: number) => {
      if (statusCode === 200) ok++;
    });
  });
  const sent = world.calls.sent();
  const partitionOf = (input: Record<string, unknown>) => String((input.Key as { pk?: string } | undefined)?.pk);
  const usageWrites = sent.filter((c) => c.operation === 'UpdateItem' && partitionOf(c.input).startsWith('USAGE#'));
  const writes = sent.filter((c) => ['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems'].includes(c.operation));
  const per1000 = (n: number) => ((n / ok) * 1000).toFixed(3);
  console.log(`${ok} verifications of one key in ${seconds} s (${(ok / seconds).toFixed(0)}/s, ${connections} connections)`);
  console.log(`usage-count writes (UpdateItem USAGE#): ${usageWrites.length}, ${per1000(usageWrites.length)} per 1,000 verifications`);
  const useRecords = writes.length - usageWrites.length;
  console.log(`use records (UpdateItem KEY#, lastUsedAt): ${useRecords}, ${per1000(useRecords)} per 1,000`);
  console.log(`all writes: ${writes.length}, ${per1000(writes.length)} per 1,000; reads: ${sent.length - writes.length}`);
  server.close();
  server.closeAllConnections();
} finally {
  await world.close();
}
