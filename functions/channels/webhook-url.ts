import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { ValidationError } from '../shared/errors.js';
import type { ChannelDeps } from './channel-deps.js';

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
 * Checked twice. At channel creation (here), on the URL's host: an IP literal, or a name that is
 * plainly local (`localhost`, `*.internal`, a single label, ...), gets a 400. At every send, on
 * every address the host name resolves to, and the connection is pinned to them
 * (webhook-target.ts). This module does no I/O and imports no HTTP client (node:net only for
 * isIP): the channel routes import it, and only the notifier sends.
 *
 * `privateWebhookRanges` lets the local run and tests reach their receivers on loopback; the
 * Lambda functions never set it. The local policy is the AWS one plus loopback written plainly
 * (127.x.x.x, [::1], `localhost`): no internal names, no other notation of a loopback address.
 */
export type TargetPolicy = Pick<ChannelDeps, 'allowHttpWebhooks' | 'privateWebhookRanges'>;

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

/**
 * Why webhooks may not go to this address, or undefined when they may. The allowed ranges match
 * the address as written (`ipaddr.parse`, not `process`): an IPv4-mapped IPv6 address such as
 * ::ffff:127.0.0.1 is judged as the IPv4 address it maps to, but never earns the local exception.
 */
export function refusedAddress(policy: TargetPolicy, address: string): string | undefined {
  const reason = nonPublicReason(ipaddr.process(address));
  return reason === undefined || inAllowedRange(ipaddr.parse(address), policy.privateWebhookRanges ?? []) ? undefined : reason;
}

function allowsLoopback(policy: TargetPolicy): boolean {
  return refusedAddress(policy, '127.0.0.1') === undefined;
}

/** The URL's host as DNS and ipaddr.js take it: no IPv6 brackets, no trailing dot, lower case. */
export function hostOf(url: URL): string {
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

/**
 * The host exactly as the URL text wrote it (lower case, no brackets or trailing dot). The URL
 * parser rewrites `0x7f000001`, `2130706433` or `0177.0.0.1` to `127.0.0.1`: such a host is
 * judged by the AWS policy alone, so the local run's loopback exception covers only loopback
 * written plainly (127.x.x.x, [::1], localhost).
 */
function writtenHost(text: string): string {
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(text)?.[1] ?? '';
  const host = authority.slice(authority.lastIndexOf('@') + 1).replace(/:\d*$/, '').toLowerCase();
  return host.startsWith('[') ? host.slice(1, -1) : host.replace(/\.$/, '');
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
  const plain = writtenHost(text) === host;
  const local = plain ? policy : { ...policy, privateWebhookRanges: [] };
  if (isIP(host) !== 0) {
    const reason = refusedAddress(local, host);
    if (reason !== undefined) throw invalidUrl(`url host ${host} is ${reason}: webhooks may only go to public addresses`);
  } else if (isLocalName(host) && !(host === 'localhost' && allowsLoopback(local))) {
    // Where loopback is allowed (the local run), `localhost` is judged by what it resolves to, at
    // send time; every other local or internal name is refused as on AWS.
    throw invalidUrl(`url host "${host}" names a local or internal host: webhooks may only go to public addresses`);
  }
  return url.toString();
}
