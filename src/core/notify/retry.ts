import { decideRetry as decideBackoff, retryPolicies } from '../retry/decide-retry.js';

/** What one delivery attempt gave. */
export type AttemptOutcome =
  | {
      readonly kind: 'response';
      readonly status: number;
      readonly body: string;
      readonly retryAfter?: string;
    }
  | { readonly kind: 'network'; readonly message: string };

export interface RetryPolicy {
  /** attempts in all, the first included */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** a 429 asking to wait longer than this gives up instead of blocking the pipeline */
  readonly maxRetryAfterMs: number;
}

/** The Slack webhook's policy of the one retry module (src/core/retry). */
export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: retryPolicies.slack.maxAttempts,
  baseDelayMs: retryPolicies.slack.baseDelayMs,
  maxDelayMs: retryPolicies.slack.maxDelayMs,
  maxRetryAfterMs: retryPolicies.slack.maxServerDelayMs,
};

export type RetryDecision =
  | { readonly kind: 'delivered' }
  | { readonly kind: 'retry'; readonly delayMs: number; readonly reason: string }
  | { readonly kind: 'give-up'; readonly code: 'NOTIFY_FAILED' | 'NOTIFY_REJECTED'; readonly reason: string };

/** Seconds from a `Retry-After` header (delta-seconds or an HTTP date), or undefined. */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now.getTime()) / 1000));
}

/** A short reason for an outcome, safe to log (a Slack error body is a short code such as `no_service`). */
export function describeOutcome(outcome: AttemptOutcome): string {
  if (outcome.kind === 'network') return `network error: ${outcome.message}`;
  const body = outcome.body
    .trim()
    .slice(0, 80)
    .replace(/[^\x20-\x7e]/g, '');
  return body === '' ? `http ${outcome.status}` : `http ${outcome.status} ${body}`;
}

/**
 * Decides what to do after attempt number `attempt` (1-based) of a Slack webhook delivery: 2xx is
 * delivered; 5xx and network errors retry with exponential backoff (`jitter` in [0, 1) spreads it);
 * 429 waits for Retry-After unless that exceeds the cap; any other 4xx (`invalid_payload`,
 * `no_service`, `channel_not_found`…) will never succeed and is not retried.
 */
export function decideRetry(
  outcome: AttemptOutcome,
  attempt: number,
  policy: RetryPolicy,
  context: { readonly now: Date; readonly jitter: number },
): RetryDecision {
  const reason = describeOutcome(outcome);
  if (outcome.kind === 'response' && outcome.status >= 200 && outcome.status < 300)
    return { kind: 'delivered' };
  const retryable = outcome.kind === 'network' || outcome.status >= 500 || outcome.status === 429;
  if (!retryable) return { kind: 'give-up', code: 'NOTIFY_REJECTED', reason };
  if (attempt >= policy.maxAttempts)
    return { kind: 'give-up', code: 'NOTIFY_FAILED', reason: `${reason} (after ${attempt} attempts)` };
  if (outcome.kind === 'response' && outcome.status === 429) {
    const seconds = parseRetryAfter(outcome.retryAfter, context.now);
    if (seconds !== undefined) {
      const ms = seconds * 1000;
      if (ms > policy.maxRetryAfterMs) {
        return {
          kind: 'give-up',
          code: 'NOTIFY_FAILED',
          reason: `${reason}: retry-after ${seconds} s exceeds the cap of ${Math.round(policy.maxRetryAfterMs / 1000)} s`,
        };
      }
      return { kind: 'retry', delayMs: ms, reason };
    }
  }
  const verdict = decideBackoff(
    { maxAttempts: policy.maxAttempts, baseDelayMs: policy.baseDelayMs, maxDelayMs: policy.maxDelayMs },
    attempt,
    { retryable: true, random: context.jitter },
  );
  return verdict.kind === 'retry'
    ? { kind: 'retry', delayMs: verdict.delayMs, reason }
    : { kind: 'give-up', code: 'NOTIFY_FAILED', reason: `${reason} (after ${attempt} attempts)` };
}
