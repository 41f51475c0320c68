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
 * The slice of a fine bucket's whole-day values to read for the ranks [first, last] of the window's
 * values in that fine bucket, when `edge` of them are the edge runs' (unionRank): the value at union
 * rank r is a whole-day value at a rank in [r - edge, r], or an edge value E[i] placed by the
 * whole-day values at ranks r - i - 1 and r - i (i < edge). The bounds are rounded out to multiples
 * of `block`, so that a window whose ranks move a little between two requests asks for the same
 * slice (and `serve` answers it from memory between commits).
 */
export function wholeSlice(
  first: number,
  last: number,
  edge: number,
  block = 256,
): { offset: number; limit: number } {
  for (const [name, v] of Object.entries({ first, last, edge, block }))
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name} ${v} is not a count`);
  if (block === 0 || last < first)
    throw new RangeError(`no slice for ranks ${first}..${last} in blocks of ${block}`);
  const offset = Math.max(0, Math.floor((first - edge) / block) * block);
  const end = (Math.floor(last / block) + 1) * block;
  return { offset, limit: end - offset };
}

/**
 * The value at `rank` (0-based, ascending) of the union of a fine bucket's whole-day values W and
 * its edge runs' values E: `whole` holds W's values at ranks [offset, offset + values.length) in
 * ascending order (a slice that wholeSlice chose, or shorter where W ends: W holds `size` values),
 * `edge` all of E, ascending. Exact with ties: ordering equal values W first, W[j] lies at union rank
 * j + (E's values below W[j]), and E[i] at (W's values at or below E[i]) + i. Throws a RangeError
 * when the slice does not cover what the rank needs, or when no value lies at that rank (the parts
 * must come from the same snapshot as the counts that gave the rank).
 */
export function unionRank(
  whole: { readonly offset: number; readonly values: readonly number[]; readonly size: number },
  edge: readonly number[],
  rank: number,
): number {
  const k = edge.length;
  if (!Number.isSafeInteger(rank) || rank < 0 || rank >= whole.size + k)
    throw new RangeError(`rank ${rank} is not among the ${whole.size + k} values`);
  for (let i = 1; i < k; i++)
    if (!(edge[i - 1]! <= edge[i]!)) throw new RangeError(`the edge values are not ascending at ${i}`);
  for (let i = 1; i < whole.values.length; i++)
    if (!(whole.values[i - 1]! <= whole.values[i]!))
      throw new RangeError(`the whole-day slice is not ascending at ${i}`);
  const end = whole.offset + whole.values.length;
  if (end > whole.size)
    throw new RangeError(`the whole-day slice ends at ${end}, past the ${whole.size} values`);
  // W[j] for j in [rank - k, rank], as far as W goes
  const from = Math.max(0, rank - k);
  const to = Math.min(rank, whole.size - 1);
  if (from <= to && (whole.offset > from || end <= to))
    throw new RangeError(`the whole-day slice [${whole.offset}, ${end}) does not cover ranks ${from}..${to}`);
  const w = (j: number): number => whole.values[j - whole.offset]!;
  // an edge value E[i] at union rank `rank`: exactly rank - i whole-day values at or below it
  for (let i = 0; i < k && i <= rank; i++) {
    const j = rank - i;
    if (j > whole.size) continue;
    if ((j === 0 || w(j - 1) <= edge[i]!) && (j === whole.size || edge[i]! < w(j))) return edge[i]!;
  }
  // else a whole-day value W[j] with j + (E's values below it) = rank
  let below = 0;
  for (let j = Math.max(0, rank - k); j <= to; j++) {
    const v = w(j);
    while (below < k && edge[below]! < v) below++;
    if (j + below === rank) return v;
  }
  throw new RangeError(`no value lies at rank ${rank} of the whole-day slice and the ${k} edge values`);
}
