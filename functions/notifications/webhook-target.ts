import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent } from 'undici';
import { ValidationError } from '../shared/errors.js';
import type { HostResolver, NotificationDeps } from './notification-deps.js';

/**
 * Where webhooks may go. A webhook URL is chosen by whoever creates the channel, and the notifier
 * POSTs to it from inside the deployment: unchecked, a channel could reach loopback services,
 * hosts of the VPC or the instance metadata endpoint (169.254.169.254).
 *
 * The rule is an allow-list: an address must be global unicast (ipaddr.js range `unicast`, and
 * for IPv6 also inside 2000::/3, the only global unicast space). So loopback, private (RFC 1918),
 * link-local, shared (CGNAT 100.64/10), unique local (fc00::/7), unspecified, multicast,
 * broadcast, reserved and documentation ranges, NAT64 / 6to4 / Teredo (which embed IPv4
 * addresses) are refused, and an IPv4-mapped IPv6 address is judged as the IPv4 address it maps to.
 *
 * Checked twice. At channel creation, on the URL's host: an IP literal, or a name that is plainly
 * local (`localhost`, `*.internal`, a single label, ...), gets a 400. At every send, on every
 * address the host name resolves to (one internal address refuses the whole name: a connection
 * could go to it), and the connection then goes to an address that passed, pinned: DNS is not
 * asked again, so an answer that changes between check and connect (rebinding) reaches nothing.
 *
 * `privateWebhookRanges` lets the local run and tests reach their receivers on 127.0.0.1; the
 * Lambda functions never set it.
 */
type TargetPolicy = Pick<NotificationDeps, 'allowHttpWebhooks' | 'privateWebhookRanges'>;

export interface ResolvedAddress {
  address: string;
  family: number;
}

const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3');

const RANGE_WORDS: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private address (RFC 1918)',
  linkLocal: 'a link-local address',
  carrierGradeNat: 'a shared address (CGNAT, 100.64.0.0/10)',
  uniqueLocal: 'a unique local address (fc00::/7)',
  unspecified: 'the unspecified address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  unicast: 'outside the global unicast space (2000::/3)',
};

/** Why an address is not public, in words; undefined when it is global unicast. */
function nonPublicReason(ip: ipaddr.IPv4 | ipaddr.IPv6): string | undefined {
  const range = ip.range();
  if (range === 'unicast' && (ip.kind() === 'ipv4' || ip.match(GLOBAL_UNICAST_V6))) return undefined;
  return RANGE_WORDS[range] ?? `a special-purpose address (${range})`;
}

function inAllowedRange(ip: ipaddr.IPv4 | ipaddr.IPv6, ranges: readonly string[]): boolean {
  return ranges.some((cidr) => {
    const [network, bits] = ipaddr.parseCIDR(cidr);
    return network.kind() === ip.kind() && ip.match(network, bits);
  });
}

/** Why webhooks may not go to this address, or undefined when they may. */
export function refusedAddress(policy: TargetPolicy, address: string): string | undefined {
  const ip = ipaddr.process(address);
  const reason = nonPublicReason(ip);
  return reason === undefined || inAllowedRange(ip, policy.privateWebhookRanges ?? []) ? undefined : reason;
}

/** The URL's host as DNS and ipaddr.js take it: no IPv6 brackets, no trailing dot, lower case. */
function hostOf(url: URL): string {
  const host = url.hostname.toLowerCase();
  return host.startsWith('[') ? host.slice(1, -1) : host.replace(/\.$/, '');
}

/**
 * Names that resolve to local or internal hosts: localhost (RFC 6761), mDNS `.local`, the
 * private-use `.internal` (ec2.internal, metadata.google.internal), `.home.arpa` (RFC 8375),
 * `.localdomain`, and single labels (completed by the resolver's search domains).
 */
function isLocalName(host: string): boolean {
  return !host.includes('.') || /(^|\.)(localhost|local|localdomain|internal|home\.arpa)$/.test(host);
}

function invalidUrl(message: string): ValidationError {
  return new ValidationError(message, 'invalid_channel');
}

/**
 * A webhook URL as a channel stores it: https (plain http only where the policy says so: the
 * local run, whose test receivers have no TLS), no credentials (they would be shown in
 * listings), and a host that is not plainly local or non-public. Names are checked again, by
 * what they resolve to, at every send.
 */
export function checkWebhookUrl(policy: TargetPolicy, text: string): string {
  const url = new URL(text);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowHttpWebhooks === true)) {
    throw invalidUrl(`url must use https; got ${url.protocol.replace(':', '')} (plain http is accepted only by the local run)`);
  }
  if (url.username !== '' || url.password !== '') throw invalidUrl('url must not contain a user name or password');
  const host = hostOf(url);
  if (isIP(host) !== 0) {
    const reason = refusedAddress(policy, host);
    if (reason !== undefined) throw invalidUrl(`url host ${host} is ${reason}: webhooks may only go to public addresses`);
  } else if ((policy.privateWebhookRanges ?? []).length === 0 && isLocalName(host)) {
    // Where private ranges are allowed (the local run), a name is judged by what it resolves to, at send time.
    throw invalidUrl(`url host "${host}" names a local or internal host: webhooks may only go to public addresses`);
  }
  return url.toString();
}

/** The webhook's host resolves to an address webhooks may not reach. Its message is for the log only. */
export class AddressNotAllowedError extends Error {}

const systemResolver: HostResolver = (hostname) => lookup(hostname, { all: true });

/**
 * Every address the URL's host stands for (the literal itself, or what the host name resolves
 * to), each one allowed; otherwise AddressNotAllowedError. A failed resolution throws the
 * resolver's error.
 */
export async function resolveWebhookTarget(policy: TargetPolicy & Pick<NotificationDeps, 'resolveHost'>, url: URL): Promise<ResolvedAddress[]> {
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
 * An undici dispatcher for one webhook request that connects to these (vetted) addresses and
 * never asks DNS: what was checked is what is reached. TLS still verifies the certificate
 * against the URL's host name (undici sets the servername from the URL, not from the address).
 * Node's connect calls the lookup with `all` (happy eyeballs) or without it.
 */
export function pinnedDispatcher(addresses: ResolvedAddress[]): Agent {
  const [first] = addresses;
  if (first === undefined) throw new Error('no address to pin');
  return new Agent({
    connect: {
      lookup(_hostname, options, callback) {
        if (options.all === true) (callback as (error: null, addresses: ResolvedAddress[]) => void)(null, addresses);
        else callback(null, first.address, first.family);
      },
    },
  });
}
