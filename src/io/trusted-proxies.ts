import { BlockList, isIP, SocketAddress } from 'node:net';
import { SlsaLedgerError } from '../errors.js';

// `serve --trusted-proxy ADDR|CIDR`: which peers may say, in `X-Forwarded-For`, whose request they
// pass on. The walk is nginx's `real_ip_recursive on` (ngx_http_realip_module) and Express's
// `trust proxy` with addresses (proxy-addr): only when the connection's peer is a trusted proxy,
// the header is read from the right and trusted addresses are skipped; the first address that is
// not a trusted proxy is the client. Every address it can give was written by a trusted hop (each
// proxy appends the address of its own peer), so a client that prepends values changes nothing.
// Unlike proxy-addr, an entry that is not an IP address stops the walk (as nginx does) rather than
// becoming the client's "address": a trusted internal client could otherwise mint a new
// rate-limit bucket per request. Ranges are matched by node's `net.BlockList`.

/** Entries of `X-Forwarded-For` read at most, from the right (the rest is never looked at). */
export const maxForwardedHops = 32;
/** An entry longer than this is not an address (`[` 45-character IPv6 `]:65535` is 53). */
const maxEntryLength = 64;

export interface TrustedProxies {
  /** true when `address` (as the socket or a proxy gives it) is a trusted proxy */
  isTrusted(address: string): boolean;
  /** the ranges as given, normalised (for messages and tests) */
  readonly ranges: readonly string[];
}

function familyOf(address: string): 'ipv4' | 'ipv6' | undefined {
  if (address.includes('%')) return undefined; // no zone ids: a forwarded address has no scope here
  const family = isIP(address);
  return family === 4 ? 'ipv4' : family === 6 ? 'ipv6' : undefined;
}

/**
 * A socket peer without its IPv6 zone id (`fe80::1%eth0` is `fe80::1`): the socket gives one for a
 * link-local peer; a forwarded address never has one (`familyOf` refuses it).
 */
function withoutZone(peer: string): string {
  return peer.replace(/%.*$/, '');
}

/**
 * One address as the rate limiter keys it: IPv4 in dotted decimal, IPv6 in its canonical text
 * (`inet_ntop`'s, through `net.SocketAddress`: the parser `isIP` uses), an IPv4-mapped IPv6
 * address (`::ffff:10.0.0.1`, in any spelling) as its IPv4 address.
 */
function canonicalAddress(address: string, family: 'ipv4' | 'ipv6'): string {
  if (family === 'ipv4') return address;
  const text = new SocketAddress({ address, family }).address;
  return /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text)?.[1] ?? text;
}

/**
 * An `X-Forwarded-For` entry as an address, or undefined when it is none: `1.2.3.4`, `2001:db8::1`,
 * with a port `1.2.3.4:5678` or `[2001:db8::1]:443` (some load balancers add one; RFC 3986 form, as
 * nginx reads it). `unknown`, RFC 7239 obfuscated identifiers (`_hidden`), host names, zone ids and
 * anything else are not addresses.
 */
export function parseForwardedAddress(raw: string): string | undefined {
  const entry = raw.trim();
  if (entry === '' || entry.length > maxEntryLength) return undefined;
  let address = entry;
  let port: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(entry);
  if (bracketed !== null) {
    [address, port] = [bracketed[1]!, bracketed[2]];
    if (familyOf(address) !== 'ipv6') return undefined;
  } else {
    const withPort = /^([0-9.]+):(\d{1,5})$/.exec(entry);
    if (withPort !== null) [address, port] = [withPort[1]!, withPort[2]];
  }
  if (port !== undefined && Number(port) > 65_535) return undefined;
  const family = familyOf(address);
  return family === undefined ? undefined : canonicalAddress(address, family);
}

/**
 * The client of a request: the socket's peer, or, when the peer is a trusted proxy, the rightmost
 * `X-Forwarded-For` address that is not a trusted proxy. The walk stops (and the last trusted
 * address read is the client) at an entry that is not an address, after `maxForwardedHops`
 * entries, or at the header's left end when every entry is a trusted proxy. Without trusted proxies,
 * or from any other peer, the header is ignored and the peer returned unchanged.
 */
export function clientAddressOf(
  peer: string,
  forwardedFor: string | undefined,
  trusted: TrustedProxies | undefined,
): string {
  if (trusted === undefined || forwardedFor === undefined || !trusted.isTrusted(peer)) return peer;
  const bare = withoutZone(peer);
  const peerFamily = familyOf(bare);
  let client = peerFamily === undefined ? peer : canonicalAddress(bare, peerFamily);
  // from the right, one entry at a time: whatever the header's length, at most maxForwardedHops
  // entries (and the characters up to them) are read
  let end = forwardedFor.length;
  for (let hop = 0; hop < maxForwardedHops && end >= 0; hop++) {
    const comma = forwardedFor.lastIndexOf(',', end - 1);
    const address = parseForwardedAddress(forwardedFor.slice(comma + 1, end));
    if (address === undefined) return client;
    client = address;
    if (!trusted.isTrusted(address)) return client;
    if (comma === -1) return client;
    end = comma;
  }
  return client;
}

/**
 * `--trusted-proxy` values: an address (`10.0.0.2`, `2001:db8::2`, `::ffff:10.0.0.2`) or a CIDR range
 * (`10.0.0.0/8`, `2001:db8::/32`).
 * @throws SlsaLedgerError `USAGE_INVALID_FLAG` for anything else, a zone id, or a `/0` range (it
 * would trust every address: anyone could then choose their own)
 */
export function parseTrustedProxies(values: readonly string[]): TrustedProxies | undefined {
  if (values.length === 0) return undefined;
  const list = new BlockList();
  const ranges: string[] = [];
  for (const raw of values) {
    const value = raw.trim();
    const refuse = (why: string): never => {
      throw new SlsaLedgerError(
        'USAGE_INVALID_FLAG',
        `--trusted-proxy takes an IP address or a CIDR range such as 10.0.0.2 or 10.0.0.0/8${why}, got '${raw.slice(0, 100)}'`,
        { details: { flag: 'trusted-proxy', value: raw.slice(0, 100) } },
      );
    };
    const match = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(value);
    const family = match === null ? undefined : familyOf(match[1]!);
    if (match === null || family === undefined) return refuse('');
    const address = match[1]!;
    const prefix = match[2] === undefined ? undefined : Number(match[2]);
    if (prefix === undefined) {
      list.addAddress(address, family);
      ranges.push(address.toLowerCase());
      continue;
    }
    if (prefix > (family === 'ipv4' ? 32 : 128)) return refuse(' (a prefix of at most /32 or /128)');
    if (prefix === 0)
      return refuse(' (not /0: that trusts every address, so any client could choose its own)');
    list.addSubnet(address, prefix, family);
    ranges.push(`${address.toLowerCase()}/${prefix}`);
  }
  return {
    ranges,
    isTrusted(address) {
      const bare = withoutZone(address);
      const family = familyOf(bare);
      return family !== undefined && list.check(bare, family);
    },
  };
}
