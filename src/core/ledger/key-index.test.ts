import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareEntries } from './entry.js';
import {
  buildKeyIndex,
  checkKeyIndex,
  keyIndexShard,
  keyIndexShardPath,
  keyIndexVersionPath,
  lookupKey,
  parseKeyIndexShard,
  refreshShard,
  serializeKeyIndexShard,
  serializeOrderedShard,
  type KeyIndexRow,
} from './key-index.js';

describe('the key index', () => {
  it('shards by the first two hex digits of sha256(tag)', () => {
    expect(keyIndexShard('v1.2.3')).toMatch(/^[0-9a-f]{2}$/);
    expect(keyIndexShardPath('docs/reports/', 'ab')).toBe('docs/reports/index/ab.json');
  });
  it('round-trips canonical shards, sorted like the ledger', () => {
    const rows = [
      { tag: 'v1.10', run_id: 1, day: '2025-11-24' },
      { tag: 'v1.9', run_id: 2, day: '2025-11-23' },
    ];
    const text = serializeKeyIndexShard(rows);
    expect(parseKeyIndexShard(text)).toEqual([rows[1], rows[0]]);
    expect(text.endsWith('\n')).toBe(true);
    expect(lookupKey(rows, 'v1.9', 2)).toBe('2025-11-23');
    expect(lookupKey(rows, 'v1.9', 3)).toBeUndefined();
  });
  it.each([
    'nope',
    '{}',
    '[1]',
    '[{"tag":"a","run_id":"1","day":"2025-01-01"}]',
    '[{"tag":"a","run_id":1,"day":"x"}]',
    '[{"tag":"a","run_id":1,"day":"2025-01-01","x":1}]',
  ])('refuses a bad shard %s', (text) => expect(parseKeyIndexShard(text)).toBeUndefined());
  it('builds and refreshes one row per key', () => {
    const days = new Map([
      ['2025-11-23', [{ tag: 'a', run_id: 1 }]],
      [
        '2025-11-24',
        [
          { tag: 'a', run_id: 2 },
          { tag: 'b', run_id: 1 },
        ],
      ],
    ]);
    const built = buildKeyIndex(days);
    const all = [...built.values()].flat();
    expect(all).toHaveLength(3);
    const s = keyIndexShard('a');
    const rows = refreshShard(built.get(s)!, s, new Map(), { tag: 'a', run_id: 3, day: '2025-11-25' });
    expect(lookupKey(rows, 'a', 3)).toBe('2025-11-25');
    const again = refreshShard(rows, s, new Map(), { tag: 'a', run_id: 3, day: '2025-11-25' });
    expect(again).toEqual(rows);
  });
});

describe('checkKeyIndex: the index the writers trust against the day files', () => {
  const s = keyIndexShard('v1');
  const days = new Map([
    ['2025-11-20', [{ tag: 'v1', run_id: 1 }]],
    ['2025-11-21', [{ tag: 'v1', run_id: 2 }]],
  ]);
  const row = (run_id: number, day: string) => ({ tag: 'v1', run_id, day });
  it.each([
    ['exact', [row(1, '2025-11-20'), row(2, '2025-11-21')], []],
    ['a key left out', [row(2, '2025-11-21')], [{ tag: 'v1', run_id: 1, day: '2025-11-20' }]],
    [
      'a key under a day that does not hold it',
      [row(1, '2025-11-22'), row(2, '2025-11-21')],
      [{ tag: 'v1', run_id: 1, day: '2025-11-20', indexed: '2025-11-22' }],
    ],
  ])('%s', (_name, rows, expected) => {
    expect(checkKeyIndex(days, new Map([[s, rows]]))).toEqual(expected);
  });
  it('a shard absent lists nothing; an unreadable one misleads nobody', () => {
    expect(checkKeyIndex(days, new Map())).toHaveLength(2);
    expect(checkKeyIndex(days, new Map([[s, 'unreadable']]))).toEqual([]);
  });
  it('a key held by two day files is the duplicate finding, not an index one', () => {
    const dup = new Map([...days, ['2025-11-22', [{ tag: 'v1', run_id: 1 }]]]);
    expect(checkKeyIndex(dup, new Map([[s, [row(1, '2025-11-20'), row(2, '2025-11-21')]]]))).toEqual([]);
  });
});

