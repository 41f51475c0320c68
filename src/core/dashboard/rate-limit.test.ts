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

// Mutation audit of the dashboard core (twentieth session)
describe('rate limit accounting', () => {
  it('bursts a fifth of the rate, rounded up, at least 1', () => {
    expect(rateLimitOf(300)).toEqual({ perMinute: 300, burst: 60 });
    expect(rateLimitOf(61).burst).toBe(13);
    expect(rateLimitOf(1).burst).toBe(1);
  });

  it.each([
    ['::FFFF:10.0.0.1', '10.0.0.1'],
    // an IPv6 address that merely ends like a mapped one is its /64, or one /64 had 2^32 keys
    ['2001:db8::ffff:10.0.0.1', '2001:db8:0:0::/64'],
    ['2001:db8:1:2:3::ffff:10.0.0.2', '2001:db8:1:2::/64'],
  ])('keys %s as %s', (address, key) => {
    expect(clientKeyOf(address)).toBe(key);
  });

  it('gives an IPv6 /64 one bucket whatever its low 64 bits say', () => {
    const limiter = new ClientRateLimiter({ perMinute: 60, burst: 1 });
    expect(limiter.take('2001:db8::ffff:10.0.0.1', 0).allowed).toBe(true);
    expect(limiter.take('2001:db8::ffff:10.0.0.2', 0).allowed).toBe(false);
    expect(limiter.take('10.0.0.2', 0).allowed).toBe(true);
  });

  it('refills nothing, and takes nothing extra, when the clock steps back', () => {
    const limiter = new ClientRateLimiter({ perMinute: 60, burst: 2 });
    expect(limiter.take('a', 10_000).allowed).toBe(true);
    expect(limiter.take('a', 0).allowed).toBe(true); // the second token of the burst
    expect(limiter.take('a', 5_000)).toEqual({ allowed: false, retryAfterS: 1 });
    // a second after the latest time seen (10 s), not after the earlier one
    expect(limiter.take('a', 10_999).allowed).toBe(false);
    expect(limiter.take('a', 11_000).allowed).toBe(true);
  });

  it('lets exactly one request through per whole token', () => {
    const limiter = new ClientRateLimiter({ perMinute: 60, burst: 1 });
    expect(limiter.take('a', 0).allowed).toBe(true);
    expect(limiter.take('a', 1_000).allowed).toBe(true);
    expect(limiter.take('a', 1_000)).toEqual({ allowed: false, retryAfterS: 1 });
    expect(limiter.take('a', 1_500)).toEqual({ allowed: false, retryAfterS: 1 });
  });

  it('rounds Retry-After up: never sooner than the next token', () => {
    const limiter = new ClientRateLimiter({ perMinute: 1, burst: 1 });
    expect(limiter.take('a', 0).allowed).toBe(true);
    expect(limiter.take('a', 1)).toEqual({ allowed: false, retryAfterS: 60 });
    expect(limiter.take('a', 59_001)).toEqual({ allowed: false, retryAfterS: 1 });
  });

  it('forgets the client seen least recently, not the one added first', () => {
    const limiter = new ClientRateLimiter({ perMinute: 1, burst: 1 }, 3);
    limiter.take('10.0.0.1', 0); // empty bucket
    limiter.take('10.0.0.2', 0);
    limiter.take('10.0.0.3', 0);
    limiter.take('10.0.0.1', 0); // seen again: now the most recent
    limiter.take('10.0.0.4', 0); // forgets 10.0.0.2
    expect(limiter.size).toBe(3);
    expect(limiter.take('10.0.0.1', 0).allowed).toBe(false);
    expect(limiter.take('10.0.0.2', 0).allowed).toBe(true);
  });

  it('holds at most maxClients, 10,000 by default', () => {
    const limiter = new ClientRateLimiter({ perMinute: 60, burst: 1 });
    for (let i = 0; i < 10_001; i++) limiter.take(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, 0);
    expect(limiter.size).toBe(10_000);
    const small = new ClientRateLimiter({ perMinute: 60, burst: 1 }, 2);
    small.take('a', 0);
    small.take('b', 0);
    expect(small.size).toBe(2);
    small.take('c', 0);
    expect(small.size).toBe(2);
  });
});
