import { describe, expect, it } from 'vitest';
import {
  clientAddressOf,
  maxForwardedHops,
  parseForwardedAddress,
  parseTrustedProxies,
} from './trusted-proxies.js';

const proxies = parseTrustedProxies([
  '10.0.0.0/8',
  '192.0.2.1',
  '2001:db8:ff::/48',
  '::ffff:198.51.100.0/120',
])!;

describe('parseTrustedProxies', () => {
  it('takes addresses and CIDR ranges of both families, IPv4-mapped ones too', () => {
    for (const address of [
      '10.1.2.3',
      '::ffff:10.1.2.3',
      '::ffff:a01:203',
      '192.0.2.1',
      '2001:db8:ff:1::9',
    ]) {
      expect(proxies.isTrusted(address), address).toBe(true);
    }
    for (const address of [
      '11.0.0.1',
      '192.0.2.2',
      '2001:db8:fe::1',
      '198.51.100.7',
      '::ffff:198.51.100.7',
    ]) {
      expect(proxies.isTrusted(address), address).toBe(address.endsWith('198.51.100.7'));
    }
    expect(proxies.isTrusted('garbage')).toBe(false);
    expect(proxies.isTrusted('')).toBe(false);
    // a link-local peer as the socket reports it, with its zone
    expect(parseTrustedProxies(['fe80::/10'])!.isTrusted('fe80::1%eth0')).toBe(true);
    expect(parseTrustedProxies([])).toBeUndefined();
  });

  it.each([
    '',
    'localhost',
    'unix:',
    '10.0.0.0/33',
    '2001:db8::/129',
    '10.0.0.0/',
    '/8',
    '10.0.0.0/8/8',
    '10.0.0.0/-1',
    '10.0.0',
    '010.0.0.1',
    '10.0.0.1:80',
    '[2001:db8::1]',
    'fe80::1%eth0',
    '10.0.0.0/8,192.0.2.1',
    '0.0.0.0/0',
    '::/0',
  ])('refuses %j: USAGE_INVALID_FLAG naming the flag', (value) => {
    expect(() => parseTrustedProxies([value])).toThrowCode('USAGE_INVALID_FLAG');
    try {
      parseTrustedProxies([value]);
    } catch (error) {
      expect((error as { details: unknown }).details).toEqual({ flag: 'trusted-proxy', value });
    }
  });
});

describe('parseForwardedAddress', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    [' 203.0.113.7\t', '203.0.113.7'],
    ['203.0.113.7:54321', '203.0.113.7'],
    ['2001:DB8::0:1', '2001:db8::1'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['[2001:db8::1]:443', '2001:db8::1'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::FFFF:cb00:7107', '203.0.113.7'],
    ['[::ffff:203.0.113.7]:80', '203.0.113.7'],
  ])('%j is %j', (raw, address) => expect(parseForwardedAddress(raw)).toBe(address));

  it.each([
    '',
    'unknown',
    '_hidden',
    'for=203.0.113.7',
    '"203.0.113.7"',
    'example.com',
    '203.0.113',
    '203.0.113.7:',
    '203.0.113.7:123456',
    '203.0.113.7:65536',
    '2001:db8::1]:443',
    '[203.0.113.7]',
    '[2001:db8::1',
    'fe80::1%eth0',
    '[fe80::1%25eth0]:80',
    `${'1'.repeat(70)}`,
    '1.2.3.4 5.6.7.8',
  ])('%j is not an address', (raw) => expect(parseForwardedAddress(raw)).toBeUndefined());
});

