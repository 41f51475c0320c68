import { describe, expect, it } from 'vitest';
import {
  buildKeyIndex,
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
