import ipaddr from 'ipaddr.js';
import { ValidationError } from '../shared/errors.js';

/**
 * A key's IP allowlist: CIDR ranges (IPv4 and IPv6) it may be used from. Stored normalized
 * (the network address and prefix length, `203.0.113.0/24`, `2001:db8::/32`), so a range is
 * written one way whatever way it was sent. A plain address is a one-address range (`/32`,
 * `/128`). The address checked is the connection's as API Gateway sees it
 * (`requestContext.http.sourceIp`), never a header the client chooses.
 */

/** How many ranges one key may list (the key item stays small; a longer list is a network policy, not a key's). */
export const MAX_ALLOWED_RANGES = 32;

/** The normalized form of one range, or a ValidationError naming it. */
function normalizeRange(text: string): string {
  const trimmed = text.trim();
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  let bits: number;
  try {
    if (trimmed.includes('/')) {
      [address, bits] = ipaddr.parseCIDR(trimmed);
    } else {
      // Strict forms only: ipaddr.parse also takes `0x7f000001` or `127.1`, which nobody means in an allowlist.
      if (!ipaddr.IPv4.isValidFourPartDecimal(trimmed) && !ipaddr.IPv6.isValid(trimmed)) throw new Error('not an address');
      address = ipaddr.parse(trimmed);
      bits = address.kind() === 'ipv4' ? 32 : 128;
    }
    if (address.kind() === 'ipv4' && !ipaddr.IPv4.isValidFourPartDecimal(trimmed.split('/')[0] ?? '')) throw new Error('not four-part decimal');
  } catch {
    throw new ValidationError(
      `allowedIps: "${text.slice(0, 60)}" is not an IPv4 or IPv6 address or CIDR range (such as 203.0.113.0/24 or 2001:db8::/32)`,
      'invalid_allowed_ips',
    );
  }
  // An IPv4-mapped IPv6 range (::ffff:203.0.113.0/120) is the IPv4 range it maps.
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    address = (address as ipaddr.IPv6).toIPv4Address();
    bits -= 96;
  }
  const cidr = `${address}/${bits}`;
  const network = address.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(cidr) : ipaddr.IPv6.networkAddressFromCIDR(cidr);
  return `${network.toString()}/${bits}`;
}

/**
 * The allowlist to store: `null` removes it (the key works from anywhere); a list is normalized
 * and de-duplicated. An empty list is refused rather than stored: it would refuse every use,
 * which is what suspending a key is for.
 */
export function normalizeAllowedIps(input: readonly string[] | null): string[] | undefined {
  if (input === null) return undefined;
  if (input.length === 0) {
    throw new ValidationError(
      'allowedIps: an empty list would refuse every use; send null to allow any address, or suspend the key',
      'invalid_allowed_ips',
    );
  }
  if (input.length > MAX_ALLOWED_RANGES) throw new ValidationError(`allowedIps: at most ${MAX_ALLOWED_RANGES} ranges`, 'invalid_allowed_ips');
  return [...new Set(input.map(normalizeRange))];
}

/** The address as compared: an IPv4-mapped IPv6 address (`::ffff:203.0.113.9`) is its IPv4 address. Undefined: not an address. */
function parseAddress(address: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  const text = address.trim();
  if (!ipaddr.IPv4.isValidFourPartDecimal(text) && !ipaddr.IPv6.isValid(text)) return undefined;
  return ipaddr.process(text);
}

/**
 * True when `address` lies in one of the ranges. An address that is unknown (null) or not an IP
 * address is outside every range: an allowlist fails closed.
 */
export function addressAllowed(ranges: readonly string[], address: string | null): boolean {
  if (address === null) return false;
  const ip = parseAddress(address);
  if (ip === undefined) return false;
  return ranges.some((range) => {
    const [network, bits] = ipaddr.parseCIDR(range);
    return network.kind() === ip.kind() && ip.match([network, bits] as never);
  });
}

/** Checks an address sent by a caller (POST /v1/keys/verify's `clientIp`): an IPv4 or IPv6 address, strictly written. */
export function isIpAddress(text: string): boolean {
  return parseAddress(text) !== undefined;
}
