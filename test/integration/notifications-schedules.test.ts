import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mintAdminKey } from '../../functions/bootstrap/admin-key.js';
import { SesEmail } from '../../functions/channels/ses-email.js';
import { EventBridgeSchedules } from '../../functions/reminders/eventbridge-schedules.js';
import { notify as notifyHandler } from '../../functions/reminders/handlers/notifier.js';
import { syncSchedules as syncHandler } from '../../functions/reminders/handlers/sync-schedules.js';
import type { Deps } from '../../functions/runtime/deps.js';
import { LOCAL_WEBHOOK_RANGES } from '../../dev/local-notifications.js';
import { freshDeps, startGateway, testClock } from '../support/dynamodb.js';
import { streamReader, webhookReceiver } from '../support/notifications.js';
import { apiClient, storedItems } from './api-client.js';
import { functionTableAccess } from '../../functions/contract/table-access.js';
import { withTableAccess } from '../support/table-access-guard.js';

/** The notifier as deployed: held to its role's table grants (functions/contract/table-access.ts). */
const notify = (...args: Parameters<typeof notifyHandler>) => withTableAccess('Notifier', functionTableAccess.notifier, () => notifyHandler(...args));
const syncSchedules = (...args: Parameters<typeof syncHandler>) =>
  withTableAccess('ScheduleSync', functionTableAccess.scheduleSync, () => syncHandler(...args));

/**
 * The AWS path against DynamoDB Local, with only EventBridge Scheduler and SES mocked at the SDK
 * boundary: API writes → the table's real stream (DynamoDB Local's) → the schedule-sync Lambda
 * handler → Scheduler requests; a schedule's input → the notifier Lambda handler → SES requests.
 * The Scheduler mock keeps schedules by name like the service (create conflicts, update and
 * delete of a missing one fail), so tests can assert what exists, not only what was called.
 */
const START = new Date('2026-11-23T12:00:00.000Z');
const SETTINGS = {
  groupName: 'keygate-notifications',
  roleArn: 'arn:aws:iam::111122223333:role/keygate-scheduler',
  notifierArn: 'arn:aws:lambda:eu-west-1:111122223333:function:keygate-notifier',
  deadLetterArn: 'arn:aws:sqs:eu-west-1:111122223333:keygate-dlq',
};

const scheduler = mockClient(SchedulerClient);
const ses = mockClient(SESv2Client);
let schedules: Map<string, CreateScheduleCommandInput>;
/** Errors the next Scheduler calls throw, in order (throttling, a 5xx, a timeout). */
let failures: Error[];

let deps: Deps;
let clock: ReturnType<typeof testClock>;
let gateway: Awaited<ReturnType<typeof startGateway>>;
let api: ReturnType<typeof apiClient>;
let admin: string;
let readStream: ReturnType<typeof streamReader>;

function failure(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: 'server', $metadata: { httpStatusCode: 500 } });
}

beforeEach(async () => {
  schedules = new Map();
  failures = [];
  const failIfTold = () => {
    const next = failures.shift();
    if (next) throw next;
  };
  scheduler.reset();
  scheduler.on(CreateScheduleCommand).callsFake((input: CreateScheduleCommandInput) => {
    failIfTold();
    if (schedules.has(`${input.GroupName}/${input.Name}`)) throw new ConflictException({ message: `Schedule ${input.Name} already exists.`, Message: `Schedule ${input.Name} already exists.`, $metadata: {} });
    schedules.set(`${input.GroupName}/${input.Name}`, input);
    return { ScheduleArn: `arn:aws:scheduler:eu-west-1:111122223333:schedule/${input.GroupName}/${input.Name}` };
  });
  scheduler.on(UpdateScheduleCommand).callsFake((input: CreateScheduleCommandInput) => {
    failIfTold();
    if (!schedules.has(`${input.GroupName}/${input.Name}`)) throw new ResourceNotFoundException({ message: 'Schedule not found.', Message: 'Schedule not found.', $metadata: {} });
    schedules.set(`${input.GroupName}/${input.Name}`, input);
    return { ScheduleArn: 'arn' };
  });
  scheduler.on(DeleteScheduleCommand).callsFake((input: { Name: string; GroupName: string }) => {
    failIfTold();
    if (!schedules.delete(`${input.GroupName}/${input.Name}`)) throw new ResourceNotFoundException({ message: 'Schedule not found.', Message: 'Schedule not found.', $metadata: {} });
    return {};
  });
  ses.reset();
  ses.on(SendEmailCommand).resolves({ MessageId: 'ses-message-1' });

  clock = testClock(START);
  const base = await freshDeps({ clock: clock.now });
  deps = {
    ...base,
    notifications: {
      schedules: new EventBridgeSchedules(SETTINGS, clock.now, new SchedulerClient({ region: 'eu-west-1' })),
      email: new SesEmail(base.config.notifications.emailFrom, new SESv2Client({ region: 'eu-west-1' })),
    },
  };
  gateway = await startGateway(deps);
  api = apiClient(gateway.url);
  admin = (await mintAdminKey(deps)).key;
  readStream = streamReader(deps.tableName);
  await sync(); // the admin key's own changes
});

