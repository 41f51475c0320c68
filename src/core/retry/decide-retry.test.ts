import { describe, expect, it } from 'vitest';
import { backoffDelay, decideRetry, retryPolicies } from './decide-retry.js';

const p = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1_000, maxServerDelayMs: 5_000 };

describe('decideRetry: the one retry policy', () => {
  it('doubles from the base with equal jitter (half to all of the step), capped', () => {
    expect(backoffDelay(p, 1, 0)).toBe(50);
    expect(backoffDelay(p, 1, 0.999999)).toBe(100);
    expect(backoffDelay(p, 3, 0.5)).toBe(300);
    expect(backoffDelay(p, 10, 1)).toBe(1_000);
    expect(backoffDelay(p, 4, 0)).toBe(400);
  });
  it.each([
    ['not retryable', 1, { retryable: false, random: 0 }, { kind: 'stop', why: 'not-retryable' }],
    ['out of attempts', 5, { retryable: true, random: 0 }, { kind: 'stop', why: 'out-of-attempts' }],
    ['backoff', 2, { retryable: true, random: 0.5 }, { kind: 'retry', delayMs: 150 }],
    [
      'server wait',
      1,
      { retryable: true, random: 0, serverDelayMs: 3_000 },
      { kind: 'retry', delayMs: 3_000 },
    ],
    [
      'server wait too long',
      1,
      { retryable: true, random: 0, serverDelayMs: 6_000 },
      { kind: 'stop', why: 'server-delay-too-long' },
    ],
  ] as const)('%s', (_n, attempt, ctx, expected) => {
    expect(decideRetry(p, attempt, ctx)).toEqual(expected);
  });
  it('every caller policy is sane', () => {
    for (const policy of Object.values(retryPolicies)) {
      expect(policy.maxAttempts).toBeGreaterThanOrEqual(1);
      expect(policy.baseDelayMs).toBeLessThanOrEqual(policy.maxDelayMs);
    }
  });
});

// The mutation audit of the twentieth session (docs/status.md, Issue 17): each case below failed a
// hand mutant of decide-retry.ts that every earlier test let through.

describe('decideRetry: the edges (mutation audit)', () => {
  it('clamps the random number into [0, 1]', () => {
    expect(backoffDelay(p, 1, -1)).toBe(50);
    expect(backoffDelay(p, 1, 2)).toBe(100);
  });
  it('honours a server wait equal to the cap, and a negative one as no wait', () => {
    expect(decideRetry(p, 1, { retryable: true, random: 0, serverDelayMs: 5_000 })).toEqual({
      kind: 'retry',
      delayMs: 5_000,
    });
    expect(decideRetry(p, 1, { retryable: true, random: 0, serverDelayMs: -20 })).toEqual({
      kind: 'retry',
      delayMs: 0,
    });
  });
  it('keeps the documented policies (docs/ledger.md, docs/integrations.md)', () => {
    expect(retryPolicies.ledgerPush).toEqual({ maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 5_000 });
    expect(retryPolicies.slack).toEqual({
      maxAttempts: 4,
      baseDelayMs: 500,
      maxDelayMs: 8_000,
      maxServerDelayMs: 30_000,
    });
    expect(retryPolicies.githubApi).toEqual({ maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 2_000 });
  });
});