// The mutation audit (eighteenth session): each case below failed a mutant the tests above let pass.
describe('the key index at its edges', () => {
  it('the shard is the first two hex digits of sha256(tag as UTF-8); VERSION beside the shards', () => {
    for (const tag of ['v1.2.3', 'vé', 'release-2025'])
      expect(keyIndexShard(tag)).toBe(createHash('sha256').update(tag, 'utf8').digest('hex').slice(0, 2));
    expect(keyIndexVersionPath('docs/reports/')).toBe('docs/reports/index/VERSION');
  });
  it('serializes canonical bytes: tag, run_id, day in that order, 2-space indent, nothing else', () => {
    const row = { day: '2025-11-24', run_id: 1, tag: 'v1', extra: true } as KeyIndexRow;
    expect(serializeKeyIndexShard([row])).toBe(
      '[\n  {\n    "tag": "v1",\n    "run_id": 1,\n    "day": "2025-11-24"\n  }\n]\n',
    );
  });
  it.each([
    '[null]',
    '[{"tag":1,"run_id":1,"day":"2025-01-01"}]',
    '[{"tag":"a","run_id":1,"day":["2025-01-01"]}]',
    '[{"tag":"a","run_id":1,"day":"2025-01-01x"}]',
    '[{"tag":"a","run_id":1,"day":"x2025-01-01"}]',
    '[{"tag":"a","run_id":0,"day":"2025-01-01"}]',
    '[{"tag":"a","run_id":1.5,"day":"2025-01-01"}]',
    '[{"tag":"a","run_id":9007199254740992,"day":"2025-01-01"}]',
  ])('refuses a bad shard %s', (text) => expect(parseKeyIndexShard(text)).toBeUndefined());
  it('looks a key up by its tag and its run id', () => {
    const rows = [
      { tag: 'a', run_id: 1, day: '2025-01-01' },
      { tag: 'b', run_id: 1, day: '2025-01-02' },
    ];
    expect(lookupKey(rows, 'b', 1)).toBe('2025-01-02');
  });
  it('refresh: a re-read day replaces its rows, the other days stay, the key just written moves', () => {
    const s = keyIndexShard('v1');
    const other = ['v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8'].find((t) => keyIndexShard(t) !== s)!;
    const rows = [
      { tag: 'v1', run_id: 1, day: '2025-11-20' },
      { tag: 'v1', run_id: 2, day: '2025-11-21' },
      { tag: 'v1', run_id: 3, day: '2025-11-22' },
    ];
    // 2025-11-21 re-read: run 2 left it, run 4 and a key of another shard are in it now
    const reread = new Map([
      [
        '2025-11-21',
        [
          { tag: 'v1', run_id: 4 },
          { tag: other, run_id: 9 },
        ],
      ],
    ]);
    expect(refreshShard(rows, s, reread, { tag: 'v1', run_id: 3, day: '2025-11-23' })).toEqual([
      { tag: 'v1', run_id: 1, day: '2025-11-20' },
      { tag: 'v1', run_id: 3, day: '2025-11-23' },
      { tag: 'v1', run_id: 4, day: '2025-11-21' },
    ]);
    // a key of another shard is not this shard's
    expect(refreshShard(rows, s, new Map(), { tag: other, run_id: 1, day: '2025-11-24' })).toEqual(rows);
  });
  it('one row per key, the first day winning, when refreshing and when building', () => {
    const s = keyIndexShard('v1');
    const twice = [
      { tag: 'v1', run_id: 1, day: '2025-11-22' },
      { tag: 'v1', run_id: 1, day: '2025-11-20' },
    ];
    expect(refreshShard(twice, s, new Map())).toEqual([{ tag: 'v1', run_id: 1, day: '2025-11-20' }]);
    const built = buildKeyIndex(
      new Map([
        [
          '2025-11-22',
          [
            { tag: 'v1', run_id: 2 },
            { tag: 'v1', run_id: 1 },
          ],
        ],
        ['2025-11-20', [{ tag: 'v1', run_id: 1 }]],
      ]),
    );
    expect(built.get(s)).toEqual([
      { tag: 'v1', run_id: 1, day: '2025-11-20' },
      { tag: 'v1', run_id: 2, day: '2025-11-22' },
    ]);
  });
});

describe('refreshShard: placed by binary search, the same as sorting', () => {
  // the specification: the kept rows, then the new ones, stably sorted; the first row of a key wins
  const bySort = (
    rows: readonly KeyIndexRow[],
    shard: string,
    days: ReadonlyMap<string, readonly { tag: string; run_id: number }[]>,
    set?: KeyIndexRow,
  ): KeyIndexRow[] => {
    const all = rows.filter(
      (r) => !days.has(r.day) && !(set !== undefined && r.tag === set.tag && r.run_id === set.run_id),
    );
    for (const [day, entries] of days)
      for (const e of entries)
        if (keyIndexShard(e.tag) === shard) all.push({ tag: e.tag, run_id: e.run_id, day });
    if (set !== undefined && keyIndexShard(set.tag) === shard) all.push(set);
    all.sort((a, b) => compareEntries(a, b) || (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
    return all.filter((r, i) => all.findIndex((q) => q.tag === r.tag && q.run_id === r.run_id) === i);
  };
  // few tags (so keys repeat and sort equal), all in one shard or not, days that collide
  const tagArb = fc.constantFrom('v1', 'v2', 'v10', 'v1.0', 'v01', 'a', 'v2-rc');
  const rowArb = fc.record({
    tag: tagArb,
    run_id: fc.integer({ min: 1, max: 4 }),
    day: fc.constantFrom('2025-11-20', '2025-11-21', '2025-11-22'),
  });
  it('for ordered and unordered shards, with and without re-read days and a key just written', () => {
    fc.assert(
      fc.property(
        fc.array(rowArb, { maxLength: 30 }),
        fc.boolean(),
        fc.array(rowArb, { maxLength: 20 }),
        fc.option(rowArb, { nil: undefined }),
        (raw, ordered, reread, set) => {
          const shard = keyIndexShard(set?.tag ?? raw[0]?.tag ?? 'v1');
          // a canonical shard holds only its own tags, in order
          const rows = ordered
            ? bySort(
                raw.filter((r) => keyIndexShard(r.tag) === shard),
                shard,
                new Map(),
              )
            : raw;
          const days = new Map<string, { tag: string; run_id: number }[]>();
          for (const r of reread) days.set(r.day, [...(days.get(r.day) ?? []), r]);
          const got = refreshShard(rows, shard, days, set);
          expect(got).toEqual(bySort(rows, shard, days, set));
          // the writers serialise the result as it is: it must already be in canonical order
          expect(serializeOrderedShard(got)).toBe(serializeKeyIndexShard(got));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
