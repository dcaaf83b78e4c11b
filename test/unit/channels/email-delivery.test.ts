import { describe, expect, it } from 'vitest';
import { DeliveryError, deliver } from '../../../functions/channels/delivery.js';
import type { Channel } from '../../../functions/channels/channel-store.js';
import type { NotificationMessage } from '../../../functions/channels/channel-message.js';
import type { Deps } from '../../../functions/runtime/deps.js';
import { deploymentConfig } from '../../../functions/deployment-config.js';
import { systemClock } from '../../../functions/shared/clock.js';

/**
 * Email when the deployment set up no SES sender (the stack's emailSender): the notification
 * fails with a reason people can act on (a DeliveryError: outcome `failed`, counted in
 * NotificationsFailed, which has an alarm), never an unexplained error nor a made-up sender.
 */
const channel: Channel = {
  id: 'ch_1',
  name: 'ops',
  owner: 'alice',
  type: 'email',
  addresses: ['ops@example.org'],
  createdAt: '2026-11-23T12:00:00.000Z',
  createdBy: { owner: 'alice', keyId: 'k0' },
};
const message = { id: 'n1', subject: 'Key k1 expires soon', text: 'soon', payload: {} } as unknown as NotificationMessage;

describe('email delivery', () => {
  it('fails as a delivery failure naming the missing setting when the deployment has no email sender', async () => {
    const deps = { ddb: {} as Deps['ddb'], tableName: 't', clock: systemClock, config: deploymentConfig, notifications: {} } as Deps;
    const sending = deliver(deps, channel, { id: 'k1', owner: 'alice' }, message);
    await expect(sending).rejects.toBeInstanceOf(DeliveryError);
    await expect(sending).rejects.toThrow(/email is not set up in this deployment.*emailSender/);
  });

  it('sends through the configured sender when there is one', async () => {
    const sent: unknown[] = [];
    const deps = { ddb: {} as Deps['ddb'], tableName: 't', clock: systemClock, config: deploymentConfig, notifications: { email: { send: async (m: unknown) => void sent.push(m) } } } as Deps;
    await deliver(deps, channel, { id: 'k1', owner: 'alice' }, message);
    expect(sent).toEqual([{ to: ['ops@example.org'], subject: 'Key k1 expires soon', text: 'soon' }]);
  });
});
