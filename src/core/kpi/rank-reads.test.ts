import { describe, expect, it } from 'vitest';
import { percentileCont } from './kpi.js';
import {
  planRankReads,
  rankValue,
  readBucketRange,
  unionRank,
  wholeSlice,
  type RankBucket,
  type RankRead,
} from './rank-reads.js';

// A model of the database side: values bucketed by sorted thresholds (width_bucket), a read as SQL
// runs it (the window's values from the bucket's lower bound up, or upper bound down, skip, take two).
function model(values: readonly number[], thresholds: readonly number[]) {
  const bucketOf = (v: number): number => thresholds.filter((t) => t <= v).length;
  const byBucket = new Map<number, number[]>();
  for (const v of values) byBucket.set(bucketOf(v), [...(byBucket.get(bucketOf(v)) ?? []), v]);
  const buckets: RankBucket[] = [...byBucket]
    .sort(([a], [b]) => a - b)
    .map(([bucket, vs]) => ({ bucket, runs: vs.length, min: Math.min(...vs), max: Math.max(...vs) }));
  const read = (bucket: number, descending: boolean, offset: number): number[] => {
    const lower = thresholds[bucket - 1] ?? Number.NEGATIVE_INFINITY;
    const upper = thresholds[bucket] ?? Number.POSITIVE_INFINITY;
    const picked = descending ? values.filter((v) => v < upper) : values.filter((v) => v >= lower);
    return picked.sort((x, y) => (descending ? y - x : x - y)).slice(offset, offset + 2);
  };
  // a scope's single-pass read (src/io/kpi-queries.ts rankReadsSql): only the values of the buckets
  // readBucketRange names, sorted in the read's direction, positions offset and offset + 1
  const rangeRead = (r: RankRead): number[] => {
    const { from, to } = readBucketRange(buckets, r);
    const picked = values.filter((v) => bucketOf(v) >= from && bucketOf(v) <= to);
    return picked.sort((x, y) => (r.descending ? y - x : x - y)).slice(r.offset, r.offset + 2);
  };
  return { buckets, read, rangeRead };
}

function percentiles(values: readonly number[], thresholds: readonly number[], ranged = false) {
  const { buckets, read, rangeRead } = model(values, thresholds);
  const n = values.length;
  const pairs = [0.5, 0.95].map((p) => ({
    pos: p * (n - 1),
    lo: Math.floor(p * (n - 1)),
    hi: Math.ceil(p * (n - 1)),
  }));
  const plan = planRankReads(buckets, pairs);
  const returned = plan.reads.map((r) => (ranged ? rangeRead(r) : read(r.bucket, r.descending, r.offset)));
  const values2 = pairs.map(({ pos, lo, hi }) => {
    const a = rankValue(plan, returned, lo);
    return hi === lo ? a : a + (rankValue(plan, returned, hi) - a) * (pos - lo);
  });
  return { plan, p50: values2[0], p95: values2[1] };
}

const seeded = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};

describe('planRankReads', () => {
  it.each([
    ['reads from the bucket up or down', false],
    ['reads of only the buckets readBucketRange names', true],
  ])('gives percentile_cont exactly on random multisets, thresholds and sizes: %s', (_label, ranged) => {
    const random = seeded(7);
    for (let trial = 0; trial < 400; trial++) {
      const n = 1 + Math.floor(random() * 60);
      const distinct = 1 + Math.floor(random() * 12);
      const pool = Array.from({ length: distinct }, () => Math.round((random() * 40 - 10) * 4) / 4);
      const values = Array.from({ length: n }, () => pool[Math.floor(random() * distinct)]!);
      const thresholds = [
        ...new Set(Array.from({ length: Math.floor(random() * 8) }, () => Math.round(random() * 30 - 8))),
      ].sort((a, b) => a - b);
      const sorted = [...values].sort((a, b) => a - b);
      const got = percentiles(values, thresholds, ranged);
      expect({ trial, p50: got.p50, p95: got.p95 }).toEqual({
        trial,
        p50: percentileCont(sorted, 0.5),
        p95: percentileCont(sorted, 0.95),
      });
    }
  });

  it('reads nothing when each wanted rank sits in a bucket of one value', () => {
    const { plan } = percentiles([0, 0, 0, 0, 0, 0, 0, 0, 0, 7], [1, 5]);
    expect(plan.reads).toEqual([]);
    expect([...plan.known.keys()].sort()).toEqual([4, 5, 8, 9]);
  });

  it('reads lo and hi in one read, from the nearer end of the bucket', () => {
    // 100 values 0..99 in one bucket: p50 = ranks 49 and 50, nearer the bottom; p95 = 94 and 95, the top
    const values = Array.from({ length: 100 }, (_, i) => i);
    const { plan, p50, p95 } = percentiles(values, []);
    expect(plan.reads).toEqual([
      { bucket: 0, descending: false, offset: 49, first: 49 },
      { bucket: 0, descending: true, offset: 4, first: 95 },
    ]);
    expect([p50, p95]).toEqual([percentileCont(values, 0.5), percentileCont(values, 0.95)]);
  });

  it('refuses a rank beyond the values counted', () => {
    expect(() => planRankReads([{ bucket: 1, runs: 2, min: 0, max: 1 }], [{ lo: 2, hi: 2 }])).toThrow(
      RangeError,
    );
  });
});

