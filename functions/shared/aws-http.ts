import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { CallTimeouts } from './bounded-calls.js';

/**
 * HTTP plumbing shared by keygate's AWS clients: no SDK client is made here.
 *
 * - `keepAliveAgents()`: one keep-alive pool, for the table's SDK client and its lean reader
 *   (functions/shared/dynamodb-lean.ts) alike. With a pool each, a function opened two connections
 *   to DynamoDB (two TCP, and on AWS two TLS, handshakes on a cold start) where one serves both.
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
