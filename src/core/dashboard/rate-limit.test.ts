import { describe, expect, it } from 'vitest';
import { ClientRateLimiter, clientKeyOf, rateLimitOf } from './rate-limit.js';

describe('ClientRateLimiter', () => {
  it('lets a burst through, then one request per refill interval, with Retry-After', () => {
    const limiter = new ClientRateLimiter(rateLimitOf(60)); // 1 a second, bursts of 12
    for (let i = 0; i < 12; i++) expect(limiter.take('10.0.0.1', 0).allowed).toBe(true);
    expect(limiter.take('10.0.0.1', 0)).toEqual({ allowed: false, retryAfterS: 1 });
    // another client has its own bucket
    expect(limiter.take('10.0.0.2', 0).allowed).toBe(true);
    expect(limiter.take('10.0.0.1', 999).allowed).toBe(false);
    expect(limiter.take('10.0.0.1', 1_000).allowed).toBe(true);
    expect(limiter.take('10.0.0.1', 1_000).allowed).toBe(false);
  });

  it('never holds more than a burst, however long the client was quiet', () => {
    const limiter = new ClientRateLimiter({ perMinute: 60, burst: 3 });
    expect(limiter.take('a', 0).allowed).toBe(true);
    let allowed = 0;
    for (let i = 0; i < 10; i++) if (limiter.take('a', 86_400_000).allowed) allowed++;
    expect(allowed).toBe(3);
  });

  it('says how long to wait at a slow rate', () => {
    const limiter = new ClientRateLimiter({ perMinute: 1, burst: 1 });
    expect(limiter.take('a', 0).allowed).toBe(true);
    expect(limiter.take('a', 0)).toEqual({ allowed: false, retryAfterS: 60 });
    expect(limiter.take('a', 30_000)).toEqual({ allowed: false, retryAfterS: 30 });
  });

  it('keeps a bounded table of clients, forgetting the one seen least recently', () => {
    const limiter = new ClientRateLimiter({ perMinute: 60, burst: 1 }, 100);
    for (let i = 0; i < 10_000; i++) limiter.take(`10.0.${i >> 8}.${i & 255}`, 0);
    expect(limiter.size).toBe(100);
    // a client seen recently keeps its (empty) bucket
    limiter.take('192.0.2.1', 0);
    for (let i = 0; i < 50; i++) limiter.take(`198.51.100.${i}`, 0);
    expect(limiter.take('192.0.2.1', 0).allowed).toBe(false);
  });

  it('keys an IPv6 client by its /64 (one host holds a whole /64)', () => {
    const limiter = new ClientRateLimiter({ perMinute: 60, burst: 2 });
    expect(limiter.take('2001:db8:1:2::1', 0).allowed).toBe(true);
    expect(limiter.take('2001:db8:1:2:ffff::9', 0).allowed).toBe(true);
    expect(limiter.take('2001:0db8:0001:0002:aaaa:bbbb:cccc:dddd', 0).allowed).toBe(false);
    expect(limiter.take('2001:db8:1:3::1', 0).allowed).toBe(true);
  });
});

describe('clientKeyOf', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1'],
    ['::ffff:10.0.0.1', '10.0.0.1'],
    ['::1', '0:0:0:0::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:DB8:0:0:1::', '2001:db8:0:0::/64'],
    ['fe80::1:2:3:4', 'fe80:0:0:0::/64'],
  ])('%s -> %s', (address, key) => {
    expect(clientKeyOf(address)).toBe(key);
  });
});
