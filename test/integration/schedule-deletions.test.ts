import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { localScheduleRoutes } from '../../dev/local-schedule-route.js';
import { type LocalNotifications, type LocalSchedules, startLocalNotifications } from '../../dev/local-notifications.js';
import { onScheduleDeleted } from '../../functions/reminders/handlers/schedule-deleted.js';
import { fireNotification } from '../../functions/reminders/notifier.js';
import { handleScheduleDeleted } from '../../functions/reminders/schedule-deletions.js';
import { routes } from '../../functions/routes.js';
import { clientConfig, withLocalNotifications } from '../support/notifications.js';
import { type KeygateWorld, keygateWorld } from '../support/world.js';
import { storedItems } from './api-client.js';

/**
 * A schedule deleted outside keygate cancels its notification (issue 14, item 9), end to end on
 * the local run's stand-ins: the key's notification is synced to a local schedule by the stream
 * reader, `DELETE /dev/schedules/{name}` deletes it as someone would in the AWS console, and the
 * deletion runs the same code the EventBridge rule invokes on AWS.
 */
let world: KeygateWorld;
let schedules: LocalSchedules;
let runner: LocalNotifications;
let channelId: string;

beforeEach(async () => {
  world = await keygateWorld([...routes, ...localScheduleRoutes()]);
  const local = withLocalNotifications(world.deps);
  Object.assign(world.deps, { notifications: local.deps.notifications });
  schedules = local.schedules;
  runner = await startLocalNotifications(world.deps, { clientConfig: clientConfig() });
  const channel = await world.api('POST', '/v1/channels', { key: world.admin, body: { name: 'alice-ops', type: 'operator', owner: 'alice' } });
  channelId = channel.json.id;
});

afterEach(async () => {
  await runner.stop();
  await world.close();
});

async function keyWithNotification() {
  const created = await world.api('POST', '/v1/keys', {
    key: world.admin,
    body: { name: 'billing', owner: 'alice', permissions: ['alerts:read'], expiresIn: 'P30D', notification: { at: 'P7D', channelId } },
  });
  expect(created.status).toBe(201);
  await runner.tick();
  const name = `key-${created.json.id}-own`;
  expect(await schedules.exists(name)).toBe(true);
  return { id: created.json.id as string, name, at: created.json.notification.at as string };
}

const details = async (id: string) => (await world.api('GET', `/v1/keys/${id}`, { key: world.admin })).json;

describe('a schedule deleted outside keygate', () => {
  it('cancels its notification: shown canceled, audited, never made again, never sent', async () => {
    const key = await keyWithNotification();
    const deleted = await world.api('DELETE', `/dev/schedules/${key.name}`);
    expect(deleted.status).toBe(200);
    expect(deleted.json).toMatchObject({ result: 'canceled', keyId: key.id, slot: 'own' });

    const shown = await details(key.id);
    expect(shown.notification).toMatchObject({ at: key.at, channelId, status: 'canceled', canceledAt: expect.any(String) });
    const audit = (await storedItems(world.deps)).filter((item) => item.action === 'notification.canceled');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ keyId: key.id, actor: { owner: 'keygate-schedule-watch' }, details: { slot: 'own', schedule: key.name } });

    // An unrelated edit: the stream brings the key to the sync, which must not make the schedule again.
    expect((await world.api('PATCH', `/v1/keys/${key.id}`, { key: world.admin, body: { description: 'edited' } })).status).toBe(200);
    await runner.tick();
    expect(await schedules.list()).toEqual([]);

    // Had a schedule fired anyway, the notifier drops a canceled notification.
    const rev = ((await storedItems(world.deps)).find((item) => item.pk === `KEY#${key.id}`) as { notification: { rev: string } }).notification.rev;
    world.clock.set(new Date(key.at));
    expect(await fireNotification(world.deps, { keyId: key.id, slot: 'own', rev })).toEqual({ result: 'dropped',
      detail: 'the notification was canceled' });
    expect((await world.api('GET', '/v1/operator-messages?owner=alice', { key: world.admin })).json.items).toEqual([]);
  });

  it('keeps the canceled notification in the history when the key gets a new one, which is scheduled again', async () => {
    const key = await keyWithNotification();
    await world.api('DELETE', `/dev/schedules/${key.name}`);
    const edited = await world.api('PATCH', `/v1/keys/${key.id}`, { key: world.admin, body: { notification: { at: 'P7D', channelId } } });
    expect(edited.status).toBe(200);
    expect(edited.json.notification.status).toBe('scheduled');
    expect(edited.json.notificationHistory).toEqual([expect.objectContaining({ at: key.at, status: 'canceled',
      detail: expect.stringContaining('deleted outside keygate') })]);
    await runner.tick();
    expect(await schedules.exists(key.name)).toBe(true);
  });

  it('answers 404 for a schedule that does not exist', async () => {
    expect((await world.api('DELETE', '/dev/schedules/key-AAAAAAAAAAAAAAAAAAAAAA-own')).status).toBe(404);
  });
});

