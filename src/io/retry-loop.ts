// The loop around the one retry policy (src/core/retry/decide-retry.ts) for HTTP reads: the Jira
// issue, `validate`'s downloads and GitHub REST GETs. An attempt's failure that may pass (a 5xx, a
// 429, a network error) is a SlsaLedgerError carrying `details.retry` (`{ retryAfter?: string }`, the
// server's Retry-After); anything else is thrown at once. The error of the last attempt is thrown
// with `details.attempts` and without the marker.
import { decideRetry, type BackoffPolicy } from '../core/retry/decide-retry.js';
import { parseRetryAfter } from '../core/notify/retry.js';
import { SlsaLedgerError } from '../errors.js';

export interface RetryLoopOptions {
  /** true when no further attempt may start (a deadline shared by all attempts has passed) */
  readonly stopped?: () => boolean;
  /** append "(after N attempt(s))" to the last error's message */
  readonly noteAttempts?: boolean;
}

/** Marks an attempt's failure as one worth another attempt (see the module comment). */
export function retryMarker(retryAfter: string | null | undefined): { retry: { retryAfter?: string } } {
  return { retry: retryAfter === null || retryAfter === undefined ? {} : { retryAfter } };
}

export async function withRetries<T>(
  policy: BackoffPolicy,
  once: () => Promise<T>,
  options: RetryLoopOptions = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await once();
    } catch (error) {
      const retry = error instanceof SlsaLedgerError ? error.details?.retry : undefined;
      if (!(error instanceof SlsaLedgerError) || typeof retry !== 'object' || retry === null) throw error;
      const after = (retry as { retryAfter?: unknown }).retryAfter;
      const seconds = typeof after === 'string' ? parseRetryAfter(after, new Date()) : undefined;
      const verdict = decideRetry(policy, attempt, {
        retryable: options.stopped?.() !== true,
        random: Math.random(),
        ...(seconds === undefined ? {} : { serverDelayMs: seconds * 1000 }),
      });
      if (verdict.kind === 'stop') {
        const { retry: _retry, ...details } = error.details ?? {};
        const message =
          options.noteAttempts === true ? `${error.message} (after ${attempt} attempt(s))` : error.message;
        throw new SlsaLedgerError(error.code, message, {
          cause: error,
          details: { ...details, attempts: attempt },
        });
      }
      await new Promise((resolve) => setTimeout(resolve, verdict.delayMs));
    }
  }
}