afterEach(async () => {
  await gateway.close();
});

/** Delivers everything new on the stream to the sync handler, as the event source does: a failed record and all after it are retried. */
async function sync(options: { retries?: number } = {}) {
  let event = await readStream();
  const results = [];
  for (let attempt = 0; attempt <= (options.retries ?? 0); attempt++) {
    const result = await syncSchedules(event, deps);
    results.push(result);
    const failed = result.batchItemFailures[0]?.itemIdentifier;
    if (failed === undefined) break;
    event = { Records: event.Records.slice(event.Records.findIndex((r) => r.dynamodb?.SequenceNumber === failed)) };
  }
  return results;
}

const storedKey = async (id: string) => (await storedItems(deps)).find((i) => i.pk === `KEY#${id}`) as Record<string, any>;
async function channel(body: Record<string, unknown>) {
  const response = await api('POST', '/v1/channels', { key: admin, body });
  expect(response.status).toBe(201);
  return response.json;
}
async function keyWith(notification: unknown, name = 'ci-deploy') {
  const response = await api('POST', '/v1/keys', { key: admin, body: { name, owner: 'alice', permissions: ['alerts:read'], expiresIn: 'P30D', notification } });
  expect(response.status).toBe(201);
  return response.json;
}
const scheduleOf = (keyId: string, slot = 'own') => schedules.get(`${SETTINGS.groupName}/key-${keyId}-${slot}`);

describe('schedules follow the key', () => {
  it('creates one one-shot schedule with the exact request for a key notification', async () => {
    const ops = await channel({ type: 'operator', name: 'ops' });
    const key = await keyWith({ at: '2026-12-16T09:30:00Z', channelId: ops.id });
    await sync();
    const rev = (await storedKey(key.id)).notification.rev;
    expect(scheduler.commandCalls(CreateScheduleCommand).map((c) => c.args[0].input)).toEqual([
      {
        Name: `key-${key.id}-own`,
        GroupName: 'keygate-notifications',
        Description: `keygate expiry notification own of key ${key.id}`,
        ScheduleExpression: 'at(2026-12-16T09:30:00)',
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        State: 'ENABLED',
        Target: {
          Arn: SETTINGS.notifierArn,
          RoleArn: SETTINGS.roleArn,
          Input: JSON.stringify({ keyId: key.id, slot: 'own', rev }),
          RetryPolicy: { MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 21_600 },
          DeadLetterConfig: { Arn: SETTINGS.deadLetterArn },
        },
      },
    ]);
    expect(schedules.size).toBe(1);
  });

  it('reschedules a changed notification in place, deletes a cancelled one, and makes no call for other changes', async () => {
    const ops = await channel({ type: 'operator', name: 'ops' });
    const key = await keyWith({ at: 'P7D', channelId: ops.id });
    await sync();
    const used = await api('POST', '/v1/keys', { key: admin, body: { name: 'other', permissions: ['alerts:read'], notification: null } });
    expect(used.status).toBe(201);
    clock.advance(120_000);
    expect((await api('GET', '/v1/catalog', { key: used.json.key })).status).toBe(200); // a lastUsedAt write
    expect((await api('PATCH', `/v1/keys/${key.id}`, { key: admin, body: { description: 'just words' } })).status).toBe(200);
    scheduler.resetHistory();
    await sync();
    expect(scheduler.calls()).toHaveLength(0);

    expect((await api('PATCH', `/v1/keys/${key.id}`, { key: admin, body: { notification: { at: 'P2D', channelId: ops.id } } })).status).toBe(200);
    await sync();
    expect(scheduler.commandCalls(UpdateScheduleCommand)).toHaveLength(1);
    expect(schedules.size).toBe(1);
    expect(scheduleOf(key.id)).toMatchObject({
      ScheduleExpression: 'at(2026-12-21T12:00:00)',
      Target: { Input: JSON.stringify({ keyId: key.id, slot: 'own', rev: (await storedKey(key.id)).notification.rev }) },
    });

    expect((await api('PATCH', `/v1/keys/${key.id}`, { key: admin, body: { notification: null } })).status).toBe(200);
    await sync();
    expect(scheduler.commandCalls(DeleteScheduleCommand).map((c) => c.args[0].input)).toEqual([{ Name: `key-${key.id}-own`, GroupName: 'keygate-notifications' }]);
    expect(schedules.size).toBe(0);
  });

  it('deletes the schedules of a deleted key', async () => {
    await channel({ type: 'operator', name: 'operators' });
    const key = await keyWith(undefined);
    await sync();
    expect([...schedules.keys()].sort()).toEqual([`keygate-notifications/key-${key.id}-default-0`, `keygate-notifications/key-${key.id}-default-1`]);
    expect(scheduleOf(key.id, 'default-0')?.ScheduleExpression).toBe('at(2026-12-16T12:00:00)');
    expect(scheduleOf(key.id, 'default-1')?.ScheduleExpression).toBe('at(2026-12-22T12:00:00)');
    expect((await api('DELETE', `/v1/keys/${key.id}`, { key: admin })).status).toBe(204);
    await sync();
    expect(schedules.size).toBe(0);
  });

  it('gives a notification set again after it fired a new schedule', async () => {
    const ops = await channel({ type: 'operator', name: 'ops' });
    const key = await keyWith({ at: '2026-11-30T12:00:00Z', channelId: ops.id });
    await sync();
    const fired = JSON.parse(scheduleOf(key.id)?.Target?.Input ?? '{}');
    clock.set(new Date('2026-11-30T12:00:00Z'));
    expect(await notify(fired, deps)).toEqual({ result: 'sent' });
    schedules.clear(); // ActionAfterCompletion: DELETE
    await sync();
    expect((await api('GET', `/v1/keys/${key.id}`, { key: admin })).json.notification).toMatchObject({ status: 'sent', firedAt: '2026-11-30T12:00:00.000Z' });

    const again = await api('PATCH', `/v1/keys/${key.id}`, { key: admin, body: { notification: { at: '2026-12-10T12:00:00Z', channelId: ops.id } } });
    expect(again.json.notification).toMatchObject({ status: 'scheduled', firedAt: null });
    await sync();
    const input = JSON.parse(scheduleOf(key.id)?.Target?.Input ?? '{}');
    expect(input.rev).not.toBe(fired.rev);
    expect(scheduleOf(key.id)?.ScheduleExpression).toBe('at(2026-12-10T12:00:00)');
  });
});

