import { describe, expect, it } from 'vitest';
import { percentileCont } from './kpi.js';
import {
  planRankReads,
  rankValue,
  readBucketRange,
  valueAtOffset,
  type RankBucket,
  type RankRead,
  type ValueCounts,
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

describe('valueAtOffset', () => {
  /** values as ValueCounts (distinct, ascending, with their multiplicity) */
  const counted = (values: readonly number[]): ValueCounts => {
    const sorted = [...values].sort((a, b) => a - b);
    const out = { values: [] as number[], counts: [] as number[] };
    for (const v of sorted) {
      if (out.values.at(-1) === v) out.counts[out.counts.length - 1]! += 1;
      else {
        out.values.push(v);
        out.counts.push(1);
      }
    }
    return out;
  };

  it('gives every rank of the union of its parts, duplicates across parts included', () => {
    // a deterministic spread with repeats inside and across the parts
    const whole = Array.from({ length: 300 }, (_, i) => Math.round(Math.sin(i * 7.3) * 40) / 4 + 0.125);
    const edge = Array.from({ length: 41 }, (_, i) => Math.round(Math.cos(i * 3.1) * 40) / 4 + 0.125);
    const other = [whole[5]!, edge[3]!, 99, -99];
    const union = [...whole, ...edge, ...other].sort((a, b) => a - b);
    const parts = [counted(whole), counted(edge), counted(other)];
    for (let r = 0; r < union.length; r++) expect(valueAtOffset(parts, r)).toBe(union[r]);
    // one part alone, and an empty part beside it
    for (let r = 0; r < edge.length; r++)
      expect(valueAtOffset([counted([]), counted(edge)], r)).toBe([...edge].sort((a, b) => a - b)[r]);
  });

  it('refuses a rank the parts do not hold, and parts that are not value counts', () => {
    const parts = [counted([1, 2, 2]), counted([2, 3])];
    expect(valueAtOffset(parts, 4)).toBe(3);
    expect(() => valueAtOffset(parts, 5)).toThrow(/hold 5 values, not rank 5/);
    expect(() => valueAtOffset([], 0)).toThrow(/hold 0 values/);
    expect(() => valueAtOffset(parts, -1)).toThrow(RangeError);
    expect(() => valueAtOffset(parts, 1.5)).toThrow(RangeError);
    expect(() => valueAtOffset([{ values: [2, 1], counts: [1, 1] }], 0)).toThrow(/not ascending/);
    expect(() => valueAtOffset([{ values: [1, 1], counts: [1, 1] }], 0)).toThrow(/not ascending/);
    expect(() => valueAtOffset([{ values: [1], counts: [0] }], 0)).toThrow(/counts 0/);
    expect(() => valueAtOffset([{ values: [1], counts: [1.5] }], 0)).toThrow(/counts 1.5/);
    expect(() => valueAtOffset([{ values: [1, 2], counts: [1] }], 0)).toThrow(/2 values and 1 counts/);
  });
});
