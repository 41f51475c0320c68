// GitHub's REST API over a rate limit (https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api,
// "Exceeding the rate limit"): the primary limit answers 403 or 429 with `x-ratelimit-remaining: 0`
// (wait until `x-ratelimit-reset`); a secondary limit answers 403 or 429 "and an error message that
// indicates that you exceeded a secondary rate limit", with `retry-after` only sometimes ("otherwise,
// wait for at least one minute"). A 403 with none of these is a refusal (permissions), not a limit.
// Pure: the adapter hands in the status, three headers and the answer's `message`.

/** A rate limit GitHub's answer reports: when it resets, how long to wait, which limit. */
export interface RateLimitDecision {
  /** the primary limit (`x-ratelimit-remaining: 0`): a token raises it */
  readonly primary: boolean;
  /** `x-ratelimit-reset` as an ISO time, when given */
  readonly resetAt: string | null;
  /** `retry-after`, or 60 for a secondary limit that names no wait (the page's "at least one minute") */
  readonly retryAfterS: number | null;
}

/**
 * Whether an answer is a rate limit, by the rate-limit page's rules (module comment): every 429; a
 * 403 with `x-ratelimit-remaining: 0`, with `retry-after`, or whose message says "rate limit". A
 * 403 without any of them is a refusal (permissions), not a limit.
 */
export function decideRateLimit(
  status: number,
  headers: {
    readonly remaining: string | null;
    readonly reset: string | null;
    readonly retryAfter: string | null;
  },
  message: string,
): RateLimitDecision | undefined {
  if (status !== 403 && status !== 429) return undefined;
  const primary = headers.remaining === '0';
  const retryAfter =
    headers.retryAfter !== null && /^\d+$/.test(headers.retryAfter.trim())
      ? Number(headers.retryAfter.trim())
      : null;
  const saysRateLimit = /rate limit/i.test(message);
  if (status === 403 && !primary && headers.retryAfter === null && !saysRateLimit) return undefined;
  const resetAt =
    primary && headers.reset !== null && /^\d+$/.test(headers.reset)
      ? new Date(Number(headers.reset) * 1000).toISOString()
      : null;
  return { primary, resetAt, retryAfterS: retryAfter ?? (primary ? null : 60) };
}
