// The one retry policy (issue 14 item 1): every caller that tries again — the ledger push, the
// queue branch, the Slack webhook, the GitHub API — asks `decideRetry` whether and how long to wait.
// Exponential backoff from `baseDelayMs` with "equal jitter" (a delay between half and all of the
// step, so concurrent writers spread out), capped at `maxDelayMs`,
// and an optional server-given wait (`Retry-After`) honoured up to `maxServerDelayMs`. Pure: the
// randomness comes in as a number in [0, 1).

export interface BackoffPolicy {
  /** attempts in all, the first included */
  readonly maxAttempts: number;
  /** the delay after the first attempt, before jitter */
  readonly baseDelayMs: number;
  /** no step waits longer than this, before jitter */
  readonly maxDelayMs: number;
  /** a server asking to wait longer than this makes the caller give up instead (default: no cap) */
  readonly maxServerDelayMs?: number;
}

export type RetryStop = 'not-retryable' | 'out-of-attempts' | 'server-delay-too-long';

export type RetryVerdict =
  { readonly kind: 'retry'; readonly delayMs: number } | { readonly kind: 'stop'; readonly why: RetryStop };

export interface RetryContext {
  /** whether the failure is one that may pass (non-fast-forward, 5xx, network, 429) */
  readonly retryable: boolean;
  /** a number in [0, 1) */
  readonly random: number;
  /** a wait the server asked for (e.g. `Retry-After`), in ms */
  readonly serverDelayMs?: number;
}

/** The wait after attempt `attempt` (1-based): base·2^(attempt−1) with equal jitter, capped. */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: number): number {
  const step = policy.baseDelayMs * 2 ** Math.max(0, attempt - 1);
  const r = Math.min(Math.max(random, 0), 1);
  return Math.min(policy.maxDelayMs, Math.round(step * (0.5 + r / 2)));
}

/** What to do after attempt number `attempt` (1-based) failed. */
export function decideRetry(policy: BackoffPolicy, attempt: number, context: RetryContext): RetryVerdict {
  if (!context.retryable) return { kind: 'stop', why: 'not-retryable' };
  if (attempt >= policy.maxAttempts) return { kind: 'stop', why: 'out-of-attempts' };
  if (context.serverDelayMs !== undefined) {
    if (policy.maxServerDelayMs !== undefined && context.serverDelayMs > policy.maxServerDelayMs) {
      return { kind: 'stop', why: 'server-delay-too-long' };
    }
    return { kind: 'retry', delayMs: Math.max(0, Math.round(context.serverDelayMs)) };
  }
  return { kind: 'retry', delayMs: backoffDelay(policy, attempt, context.random) };
}

/** The policies of the callers, in one place. */
export const retryPolicies = {
  /** `record`/`flush`: a non-fast-forward push (another writer won) retried from a fresh fetch */
  ledgerPush: { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 5_000 },
  /** the best-effort `provenance-queue` branch */
  queueBranch: { maxAttempts: 4, baseDelayMs: 50, maxDelayMs: 400 },
  /** the Slack webhook (`notify`); a 429 longer than 30 s gives up */
  slack: { maxAttempts: 4, baseDelayMs: 500, maxDelayMs: 8_000, maxServerDelayMs: 30_000 },
  /** an ingest batch the database rolled back for a deadlock or serialization failure (40P01, 40001) */
  databaseTurn: { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 2_000 },
  /** the Jira issue of a sign-off (`signoff`, `validate --require-signoff`): 5xx, 429, network */
  jira: { maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 4_000, maxServerDelayMs: 30_000 },
  /** `validate`'s downloads (artifact, provenance, --manifest-url): network errors, 5xx, 429 */
  download: { maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 4_000, maxServerDelayMs: 30_000 },
  /** GitHub REST reads (attestations): network errors and 5xx */
  githubApi: { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 2_000 },
  /** `serve`'s listening connection (reads ahead after other processes' commits): for as long as it runs */
  databaseListen: { maxAttempts: Number.MAX_SAFE_INTEGER, baseDelayMs: 500, maxDelayMs: 30_000 },
} as const satisfies Record<string, BackoffPolicy>;
