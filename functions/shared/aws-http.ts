import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Readable } from 'node:stream';
import { streamCollector } from '@smithy/node-http-handler';
import type { CallTimeouts } from './bounded-calls.js';

/**
 * HTTP plumbing shared by keygate's AWS clients: no SDK client is made here.
 *
 * - `keepAliveAgents()`: one keep-alive pool, for the table's SDK client and its lean reader
 *   (functions/shared/dynamodb-lean.ts) alike. With a pool each, a function opened two connections
 *   to DynamoDB (two TCP, and on AWS two TLS, handshakes on a cold start) where one serves both.
 * - `collectBody`: the SDK's response body collector without its first-use cost. The SDK's own
 *   (@smithy/core's streamCollector) first asks whether the body is a web ReadableStream or a
 *   Blob; in Node 20 touching those globals loads the web streams implementation, some 4 ms of
 *   CPU on a function's first AWS call. The Node handler's body is always an IncomingMessage.
 */
export interface KeepAliveAgents {
  httpAgent: HttpAgent;
  httpsAgent: HttpsAgent;
}

/** A fresh pair: one per SDK client (and its lean reader), destroyed with it. */
export function keepAliveAgents(): KeepAliveAgents {
  // Lambda runs one request at a time per process; the local gateway and the bench many.
  const options = { keepAlive: true, maxSockets: 64, maxFreeSockets: 16, scheduling: 'lifo' as const };
  return { httpAgent: new HttpAgent(options), httpsAgent: new HttpsAgent(options) };
}

/** An SDK client's `requestHandler` options: bounded as `timeouts` say, over `agents` when given. */
export function requestHandlerOptions(timeouts: CallTimeouts, agents?: KeepAliveAgents) {
  // throwOnRequestTimeout: without it the SDK only warns when an attempt passes requestTimeout.
  return { connectionTimeout: timeouts.connectionTimeoutMs, requestTimeout: timeouts.requestTimeoutMs, throwOnRequestTimeout: true, ...agents };
}

/** The SDK's `streamCollector` for a Node response; anything else goes to the SDK's own. */
export function collectBody(stream: unknown): Promise<Uint8Array> {
  if (!(stream instanceof Readable)) return streamCollector(stream as Parameters<typeof streamCollector>[0]);
  return new Promise((done, fail) => {
    const chunks: Uint8Array[] = [];
    let length = 0;
    stream.on('data', (chunk: Uint8Array | string) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      chunks.push(bytes);
      length += bytes.byteLength;
    });
    stream.once('error', fail);
    stream.once('end', () => {
      // A plain Uint8Array, as the SDK's collector gives: the SDK re-prototypes what it gets.
      const body = new Uint8Array(length);
      let offset = 0;
      for (const bytes of chunks) {
        body.set(bytes, offset);
        offset += bytes.byteLength;
      }
      done(body);
    });
  });
}