// Mutation audit of the dashboard core (twentieth session)
describe('planRankReads and rankValue, single ranks and read order', () => {
  const one: RankBucket[] = [{ bucket: 0, runs: 100, min: 0, max: 99 }];

  it('reads a single rank from the nearer end too', () => {
    expect(planRankReads(one, [{ lo: 10, hi: 10 }]).reads).toEqual([
      { bucket: 0, descending: false, offset: 10, first: 10 },
    ]);
    expect(planRankReads(one, [{ lo: 90, hi: 90 }]).reads).toEqual([
      { bucket: 0, descending: true, offset: 9, first: 90 },
    ]);
  });

  it('puts the values of a read in its direction, whatever order they came in', () => {
    const plan = planRankReads(one, [
      { lo: 10, hi: 11 },
      { lo: 89, hi: 90 },
    ]);
    // up from 10: ranks 10, 11; down from 90: ranks 90, 89 (the values equal their ranks)
    const returned = [
      [11, 10],
      [89, 90],
    ];
    expect([10, 11, 89, 90].map((rank) => rankValue(plan, returned, rank))).toEqual([10, 11, 89, 90]);
  });
});

describe('wholeSlice and unionRank', () => {
  // deterministic values with repeats inside each part and across the two
  const whole = Array.from({ length: 300 }, (_, i) => Math.round(Math.sin(i * 7.3) * 40) / 4 + 0.125).sort(
    (a, b) => a - b,
  );
  const edgeOf = (n: number) =>
    Array.from({ length: n }, (_, i) => Math.round(Math.cos(i * 3.1) * 44) / 4 + 0.125).sort((a, b) => a - b);

  it('gives every rank of the union from the slice wholeSlice asks for, with ties across the parts', () => {
    for (const k of [0, 1, 2, 7, 41]) {
      const edge = edgeOf(k);
      const union = [...whole, ...edge].sort((a, b) => a - b);
      for (const block of [1, 4, 256]) {
        for (let r = 0; r < union.length; r++) {
          const { offset, limit } = wholeSlice(r, r, k, block);
          expect(offset % block).toBe(0);
          const values = whole.slice(offset, offset + limit);
          expect(unionRank({ offset, values, size: whole.length }, edge, r)).toBe(union[r]);
        }
      }
    }
    // no whole-day value at all, or no edge value
    expect(unionRank({ offset: 0, values: [], size: 0 }, [1, 2, 2, 5], 3)).toBe(5);
    expect(unionRank({ offset: 8, values: whole.slice(8, 12), size: 300 }, [], 9)).toBe(whole[9]);
  });

  it('asks for the same slice while the ranks move inside a block', () => {
    expect(wholeSlice(300, 301, 20)).toEqual({ offset: 256, limit: 256 });
    expect(wholeSlice(290, 300, 30)).toEqual({ offset: 256, limit: 256 });
    expect(wholeSlice(300, 301, 45)).toEqual({ offset: 0, limit: 512 });
    expect(wholeSlice(511, 512, 0)).toEqual({ offset: 256, limit: 512 });
    expect(() => wholeSlice(5, 4, 0)).toThrow(RangeError);
    expect(() => wholeSlice(1, 2, -1)).toThrow(RangeError);
    expect(() => wholeSlice(1, 2, 0, 0)).toThrow(RangeError);
  });

  it('refuses a slice that does not cover the rank, a rank out of range and parts out of order', () => {
    const edge = edgeOf(7);
    const at = (offset: number, length: number) => ({
      offset,
      values: whole.slice(offset, offset + length),
      size: 300,
    });
    // rank 100 needs whole-day ranks 93..100
    expect(() => unionRank(at(94, 50), edge, 100)).toThrow(/does not cover ranks 93..100/);
    expect(() => unionRank(at(40, 60), edge, 100)).toThrow(/does not cover/);
    expect(unionRank(at(93, 8), edge, 100)).toBe([...whole, ...edge].sort((a, b) => a - b)[100]);
    expect(() => unionRank(at(0, 300), edge, 307)).toThrow(/not among the 307 values/);
    expect(() => unionRank(at(0, 300), edge, -1)).toThrow(RangeError);
    expect(() => unionRank({ offset: 299, values: [1, 2], size: 300 }, [], 299)).toThrow(/past the 300/);
    expect(() => unionRank({ offset: 0, values: [2, 1], size: 2 }, [], 0)).toThrow(/not ascending/);
    expect(() => unionRank({ offset: 0, values: [1, 2], size: 2 }, [3, 1], 0)).toThrow(/not ascending/);
    // counts that do not match the values (another snapshot's): no value lies at the rank
    expect(() => unionRank({ offset: 0, values: [5, 6], size: 2 }, [1, 9], 1)).not.toThrow();
    expect(() => unionRank({ offset: 0, values: [NaN, NaN], size: 2 }, [], 1)).toThrow(RangeError);
  });
});
