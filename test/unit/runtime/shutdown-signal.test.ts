import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { logger } from '../../../functions/observability/logger.js';
import { flushOnShutdown } from '../../../functions/runtime/shutdown-signal.js';

/**
 * The internal extension that makes Lambda send SIGTERM (functions/runtime/shutdown-signal.ts),
 * against a stand-in for the Runtime API's Extensions API: the registration it sends, the next-event
 * request that keeps init going, and the flush on SIGTERM.
 */
const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
  vi.restoreAllMocks();
});

async function extensionsApi(answer: { status: number; id?: string }) {
  const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const headers = answer.id === undefined ? {} : { 'Lambda-Extension-Identifier': answer.id };
      if (req.url?.endsWith('/register')) res.writeHead(answer.status, headers).end('{}');
      // /event/next: never answered, as Lambda never answers an extension registered for no events.
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => server.close() && server.closeAllConnections());
  return { runtimeApi: `127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function hooks() {
  const signals = new EventEmitter();
  const flush = vi.fn(async () => {});
  const exit = vi.fn();
  return { signals: signals as unknown as Pick<NodeJS.Process, 'once'>, emitter: signals, flush, exit };
}

describe('the shutdown extension', () => {
  it('registers for no events, asks for its next event with its id, and on SIGTERM flushes the usage counts, then exits', async () => {
    const api = await extensionsApi({ status: 200, id: 'ext-123' });
    const h = hooks();
    expect(await flushOnShutdown(api.runtimeApi, h)).toBe(true);
    await vi.waitFor(() => expect(api.seen).toHaveLength(2));
    expect(api.seen[0]).toMatchObject({ method: 'POST', url: '/2020-01-01/extension/register', body: '{"events":[]}' });
    expect(api.seen[0]?.headers['lambda-extension-name']).toBe('keygate-usage-flush');
    expect(api.seen[1]).toMatchObject({ method: 'GET', url: '/2020-01-01/extension/event/next' });
    expect(api.seen[1]?.headers['lambda-extension-identifier']).toBe('ext-123');

    expect(h.flush).not.toHaveBeenCalled();
    h.emitter.emit('SIGTERM');
    await vi.waitFor(() => expect(h.exit).toHaveBeenCalledWith(0));
    expect(h.flush).toHaveBeenCalledOnce();
  });

  it('exits within its deadline when the flush hangs, before Lambda kills the process', async () => {
    const api = await extensionsApi({ status: 200, id: 'ext-1' });
    const h = hooks();
    h.flush.mockImplementation(() => new Promise(() => {}));
    await flushOnShutdown(api.runtimeApi, h);
    const started = performance.now();
    h.emitter.emit('SIGTERM');
    await vi.waitFor(() => expect(h.exit).toHaveBeenCalledWith(0), { timeout: 2_000 });
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('does nothing outside Lambda, and goes on without SIGTERM (logged) when the registration is refused', async () => {
    const h = hooks();
    expect(await flushOnShutdown(undefined, h)).toBe(false);
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => {});
    const api = await extensionsApi({ status: 403 });
    expect(await flushOnShutdown(api.runtimeApi, h)).toBe(false);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('could not register the shutdown extension'), expect.anything());
    h.emitter.emit('SIGTERM');
    expect(h.flush).not.toHaveBeenCalled();
  });
});