describe("keygate's own deletions cancel nothing", () => {
  it('a notification removed by an edit: the sync deletes the schedule, the deletion finds the key no longer wants it', async () => {
    const key = await keyWithNotification();
    const edited = await world.api('PATCH', `/v1/keys/${key.id}`, { key: world.admin, body: { notification: null } });
    expect(edited.json.notificationHistory).toEqual([expect.objectContaining({ at: key.at, status: 'canceled' })]);
    await runner.tick();
    expect(await schedules.exists(key.name)).toBe(false);
    expect(await handleScheduleDeleted(world.deps, schedules, { name: key.name })).toEqual({ result: 'ignored', reason: 'not_wanted' });
    expect((await storedItems(world.deps)).filter((item) => item.action === 'notification.canceled')).toEqual([]);
  });

  it('a deletion whose schedule exists again by now, or that the event names as keygate’s, or that came at its time', async () => {
    const key = await keyWithNotification();
    expect(await handleScheduleDeleted(world.deps, schedules, { name: key.name })).toEqual({ result: 'ignored', reason: 'schedule_exists' });
    const [schedule] = await schedules.list();
    await schedules.remove(key.name);
    expect(await handleScheduleDeleted(world.deps, schedules, { name: key.name, byKeygate: true })).toEqual({ result: 'ignored',
      reason: 'deleted_by_keygate' });
    world.clock.set(new Date(key.at));
    expect(await handleScheduleDeleted(world.deps, schedules, { name: key.name })).toEqual({ result: 'ignored', reason: 'due' });
    expect(await handleScheduleDeleted(world.deps, schedules, { name: 'some-other-schedule' })).toEqual({ result: 'ignored',
      reason: 'not_a_keygate_schedule' });
    expect(schedule?.input.keyId).toBe(key.id);
    expect((await details(key.id)).notification.status).toBe('scheduled');
  });
});

describe('the AWS handler, with CloudTrail events as the rule delivers them', () => {
  const settings = { groupName: 'Keygate-Notifications-ScheduleGroup-X', syncRoleArn: 'arn:aws:iam::123456789012:role/Keygate-ScheduleSyncRole' };
  const event = (name: string, issuer: string, extra: Record<string, unknown> = {}) => ({
    detail: {
      eventName: 'DeleteSchedule',
      requestParameters: { name, groupName: settings.groupName },
      userIdentity: { arn: `${issuer}/session`, sessionContext: { sessionIssuer: { arn: issuer } } },
      ...extra,
    },
  });

  it("ignores the schedule sync's own deletions, failed calls and other groups, and cancels one made by anyone else", async () => {
    const key = await keyWithNotification();
    await schedules.remove(key.name);
    expect(await onScheduleDeleted(event(key.name, settings.syncRoleArn), world.deps, schedules, settings)).toEqual({ result: 'ignored',
      reason: 'deleted_by_keygate' });
    expect(await onScheduleDeleted(event(key.name, 'arn:aws:iam::123456789012:role/Admin', { errorCode: 'ResourceNotFoundException' }),
      world.deps, schedules, settings)).toBeUndefined();
    const otherGroup = event(key.name, 'arn:aws:iam::123456789012:role/Admin');
    otherGroup.detail.requestParameters.groupName = 'default';
    expect(await onScheduleDeleted(otherGroup, world.deps, schedules, settings)).toBeUndefined();
    expect((await details(key.id)).notification.status).toBe('scheduled');
    expect(await onScheduleDeleted(event(key.name, 'arn:aws:iam::123456789012:role/Admin'), world.deps, schedules,
      settings)).toMatchObject({ result: 'canceled' });
    expect((await details(key.id)).notification.status).toBe('canceled');
  });
});
