// Exact order statistics from bucket counts (migration …150800, "percentile histogram"). The values
// of a window are counted per bucket of value, buckets in value order (every value of a bucket lies
// below every value of the next). A wanted rank then lies in a known bucket, behind a known number of
// values: it is either that bucket's only value (min = max) or one read away, a read being "the
// window's values from this bucket's lower bound up (or its upper bound down), skip `offset`, take
// two". Pure planning here; src/io/kpi-queries.ts runs the reads.

/** One bucket of a window: how many values it holds and the smallest and largest of them. */
export interface RankBucket {
  readonly bucket: number;
  readonly runs: number;
  readonly min: number;
  readonly max: number;
}

/** A read: from `bucket`'s lower bound up (or upper bound down), skip `offset` values, take two. */
export interface RankRead {
  readonly bucket: number;
  readonly descending: boolean;
  readonly offset: number;
  /** the rank (0-based, ascending over the window) of the first value the read returns */
  readonly first: number;
}

export interface RankPlan {
  /** ranks whose value the buckets already tell */
  readonly known: ReadonlyMap<number, number>;
  readonly reads: readonly RankRead[];
}

/** Where rank r (0-based) lies: its bucket and how many values lie below that bucket. */
function locate(buckets: readonly RankBucket[], rank: number): { row: RankBucket; below: number } {
  let below = 0;
  for (const row of buckets) {
    if (rank < below + row.runs) return { row, below };
    below += row.runs;
  }
  throw new RangeError(`rank ${rank} is beyond the ${below} values counted`);
}

const covers = (read: RankRead, rank: number): boolean =>
  rank === read.first || rank === read.first + (read.descending ? -1 : 1);

/**
 * The reads that give the wanted ranks, each pair (lo, hi = lo or lo + 1) in one read where both
 * must be read, in the direction that skips fewer values.
 * @param buckets the window's buckets in bucket order, empty ones left out
 * @param pairs the ranks percentile_cont interpolates between, floor and ceil of p·(n − 1)
 */
export function planRankReads(
  buckets: readonly RankBucket[],
  pairs: readonly { readonly lo: number; readonly hi: number }[],
): RankPlan {
  const known = new Map<number, number>();
  const reads: RankRead[] = [];
  const up = (rank: number): RankRead => {
    const { row, below } = locate(buckets, rank);
    return { bucket: row.bucket, descending: false, offset: rank - below, first: rank };
  };
  const down = (rank: number): RankRead => {
    const { row, below } = locate(buckets, rank);
    return { bucket: row.bucket, descending: true, offset: below + row.runs - 1 - rank, first: rank };
  };
  const cheaper = (a: RankRead, b: RankRead): RankRead => (b.offset < a.offset ? b : a);
  for (const { lo, hi } of pairs) {
    const unread = [...new Set([lo, hi])].filter((rank) => {
      if (known.has(rank) || reads.some((r) => covers(r, rank))) return false;
      const { row } = locate(buckets, rank);
      if (row.min === row.max) {
        known.set(rank, row.min);
        return false;
      }
      return true;
    });
    if (unread.length === 2) {
      // up from lo returns lo and lo + 1; down from hi returns hi and hi − 1 (across a bucket edge too)
      reads.push(cheaper(up(lo), down(hi)));
    } else if (unread.length === 1) {
      reads.push(cheaper(up(unread[0]!), down(unread[0]!)));
    }
  }
  return { known, reads };
}

/**
 * The value of a rank, from the plan and what each read returned (in any order: the values of a
 * read are put in its direction here).
 */
export function rankValue(plan: RankPlan, readValues: readonly (readonly number[])[], rank: number): number {
  const value = plan.known.get(rank);
  if (value !== undefined) return value;
  const index = plan.reads.findIndex((r) => covers(r, rank));
  const read = plan.reads[index];
  if (read === undefined) throw new RangeError(`rank ${rank} was not planned`);
  const values = [...(readValues[index] ?? [])].sort((x, y) => (read.descending ? y - x : x - y));
  const v = values[Math.abs(rank - read.first)];
  if (v === undefined)
    throw new RangeError(`read ${index} returned ${values.length} values, rank ${rank} missing`);
  return v;
}

/** The buckets a read's values lie in, from its first value to its second (inclusive, in bucket order). */
export interface BucketRange {
  readonly from: number;
  readonly to: number;
}

/**
 * The buckets that hold a read's two values: a read up starts at its bucket and may end in the
 * bucket of the next rank, a read down ends at its bucket and may start in the bucket of the rank
 * before (the next non-empty bucket when the rank is its bucket's last). Reading only these buckets'
 * values, sorted in the read's direction, the read's values are at `offset` and `offset + 1`.
 * @param buckets the window's buckets in bucket order, empty ones left out (as for planRankReads)
 */
export function readBucketRange(buckets: readonly RankBucket[], read: RankRead): BucketRange {
  const n = buckets.reduce((sum, b) => sum + b.runs, 0);
  if (read.descending) {
    return { from: locate(buckets, Math.max(read.first - 1, 0)).row.bucket, to: read.bucket };
  }
  return { from: read.bucket, to: locate(buckets, Math.min(read.first + 1, n - 1)).row.bucket };
}

/**
 * Some values, each distinct value once with how many times it occurs, in ascending order (what
 * `array_agg(v ORDER BY v)`, `array_agg(count)` of a `GROUP BY v` give).
 */
export interface ValueCounts {
  readonly values: readonly number[];
  readonly counts: readonly number[];
}

/**
 * The value at `offset` (0-based, ascending) of the union of several multisets of values, each given
 * as ValueCounts: a window's fine bucket read in parts (its whole days, kept between commits, and
 * its edge runs). Throws a RangeError when the parts hold `offset` values or fewer, or when a part
 * is not ascending or its counts are not positive whole numbers (the parts must come from the same
 * snapshot as the counts that gave the offset).
 */
export function valueAtOffset(parts: readonly ValueCounts[], offset: number): number {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`offset ${offset} is not a rank`);
  const next = parts.map(() => 0);
  for (const [k, p] of parts.entries()) {
    if (p.values.length !== p.counts.length)
      throw new RangeError(`part ${k} holds ${p.values.length} values and ${p.counts.length} counts`);
    for (let i = 0; i < p.values.length; i++) {
      const c = p.counts[i]!;
      if (!Number.isSafeInteger(c) || c <= 0) throw new RangeError(`part ${k} counts ${c} at ${i}`);
      if (i > 0 && !(p.values[i - 1]! < p.values[i]!))
        throw new RangeError(`part ${k} is not ascending at ${i}`);
    }
  }
  let below = 0;
  for (;;) {
    // the smallest value not yet passed, over every part
    let min = Infinity;
    let any = false;
    for (const [k, p] of parts.entries()) {
      const i = next[k]!;
      if (i < p.values.length && (!any || p.values[i]! < min)) {
        min = p.values[i]!;
        any = true;
      }
    }
    if (!any) throw new RangeError(`the parts hold ${below} values, not rank ${offset}`);
    let count = 0;
    for (const [k, p] of parts.entries()) {
      const i = next[k]!;
      if (i < p.values.length && p.values[i] === min) {
        count += p.counts[i]!;
        next[k] = i + 1;
      }
    }
    if (offset < below + count) return min;
    below += count;
  }
}
