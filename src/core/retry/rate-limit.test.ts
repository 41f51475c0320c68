import { describe, expect, it } from 'vitest';
import { decideRateLimit } from './rate-limit.js';

const none = { remaining: null, reset: null, retryAfter: null };
const secondary = 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.';

describe('decideRateLimit (the rate-limit page of the REST API docs)', () => {
  it.each([
    [
      'primary, 403',
      403,
      { remaining: '0', reset: '1767225600', retryAfter: null },
      'API rate limit exceeded',
    ],
    ['primary, 429', 429, { remaining: '0', reset: '1767225600', retryAfter: null }, ''],
  ] as const)('%s: the reset time, no wait of its own', (_n, status, headers, message) => {
    expect(decideRateLimit(status, headers, message)).toEqual({
      primary: true,
      resetAt: '2026-01-01T00:00:00.000Z',
      retryAfterS: null,
    });
  });

  it.each([
    ['429 with retry-after', 429, { ...none, retryAfter: '30' }, secondary, 30],
    ['403 with retry-after', 403, { ...none, retryAfter: ' 45 ' }, secondary, 45],
    ['403, the message only', 403, { ...none, remaining: '4000' }, secondary, 60],
    ['429, nothing else', 429, none, '', 60],
    ['429 with a retry-after date', 429, { ...none, retryAfter: 'Wed, 21 Oct 2026 07:28:00 GMT' }, '', 60],
  ] as const)(
    'secondary, %s: retry after the wait given, else one minute',
    (_n, status, headers, message, wait) => {
      expect(decideRateLimit(status, headers, message)).toEqual({
        primary: false,
        resetAt: null,
        retryAfterS: wait,
      });
    },
  );

  it('a primary limit without a usable reset header', () => {
    expect(decideRateLimit(403, { remaining: '0', reset: 'soon', retryAfter: null }, '')).toEqual({
      primary: true,
      resetAt: null,
      retryAfterS: null,
    });
  });

  it.each([
    ['a 403 of permissions', 403, none, 'Resource not accessible by integration'],
    ['a 401', 401, { remaining: '0', reset: null, retryAfter: '60' }, 'Bad credentials'],
    ['a 500', 500, none, 'rate limit'],
  ] as const)('%s is not a rate limit', (_n, status, headers, message) => {
    expect(decideRateLimit(status, headers, message)).toBeUndefined();
  });
});

// The mutation audit of the twentieth session (docs/status.md, Issue 17): each case below failed a
// hand mutant of rate-limit.ts that every earlier test let through.

describe('decideRateLimit: the edges (mutation audit)', () => {
  it('a 403 with retry-after alone is a limit, whatever its message', () => {
    expect(decideRateLimit(403, { ...none, retryAfter: '12' }, '')).toEqual({
      primary: false,
      resetAt: null,
      retryAfterS: 12,
    });
  });
  it('a 403 whose message says rate limit in any letter case is a limit', () => {
    expect(decideRateLimit(403, none, 'You have exceeded a secondary Rate Limit')).toMatchObject({
      primary: false,
      retryAfterS: 60,
    });
  });
  it('a 403 whose message says "rate" but not "rate limit" is a refusal', () => {
    expect(decideRateLimit(403, none, 'Separate permissions are needed: accelerate nothing')).toBeUndefined();
  });
  it('a secondary limit names no reset time, though the header is sent', () => {
    expect(
      decideRateLimit(429, { remaining: '57', reset: '1767225600', retryAfter: '5' }, secondary),
    ).toEqual({
      primary: false,
      resetAt: null,
      retryAfterS: 5,
    });
  });
  it('a primary limit keeps a retry-after it is given', () => {
    expect(decideRateLimit(403, { remaining: '0', reset: '1767225600', retryAfter: '30' }, '')).toEqual({
      primary: true,
      resetAt: '2026-01-01T00:00:00.000Z',
      retryAfterS: 30,
    });
  });
  it('a reset header with text after the number is no reset time', () => {
    expect(
      decideRateLimit(403, { remaining: '0', reset: '1767225600s', retryAfter: null }, ''),
    ).toMatchObject({
      resetAt: null,
    });
  });
});
