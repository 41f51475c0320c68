import { describe, expect, it } from 'vitest';
import {
  buildKeyIndex,
  checkKeyIndex,
  keyIndexShard,
  keyIndexShardPath,
  lookupKey,
  parseKeyIndexShard,
  refreshShard,
  serializeKeyIndexShard,
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
