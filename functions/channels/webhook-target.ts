import { lookup } from 'node:dns/promises';
import { type LookupFunction, isIP } from 'node:net';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ChannelDeps, HostResolver } from './channel-deps.js';
import { hostOf, refusedAddress, type TargetPolicy } from './webhook-url.js';

/**
 * A webhook at send time (the notifier only): the URL's host is resolved, every address it
 * resolves to must be public (webhook-url.ts has the rule; one internal address refuses the whole
 * name, as a connection could go to it), and the request then connects to an address that
 * passed, pinned: DNS is not asked again, so an answer that changes between check and connect
 * (rebinding) reaches nothing.
 */
export interface ResolvedAddress {
  address: string;
  family: number;
}

/** The webhook's host resolves to an address webhooks may not reach. Its message is for the log only. */
export class AddressNotAllowedError extends Error {}

/** The receiver did not answer (status line and headers) in time. Its message is for the log only. */
export class WebhookTimeoutError extends Error {
  override name = 'WebhookTimeoutError';
}

const systemResolver: HostResolver = (hostname) => lookup(hostname, { all: true });

/**
 * Every address the URL's host stands for (the literal itself, or what the host name resolves
 * to), each one allowed; otherwise AddressNotAllowedError. A failed resolution throws the
 * resolver's error.
 */
export async function resolveWebhookTarget(policy: TargetPolicy & Pick<ChannelDeps, 'resolveHost'>, url: URL): Promise<ResolvedAddress[]> {
  const host = hostOf(url);
  const family = isIP(host);
  const addresses = family !== 0 ? [{ address: host, family }] : await (policy.resolveHost ?? systemResolver)(host);
  if (addresses.length === 0) throw new Error(`${host} resolved to no address`);
  for (const { address } of addresses) {
    const reason = refusedAddress(policy, address);
    if (reason !== undefined) throw new AddressNotAllowedError(`${host} resolves to ${address}, ${reason}`);
  }
  return addresses;
}

/**
 * A `lookup` for node:net that answers with these (vetted) addresses and never asks DNS: what
 * was checked is what is reached. Node's connect calls it with `all` (happy eyeballs) or without.
 */
function pinnedLookup(addresses: ResolvedAddress[]): LookupFunction {
  const [first] = addresses;
  if (first === undefined) throw new Error('no address to pin');
  return (_hostname, options, callback) => {
    if (options.all === true) (callback as (error: null, addresses: ResolvedAddress[]) => void)(null, addresses);
    else callback(null, first.address, first.family);
  };
}

export interface WebhookRequest {
  headers: Record<string, string>;
  body: string;
  /** The whole exchange up to the response's status line; then WebhookTimeoutError. */
  timeoutMs: number;
}

/**
 * POSTs to the URL over a fresh connection (no pooled socket) to one of `addresses`, and resolves
 * the response's status. Redirects are never followed (node:http does not), and the response body
 * is not read. TLS still verifies the certificate against the URL's host name: node:https takes
 * the server name from the URL, not from the address it connects to. Socket and TLS errors reject
 * as node:net raised them (with their `code`).
 */
export function postPinned(url: URL, addresses: ResolvedAddress[], request: WebhookRequest): Promise<number> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const outgoing = send(
      url,
      {
        method: 'POST',
        headers: { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) },
        lookup: pinnedLookup(addresses),
        agent: false,
      },
      (response) => {
        clearTimeout(timer);
        resolve(response.statusCode ?? 0);
        response.destroy();
      },
    );
    const timer = setTimeout(() => outgoing.destroy(new WebhookTimeoutError(`no answer within ${request.timeoutMs} ms`)), request.timeoutMs);
    outgoing.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    outgoing.end(request.body);
  });
}
