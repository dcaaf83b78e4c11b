import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { AddressNotAllowedError, postPinned, resolveWebhookTarget, WebhookTimeoutError } from '../../../functions/channels/webhook-target.js';
import { checkWebhookUrl } from '../../../functions/channels/webhook-url.js';
import { LOCAL_WEBHOOK_RANGES } from '../../../dev/local-notifications.js';
import { webhookReceiver } from '../../support/notifications.js';

/** What the Lambda functions run with: no notification settings at all. */
const AWS_DEFAULT = {};
const LOCAL_RUN = { allowHttpWebhooks: true, privateWebhookRanges: LOCAL_WEBHOOK_RANGES };

describe('a webhook URL at channel creation, with the AWS default', () => {
  it.each([
    ['https://127.0.0.1/x', /127\.0\.0\.1 is a loopback address/],
    ['https://127.1.2.3:8443/x', /loopback/],
    ['https://2130706433/x', /127\.0\.0\.1 is a loopback address/],
    ['https://0x7f.1/x', /127\.0\.0\.1 is a loopback address/],
    ['https://10.0.0.5/x', /10\.0\.0\.5 is a private address \(RFC 1918\)/],
    ['https://172.16.4.1/x', /private address/],
    ['https://192.168.1.10/x', /private address/],
    ['https://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is a link-local address/],
    ['https://100.64.0.1/x', /CGNAT/],
    ['https://0.0.0.0/x', /unspecified/],
    ['https://224.0.0.1/x', /multicast/],
    ['https://255.255.255.255/x', /broadcast/],
    ['https://[::1]/x', /::1 is a loopback address/],
    ['https://[::]/x', /unspecified/],
    ['https://[fd00::1]/x', /unique local address/],
    ['https://[fe80::1]/x', /link-local/],
    ['https://[ff02::1]/x', /multicast/],
    ['https://[::ffff:127.0.0.1]/x', /loopback/],
    ['https://[::ffff:169.254.169.254]/x', /link-local/],
    ['https://[::ffff:10.0.0.1]/x', /private/],
    ['https://[64:ff9b::a00:1]/x', /special-purpose/],
    ['https://localhost/x', /"localhost" names a local or internal host/],
    ['https://LOCALHOST./x', /"localhost" names a local or internal host/],
    ['https://api.localhost/x', /local or internal host/],
    ['https://metadata.google.internal/computeMetadata/v1/', /local or internal host/],
    ['https://printer.local/x', /local or internal host/],
    ['https://intranet/x', /"intranet" names a local or internal host/],
  ])('refuses %s with a clear 400', (url, message) => {
    expect(() => checkWebhookUrl(AWS_DEFAULT, url)).toThrow(expect.objectContaining({ code: 'invalid_channel', message: expect.stringMatching(message) }));
  });

  it.each([
    ['https://hooks.example.com/services/T0/B0/xyz', 'https://hooks.example.com/services/T0/B0/xyz'],
    ['https://93.184.216.34/hook', 'https://93.184.216.34/hook'],
    ['https://[2606:4700:4700::1111]/hook', 'https://[2606:4700:4700::1111]/hook'],
  ])('accepts a public host: %s', (url, stored) => {
    expect(checkWebhookUrl(AWS_DEFAULT, url)).toBe(stored);
  });

  it('refuses plain http and credentials, as before', () => {
    expect(() => checkWebhookUrl(AWS_DEFAULT, 'http://hooks.example.com/x')).toThrow(/must use https/);
    expect(() => checkWebhookUrl(AWS_DEFAULT, 'https://u:p@hooks.example.com/x')).toThrow(/user name or password/);
  });
});

describe('a webhook URL at channel creation, in the local run', () => {
  it('accepts loopback receivers over http, and still refuses other private addresses', () => {
    expect(checkWebhookUrl(LOCAL_RUN, 'http://127.0.0.1:4000/hook')).toBe('http://127.0.0.1:4000/hook');
    expect(checkWebhookUrl(LOCAL_RUN, 'http://[::1]:4000/hook')).toBe('http://[::1]:4000/hook');
    expect(checkWebhookUrl(LOCAL_RUN, 'http://localhost:4000/hook')).toBe('http://localhost:4000/hook');
    expect(() => checkWebhookUrl(LOCAL_RUN, 'http://10.0.0.5/hook')).toThrow(/private address/);
    expect(() => checkWebhookUrl(LOCAL_RUN, 'http://169.254.169.254/')).toThrow(/link-local/);
  });

  // The local policy is the AWS one plus loopback written plainly (127.x.x.x, [::1], localhost).
  it.each([
    ['https://metadata.internal/', /local or internal host/],
    ['https://metadata.google.internal/computeMetadata/v1/', /local or internal host/],
    ['https://printer.local/x', /local or internal host/],
    ['https://intranet/x', /local or internal host/],
    ['https://0x7f000001/', /loopback/],
    ['https://2130706433/', /loopback/],
    ['https://0x7f.1/x', /loopback/],
    ['https://0177.0.0.1/x', /loopback/],
    ['https://[::ffff:127.0.0.1]/', /loopback/],
    ['https://[::ffff:7f00:1]/', /loopback/],
  ])('refuses %s as the AWS policy does', (url, message) => {
    expect(() => checkWebhookUrl(AWS_DEFAULT, url)).toThrow(expect.objectContaining({ code: 'invalid_channel', message: expect.stringMatching(message) }));
    expect(() => checkWebhookUrl(LOCAL_RUN, url)).toThrow(expect.objectContaining({ code: 'invalid_channel', message: expect.stringMatching(message) }));
  });

  it('refuses an IPv4-mapped loopback address at send time too', async () => {
    const mapped = async () => [{ address: '::ffff:127.0.0.1', family: 6 }];
    await expect(resolveWebhookTarget({ ...LOCAL_RUN, resolveHost: mapped }, new URL('http://receiver.test:4000/x'))).rejects.toBeInstanceOf(AddressNotAllowedError);
  });
});

describe('a webhook host at send time', () => {
  const resolving = (...addresses: string[]) => ({
    ...AWS_DEFAULT,
    resolveHost: async () => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
  });

  it('passes when every address the name resolves to is public', async () => {
    await expect(resolveWebhookTarget(resolving('93.184.216.34', '2606:2800:220:1::1'), new URL('https://hooks.example.com/x'))).resolves.toEqual([
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1::1', family: 6 },
    ]);
  });

  it.each([
    [['93.184.216.34', '10.0.0.5'], /hooks\.example\.com resolves to 10\.0\.0\.5, a private address/],
    [['169.254.169.254'], /link-local/],
    [['::ffff:127.0.0.1'], /loopback/],
    [['fd12:3456::1'], /unique local/],
  ])('is refused when one of %j is not public', async (addresses, message) => {
    await expect(resolveWebhookTarget(resolving(...addresses), new URL('https://hooks.example.com/x'))).rejects.toThrow(message);
    await expect(resolveWebhookTarget(resolving(...addresses), new URL('https://hooks.example.com/x'))).rejects.toBeInstanceOf(AddressNotAllowedError);
  });

  it('judges an IP literal without asking DNS', async () => {
    const asked: string[] = [];
    const policy = { resolveHost: async (host: string) => (asked.push(host), []) };
    await expect(resolveWebhookTarget(policy, new URL('https://93.184.216.34/x'))).resolves.toEqual([{ address: '93.184.216.34', family: 4 }]);
    await expect(resolveWebhookTarget(policy, new URL('https://[::1]/x'))).rejects.toBeInstanceOf(AddressNotAllowedError);
    expect(asked).toEqual([]);
  });

  it('allows the local ranges only where the local run turns them on', async () => {
    const url = new URL('http://receiver.test:4000/x');
    const loopback = async () => [{ address: '127.0.0.1', family: 4 }];
    await expect(resolveWebhookTarget({ resolveHost: loopback }, url)).rejects.toBeInstanceOf(AddressNotAllowedError);
    await expect(resolveWebhookTarget({ ...LOCAL_RUN, resolveHost: loopback }, url)).resolves.toHaveLength(1);
  });
});

describe('a webhook POST, pinned to vetted addresses', () => {
  const loopback = [{ address: '127.0.0.1', family: 4 }];
  const request = { headers: { 'content-type': 'application/json', 'webhook-id': 'msg_1' }, body: '{"type":"key.expiring"}', timeoutMs: 2_000 };

  it('connects to the pinned address, never to what the name would resolve to, and keeps the name in Host', async () => {
    const receiver = await webhookReceiver(204);
    try {
      const port = new URL(receiver.url).port;
      // A name no resolver knows: only the pinned address can have been reached.
      const status = await postPinned(new URL(`http://hooks.keygate.test:${port}/hook`), loopback, request);
      expect(status).toBe(204);
      expect(receiver.received).toHaveLength(1);
      expect(receiver.received[0]?.headers).toMatchObject({ host: `hooks.keygate.test:${port}`, 'webhook-id': 'msg_1', 'content-length': String(request.body.length) });
      expect(receiver.received[0]?.body).toBe(request.body);
    } finally {
      await receiver.close();
    }
  });

  it('answers a redirect with its status and does not follow it', async () => {
    const elsewhere = await webhookReceiver(204);
    const hook = await webhookReceiver(302, { location: elsewhere.url });
    try {
      expect(await postPinned(new URL(hook.url), loopback, request)).toBe(302);
      expect(hook.received).toHaveLength(1);
      expect(elsewhere.received).toEqual([]);
    } finally {
      await hook.close();
      await elsewhere.close();
    }
  });

  it('gives up when the receiver does not answer in time', async () => {
    const silent = createServer(() => {}); // reads the request, never answers
    await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
    try {
      const url = new URL(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/hook`);
      const started = Date.now();
      await expect(postPinned(url, loopback, { ...request, timeoutMs: 200 })).rejects.toBeInstanceOf(WebhookTimeoutError);
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});