describe('convergence when Scheduler calls fail', () => {
  it('a failed create is retried from the stream and leaves exactly one schedule, matching the key', async () => {
    const ops = await channel({ type: 'operator', name: 'ops' });
    const key = await keyWith({ at: 'P7D', channelId: ops.id });
    failures = [failure('ThrottlingException', 'Rate exceeded'), failure('InternalServerException', 'Internal error')];
    const results = await sync({ retries: 5 });
    expect(results.slice(0, 2).map((r) => r.batchItemFailures.length)).toEqual([1, 1]);
    expect(results.at(-1)?.batchItemFailures).toEqual([]);
    expect([...schedules.keys()]).toEqual([`keygate-notifications/key-${key.id}-own`]);
    const stored = (await storedKey(key.id)).notification;
    expect(scheduleOf(key.id)).toMatchObject({ ScheduleExpression: `at(${stored.at.slice(0, 19)})`, Target: { Input: JSON.stringify({ keyId: key.id, slot: 'own', rev: stored.rev }) } });
  });

  it('changes that pile up while the Scheduler fails converge to the latest state, never to a stale one', async () => {
    const ops = await channel({ type: 'operator', name: 'ops' });
    const key = await keyWith({ at: 'P7D', channelId: ops.id });
    expect((await api('PATCH', `/v1/keys/${key.id}`, { key: admin, body: { notification: { at: 'P3D', channelId: ops.id } } })).status).toBe(200);
    expect((await api('PATCH', `/v1/keys/${key.id}`, { key: admin, body: { notification: { at: 'P5D', channelId: ops.id } } })).status).toBe(200);
    failures = [failure('TimeoutError', 'socket timed out')];
    await sync({ retries: 3 });
    const stored = (await storedKey(key.id)).notification;
    expect(stored.before).toBe('P5D');
    expect([...schedules.values()].map((s) => [s.ScheduleExpression, JSON.parse(s.Target?.Input ?? '{}').rev])).toEqual([['at(2026-12-18T12:00:00)', stored.rev]]);
  });

  it('a delete that fails is retried until the schedule is gone', async () => {
    const ops = await channel({ type: 'operator', name: 'ops' });
    const key = await keyWith({ at: 'P7D', channelId: ops.id });
    await sync();
    expect((await api('DELETE', `/v1/keys/${key.id}`, { key: admin })).status).toBe(204);
    failures = [failure('ServiceUnavailableException', 'unavailable')];
    const results = await sync({ retries: 2 });
    expect(results[0]?.batchItemFailures).toHaveLength(1);
    expect(schedules.size).toBe(0);
  });

  it('a schedule made after its time has passed fires a minute from now instead of being refused', async () => {
    const ops = await channel({ type: 'operator', name: 'ops' });
    const key = await keyWith({ at: '2026-11-23T12:05:00Z', channelId: ops.id });
    clock.set(new Date('2026-11-23T12:07:30.250Z')); // the sync was failing all that time
    await sync();
    expect(scheduleOf(key.id)?.ScheduleExpression).toBe('at(2026-11-23T12:08:31)');
  });
});

