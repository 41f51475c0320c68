// A token bucket per client address for the dashboard's API (`serve --rate-limit`). Pure: the
// caller passes the time. The table of clients is bounded: past `maxClients` the client seen least
// recently is forgotten (it starts again with a full bucket, which only ever favours it).

export interface RateLimit {
  /** requests a client may make per minute, sustained */
  readonly perMinute: number;
  /** requests a client may make at once after a quiet spell (the bucket's size) */
  readonly burst: number;
}

export interface RateDecision {
  readonly allowed: boolean;
  /** when refused: whole seconds until the next request would be allowed (at least 1) */
  readonly retryAfterS: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** The limit `--rate-limit N` sets: N a minute, bursts of a fifth of that (12 s worth), at least 1. */
export function rateLimitOf(perMinute: number): RateLimit {
  return { perMinute, burst: Math.max(1, Math.ceil(perMinute / 5)) };
}

/**
 * The key of a client: its IPv4 address, or the /64 prefix of an IPv6 one (a single host commonly
 * holds a whole /64, so keying on full IPv6 addresses would give it 2^64 buckets). An IPv4-mapped
 * IPv6 address (`::ffff:10.0.0.1`, what a dual-stack socket reports) is its IPv4 address.
 */
export function clientKeyOf(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped !== null) return mapped[1]!;
  if (!address.includes(':')) return address;
  const [head = '', tail] = address.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => (g === '' ? '0' : g.replace(/^0+(?=.)/, '')))
    .join(':')}::/64`;
}

export class ClientRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limit: RateLimit,
    private readonly maxClients = 10_000,
  ) {}

  /** Takes one token of the client's bucket at `nowMs`, or says how long to wait for one. */
  take(address: string, nowMs: number): RateDecision {
    const key = clientKeyOf(address);
    const ratePerMs = this.limit.perMinute / 60_000;
    const seen = this.buckets.get(key);
    const bucket: Bucket =
      seen === undefined
        ? { tokens: this.limit.burst, at: nowMs }
        : {
            tokens: Math.min(this.limit.burst, seen.tokens + Math.max(0, nowMs - seen.at) * ratePerMs),
            at: Math.max(seen.at, nowMs),
          };
    // most recently seen last: the first key is the one to forget
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.maxClients) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, retryAfterS: 0 };
    }
    return { allowed: false, retryAfterS: Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerMs / 1000)) };
  }

  /** clients in the table (for tests) */
  get size(): number {
    return this.buckets.size;
  }
}
