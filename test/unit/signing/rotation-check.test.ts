import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { checkRotation, ROTATION_GRACE_MS } from '../../../functions/signing/signing-key-rotation.js';

/**
 * The daily rotation check reads DescribeSecret only. A stub client answers it: moto sets
 * LastRotatedDate only by running a rotation, which invokes a Lambda function (no Docker here).
 */
const DAY = 86_400_000;
const interval = { rotationIntervalMs: 30 * DAY };
const now = new Date('2026-12-05T12:00:00Z');

function describing(answer: { RotationEnabled?: boolean; LastRotatedDate?: Date }) {
  const sent: unknown[] = [];
  const client = { send: async (command: { input: unknown }) => (sent.push(command.input), answer) } as unknown as SecretsManagerClient;
  return { client, sent };
}

describe('the signing-key rotation check', () => {
  it('is on time within the interval plus the grace, asking about the secret it was given', async () => {
    const { client, sent } = describing({ RotationEnabled: true, LastRotatedDate: new Date(now.getTime() - 30 * DAY - ROTATION_GRACE_MS + 60_000) });
    expect(await checkRotation(client, 'arn:secret', now, interval)).toMatchObject({ overdue: false });
    expect(sent).toEqual([{ SecretId: 'arn:secret' }]);
  });

  it('is overdue past the interval plus the grace (a rotation that keeps failing leaves LastRotatedDate behind)', async () => {
    const { client } = describing({ RotationEnabled: true, LastRotatedDate: new Date(now.getTime() - 30 * DAY - ROTATION_GRACE_MS - 60_000) });
    const check = await checkRotation(client, 'arn:secret', now, interval);
    expect(check).toMatchObject({ overdue: true, reason: expect.stringContaining('a rotation was due by') });
  });

  it('is overdue when the secret was never rotated or rotation is off', async () => {
    expect(await checkRotation(describing({ RotationEnabled: true }).client, 's', now, interval)).toMatchObject({ overdue: true, lastRotatedAt: null });
    expect(await checkRotation(describing({ RotationEnabled: false, LastRotatedDate: now }).client, 's', now, interval)).toMatchObject({
      overdue: true,
      reason: 'rotation is not enabled on the secret',
    });
  });
});