describe('the notifier', () => {
  it('sends an email channel message through SES with the exact request, and never a secret', async () => {
    const owners = await channel({ type: 'email', name: 'owners', addresses: ['alice@example.com', 'ops@example.com'] });
    const created = await keyWith({ at: 'P7D', channelId: owners.id });
    await sync();
    clock.set(new Date('2026-12-16T12:00:20Z'));
    expect(await notify(JSON.parse(scheduleOf(created.id)?.Target?.Input ?? '{}'), deps)).toEqual({ result: 'sent' });
    const calls = ses.commandCalls(SendEmailCommand);
    expect(calls).toHaveLength(1);
    const request = calls[0]?.args[0].input;
    expect(request).toEqual({
      FromEmailAddress: 'keygate@example.com',
      Destination: { ToAddresses: ['alice@example.com', 'ops@example.com'] },
      Content: {
        Simple: {
          Subject: { Data: 'keygate: API key "ci-deploy" of alice expires in 7 days', Charset: 'UTF-8' },
          Body: { Text: { Data: expect.any(String), Charset: 'UTF-8' } },
        },
      },
    });
    const text = request?.Content?.Simple?.Body?.Text?.Data ?? '';
    expect(text).toContain(`The keygate API key "ci-deploy" (id ${created.id}, owner alice) expires at 2026-12-23T12:00:00.000Z (UTC), in 7 days.`);
    expect(text).toContain('Why: it reaches its fixed expiry date (expiresAt)');
    expect(text).toContain(`DELETE /v1/keys/${created.id}`);
    expect(text).not.toContain(created.key);
    expect(text).not.toContain(created.key.slice(-49, -6));
    expect(text).not.toContain((await storedKey(created.id)).secretHash);

    // Fired twice (a Scheduler retry): sent once.
    expect(await notify(JSON.parse(scheduleOf(created.id)?.Target?.Input ?? '{}'), deps)).toMatchObject({ result: 'dropped' });
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1);
  });

  it('says when a key expires for inactivity first, and what keeps it alive', async () => {
    const owners = await channel({ type: 'email', name: 'owners', addresses: ['alice@example.com'] });
    const response = await api('POST', '/v1/keys', { key: admin, body: { name: 'idle', owner: 'alice', permissions: ['alerts:read'], expiresIn: 'P6M', notification: { at: '2027-02-20T12:00:00Z', channelId: owners.id } } });
    await sync();
    clock.set(new Date('2027-02-20T12:00:00Z'));
    expect(await notify(JSON.parse(scheduleOf(response.json.id)?.Target?.Input ?? '{}'), deps)).toEqual({ result: 'sent' });
    const text = ses.commandCalls(SendEmailCommand)[0]?.args[0].input.Content?.Simple?.Body?.Text?.Data ?? '';
    expect(text).toContain('expires at 2027-02-23T12:00:00.000Z (UTC), in 3 days');
    expect(text).toContain(`Why: it has not been used since ${START.toISOString()}`);
    expect(text).toContain('keep this one alive by using it');
  });

  it('sends nothing for a key deleted while its schedule is in flight', async () => {
    const receiver = await webhookReceiver();
    try {
      deps.notifications = { ...deps.notifications, allowHttpWebhooks: true, privateWebhookRanges: LOCAL_WEBHOOK_RANGES };
      const hook = await channel({ type: 'webhook', name: 'hook', url: receiver.url });
      const owners = await channel({ type: 'email', name: 'owners', addresses: ['alice@example.com'] });
      const byHook = await keyWith({ at: 'P7D', channelId: hook.id }, 'by-hook');
      const byMail = await keyWith({ at: 'P7D', channelId: owners.id }, 'by-mail');
      await sync();
      const inFlight = [JSON.parse(scheduleOf(byHook.id)?.Target?.Input ?? '{}'), JSON.parse(scheduleOf(byMail.id)?.Target?.Input ?? '{}')];
      // The schedules fire while the deletes are being committed; the notifier reads after them.
      clock.set(new Date('2026-12-16T12:00:00Z'));
      for (const key of [byHook, byMail]) expect((await api('DELETE', `/v1/keys/${key.id}`, { key: admin })).status).toBe(204);
      for (const input of inFlight) expect(await notify(input, deps)).toEqual({ result: 'dropped', detail: 'the key is revoked' });
      expect(receiver.received).toEqual([]);
      expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
    } finally {
      await receiver.close();
    }
  });

  it('drops a stale schedule: the notification changed after it was made', async () => {
    const owners = await channel({ type: 'email', name: 'owners', addresses: ['alice@example.com'] });
    const key = await keyWith({ at: 'P7D', channelId: owners.id });
    await sync();
    const stale = JSON.parse(scheduleOf(key.id)?.Target?.Input ?? '{}');
    expect((await api('PATCH', `/v1/keys/${key.id}`, { key: admin, body: { notification: { at: 'P1D', channelId: owners.id } } })).status).toBe(200);
    clock.set(new Date('2026-12-16T12:00:00Z'));
    expect(await notify(stale, deps)).toMatchObject({ result: 'dropped', detail: expect.stringContaining('changed or cancelled') });
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
  });

  it('records a failed delivery and a deleted channel on the key instead of throwing', async () => {
    ses.on(SendEmailCommand).rejects(Object.assign(new Error('Email address is not verified.'), { name: 'MessageRejected' }));
    const owners = await channel({ type: 'email', name: 'owners', addresses: ['alice@example.com'] });
    const ops = await channel({ type: 'operator', name: 'ops' });
    const failing = await keyWith({ at: 'P7D', channelId: owners.id }, 'failing');
    const orphan = await keyWith({ at: 'P7D', channelId: ops.id }, 'orphan');
    await sync();
    expect((await api('DELETE', `/v1/channels/${ops.id}`, { key: admin })).status).toBe(204);
    clock.set(new Date('2026-12-16T12:00:00Z'));
    expect(await notify(JSON.parse(scheduleOf(failing.id)?.Target?.Input ?? '{}'), deps)).toMatchObject({ result: 'failed' });
    expect(await notify(JSON.parse(scheduleOf(orphan.id)?.Target?.Input ?? '{}'), deps)).toMatchObject({ result: 'dropped' });
    expect((await api('GET', `/v1/keys/${failing.id}`, { key: admin })).json.notification).toMatchObject({
      status: 'failed',
      detail: 'the email could not be sent: MessageRejected: Email address is not verified.',
    });
    expect((await api('GET', `/v1/keys/${orphan.id}`, { key: admin })).json.notification).toMatchObject({ status: 'dropped', detail: `the channel ${ops.id} was deleted` });
  });

  it('refuses an input that is not a notification', async () => {
    await expect(notify({ keyId: 'x', slot: 'own', rev: 'r' }, deps)).rejects.toThrow();
    await expect(notify({ keyId: '0000000000000000000000', slot: 'own', rev: 'r', extra: 1 }, deps)).rejects.toThrow();
  });
});

describe('the adapters as the Lambda functions build them (no client given)', () => {
  it('make their SDK client on first use and keep it for later calls', async () => {
    scheduler.resetHistory();
    const adapter = new EventBridgeSchedules(SETTINGS, clock.now);
    const schedule = { name: 'k-own', at: '2026-12-01T00:00:00.000Z', input: { keyId: '0000000000000000000000', slot: 'own' as const, rev: 'r1' } };
    await adapter.put(schedule);
    await adapter.remove(schedule.name);
    expect(scheduler.calls().map((c) => c.args[0].constructor.name)).toEqual(['CreateScheduleCommand', 'DeleteScheduleCommand']);
    expect(new Set(scheduler.calls().map((c) => c.thisValue)).size).toBe(1);

    const email = new SesEmail('keygate@example.com');
    await email.send({ to: ['ops@example.com'], subject: 's', text: 't' });
    expect(ses.commandCalls(SendEmailCommand)[0]?.args[0].input).toMatchObject({ FromEmailAddress: 'keygate@example.com', Destination: { ToAddresses: ['ops@example.com'] } });
  });
});