describe('clientAddressOf', () => {
  it('ignores the header without trusted proxies, and from a peer that is not one', () => {
    expect(clientAddressOf('203.0.113.9', '198.51.100.1', undefined)).toBe('203.0.113.9');
    expect(clientAddressOf('203.0.113.9', '198.51.100.1', proxies)).toBe('203.0.113.9');
    expect(clientAddressOf('::ffff:203.0.113.9', '10.0.0.1', proxies)).toBe('::ffff:203.0.113.9');
  });

  it('from a trusted peer: the rightmost address that is not a trusted proxy', () => {
    expect(clientAddressOf('10.0.0.2', '203.0.113.7', proxies)).toBe('203.0.113.7');
    expect(clientAddressOf('::ffff:10.0.0.2', '203.0.113.7', proxies)).toBe('203.0.113.7');
    // a chain: the client, then a trusted proxy in front of the one that connects
    expect(clientAddressOf('10.0.0.2', '203.0.113.7, 192.0.2.1, 10.9.9.9', proxies)).toBe('203.0.113.7');
    // several header lines, as node joins them
    expect(clientAddressOf('10.0.0.2', '203.0.113.7, 10.0.0.3', proxies)).toBe('203.0.113.7');
    expect(clientAddressOf('10.0.0.2', '2001:db8::7, [2001:db8:ff::1]:80', proxies)).toBe('2001:db8::7');
  });

  it('a client cannot choose its address by prepending values', () => {
    for (const spoof of ['1.1.1.1', '10.0.0.1', 'unknown', '1.1.1.1, 2.2.2.2', 'x'.repeat(8_000)]) {
      expect(clientAddressOf('10.0.0.2', `${spoof}, 203.0.113.7`, proxies), spoof).toBe('203.0.113.7');
    }
  });

  it('stops at an entry that is not an address: the last trusted address read is the client', () => {
    expect(clientAddressOf('10.0.0.2', 'unknown', proxies)).toBe('10.0.0.2');
    expect(clientAddressOf('10.0.0.2', '', proxies)).toBe('10.0.0.2');
    expect(clientAddressOf('10.0.0.2', '203.0.113.7,', proxies)).toBe('10.0.0.2');
    expect(clientAddressOf('10.0.0.2', '203.0.113.7, garbage, 10.0.0.5', proxies)).toBe('10.0.0.5');
    // a trusted internal client cannot mint a bucket per request with junk
    expect(clientAddressOf('10.0.0.2', 'junk-1, 10.0.0.5', proxies)).toBe('10.0.0.5');
    expect(clientAddressOf('10.0.0.2', ', 10.0.0.5', proxies)).toBe('10.0.0.5');
    expect(clientAddressOf('::ffff:10.0.0.2', 'unknown', proxies)).toBe('10.0.0.2');
  });

  it('strips the zone id of a link-local peer, once, before trusting and keying it', () => {
    const linkLocal = parseTrustedProxies(['fe80::/10']);
    expect(clientAddressOf('fe80::1%eth0', '203.0.113.7', linkLocal)).toBe('203.0.113.7');
    expect(clientAddressOf('fe80::1%eth0', 'unknown', linkLocal)).toBe('fe80::1');
    expect(clientAddressOf('FE80:0::1%25', 'unknown', linkLocal)).toBe('fe80::1');
    // not trusted: the peer as the socket gave it, zone id and all
    expect(clientAddressOf('fe80::1%eth0', '203.0.113.7', proxies)).toBe('fe80::1%eth0');
  });

  it('reads at most maxForwardedHops entries from the right, whatever the header holds', () => {
    const trustedChain = Array.from({ length: 40 }, (_, i) => `10.0.${i}.1`);
    expect(clientAddressOf('10.0.0.2', trustedChain.join(', '), proxies)).toBe(
      trustedChain[40 - maxForwardedHops],
    );
    expect(clientAddressOf('10.0.0.2', ['203.0.113.7', ...trustedChain].join(','), proxies)).toBe(
      trustedChain[40 - maxForwardedHops],
    );
    expect(clientAddressOf('10.0.0.2', trustedChain.slice(0, 31).join(','), proxies)).toBe('10.0.0.1');
    // every entry trusted: the leftmost is the client
    expect(clientAddressOf('10.0.0.2', '10.0.0.7, 10.0.0.8', proxies)).toBe('10.0.0.7');
  });
});

// Mutation audit (twentieth session): each case below fails with one mutant of trusted-proxies.ts
// applied.
describe('the documented limits, as numbers', () => {
  it('reads the rightmost 32 entries, never the 33rd', () => {
    const chain = Array.from({ length: 32 }, (_, i) => `10.0.${i}.1`);
    // 32 trusted entries: the leftmost of them is the client, the 33rd (a spoof) is never read
    expect(clientAddressOf('10.0.0.2', ['203.0.113.7', ...chain].join(','), proxies)).toBe('10.0.0.1');
    // 31 trusted entries: the 32nd from the right is read, and it is the client
    expect(clientAddressOf('10.0.0.2', ['203.0.113.7', ...chain.slice(1)].join(','), proxies)).toBe(
      '203.0.113.7',
    );
  });

  it('takes the longest entry an address can be (53 characters), refuses anything over 64', () => {
    const longest = '[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535';
    expect(longest).toHaveLength(53);
    expect(parseForwardedAddress(longest)).toBe('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
    expect(parseForwardedAddress(`${' '.repeat(20)}203.0.113.7${' '.repeat(40)}`)).toBe('203.0.113.7');
  });

  it('takes port 65535, refuses 65536', () => {
    expect(parseForwardedAddress('203.0.113.7:65535')).toBe('203.0.113.7');
    expect(parseForwardedAddress('[2001:db8::1]:65535')).toBe('2001:db8::1');
    expect(parseForwardedAddress('[2001:db8::1]:65536')).toBeUndefined();
  });

  it('takes /1 to /32 for IPv4 and /1 to /128 for IPv6, and trims a value', () => {
    expect(parseTrustedProxies(['192.0.2.7/32'])!.isTrusted('192.0.2.7')).toBe(true);
    expect(parseTrustedProxies(['192.0.2.7/32'])!.isTrusted('192.0.2.8')).toBe(false);
    expect(parseTrustedProxies(['2001:db8::7/128'])!.isTrusted('2001:db8::7')).toBe(true);
    expect(parseTrustedProxies(['128.0.0.0/1'])!.isTrusted('200.1.2.3')).toBe(true);
    expect(parseTrustedProxies(['128.0.0.0/1'])!.isTrusted('100.1.2.3')).toBe(false);
    expect(parseTrustedProxies(['::/1'])!.isTrusted('2001:db8::1')).toBe(true);
    expect(() => parseTrustedProxies(['::ffff:10.0.0.0/129'])).toThrowCode('USAGE_INVALID_FLAG');
    const trimmed = parseTrustedProxies([' 192.0.2.7 ', '\t2001:DB8::/32\n'])!;
    expect(trimmed.isTrusted('192.0.2.7')).toBe(true);
    expect(trimmed.ranges).toEqual(['192.0.2.7', '2001:db8::/32']);
    expect(parseTrustedProxies(['2001:DB8::7'])!.ranges).toEqual(['2001:db8::7']);
  });
});
