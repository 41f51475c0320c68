import { describe, expect, it } from 'vitest';
import { makeEntry } from '../../../test/support/ledger.js';
import {
  enqueue,
  groupByQueueFile,
  mergeQueues,
  parseQueue,
  parseQueueItems,
  queueBranchPathFor,
  removeLanded,
  serializeQueue,
  serializeQueueWith,
  type QueueItem,
} from './queue.js';

function item(overrides: Record<string, unknown> = {}, queued_at = '2025-11-24T10:00:05Z'): QueueItem {
  return { entry: makeEntry(overrides), reason: 'pre-receive hook declined', queued_at, attempts: 1 };
}

describe('queue transitions', () => {
  it('enqueues in replay order and keeps identical entries once', () => {
    let q: QueueItem[] = [];
    q = enqueue(q, item({ run_id: 2, timestamp: '2025-11-24T11:00:00Z' }));
    q = enqueue(q, item({ run_id: 1 }));
    q = enqueue(q, item({ run_id: 1 }, '2025-11-24T12:00:00Z'));
    expect(q.map((i) => i.entry.run_id)).toEqual([1, 2]);
    expect(q[0]!.attempts).toBe(2);
    expect(q[0]!.queued_at).toBe('2025-11-24T10:00:05Z');
  });

  it('merges the local queue and the queue branch, and removes only what landed', () => {
    const a = [item({ run_id: 1 }), item({ run_id: 2 })];
    const b = [item({ run_id: 2 }), item({ run_id: 3 })];
    const all = mergeQueues(a, b);
    expect(all.map((i) => i.entry.run_id)).toEqual([1, 2, 3]);
    const left = removeLanded(all, [makeEntry({ run_id: 2 }), makeEntry({ run_id: 3, status: 'failure' })]);
    expect(left.map((i) => i.entry.run_id)).toEqual([1, 3]);
  });

  it('round-trips canonical bytes', () => {
    const q = [item({ run_id: 2 }), item({ run_id: 1 })];
    const text = serializeQueue(q);
    expect(text.endsWith('\n')).toBe(true);
    expect(serializeQueue(parseQueue(text, 'q.json'))).toBe(text);
    expect(serializeQueue([])).toBe('[]\n');
  });

  it.each([
    ['not json', '{'],
    ['not an array', '{}'],
    ['bad entry', JSON.stringify([{ ...item(), entry: { tag: 1 } }])],
    ['bad queued_at', JSON.stringify([{ ...item(), queued_at: 'now' }])],
    ['bad attempts', JSON.stringify([{ ...item(), attempts: -1 }])],
    ['unknown field', JSON.stringify([{ ...item(), extra: 1 }])],
    ['not an object', '[1]'],
  ])('refuses %s with LEDGER_QUEUE_INVALID', (_name, text) => {
    expect(() => parseQueue(text, 'q.json')).toThrowCode('LEDGER_QUEUE_INVALID');
  });

  it('places queue branch files next to the day files', () => {
    expect(queueBranchPathFor(makeEntry())).toBe('docs/reports/2025-11-24/manifest-queue.json');
    const g = groupByQueueFile([item(), item({ run_id: 9, timestamp: '2025-11-25T00:00:00Z' })]);
    expect([...g.keys()]).toEqual([
      'docs/reports/2025-11-24/manifest-queue.json',
      'docs/reports/2025-11-25/manifest-queue.json',
    ]);
  });
});

describe('a queued verdict’s VSA', () => {
  const item = {
    entry: makeEntry(),
    reason: 'refused',
    queued_at: '2025-11-24T10:00:00Z',
    attempts: 1,
    transition: { mediaType: 't' },
    vsa: { mediaType: 'v' },
  };

  it('is kept through parse, serialize and enqueue; a new signature replaces it', () => {
    const parsed = parseQueueItems(Buffer.from(serializeQueue([item])), 'q').items;
    expect(parsed[0]).toMatchObject({ transition: { mediaType: 't' }, vsa: { mediaType: 'v' } });
    const resigned = enqueue(parsed, { ...item, transition: { mediaType: 't2' }, vsa: undefined });
    expect(resigned[0]!.transition).toEqual({ mediaType: 't2' });
    expect('vsa' in resigned[0]!).toBe(false);
    // an unsigned re-queue keeps the signed statement and its VSA
    expect(enqueue(parsed, { ...item, transition: undefined, vsa: undefined })[0]).toMatchObject({
      vsa: { mediaType: 'v' },
    });
  });

  it('is refused when it is not an object, or comes without the transition that binds it', () => {
    const problems = (raw: unknown) =>
      parseQueueItems(Buffer.from(JSON.stringify([raw])), 'q').invalid.flatMap((i) =>
        i.problems.map((p) => p.path),
      );
    expect(problems({ ...item, vsa: 'x' })).toEqual(['vsa']);
    const { transition: _t, ...unsigned } = item;
    expect(problems(unsigned)).toEqual(['vsa']);
  });
});

// Pinned by the hand mutation audit of queue.ts (docs/status.md): each test fails with one mutant.
describe('queue transitions, pinned', () => {
  it('replays an insert before its update queued later in the same second (queued_at breaks the tie)', () => {
    const insert = item({ run_id: 5, status: 'failure', failure_reason: 'x' }, '2025-11-24T10:00:09Z');
    const update = item({ run_id: 5 }, '2025-11-24T10:00:10Z');
    expect(mergeQueues([update], [insert]).map((i) => i.queued_at)).toEqual([
      insert.queued_at,
      update.queued_at,
    ]);
    expect(enqueue([update], insert).map((i) => i.queued_at)).toEqual([insert.queued_at, update.queued_at]);
  });

  it('replays the older entry first whatever the order of the queues', () => {
    const late = item({ run_id: 1, timestamp: '2025-11-24T12:00:00Z' });
    const early = item({ run_id: 2, timestamp: '2025-11-24T09:00:00Z' });
    expect(mergeQueues([late], [early]).map((i) => i.entry.run_id)).toEqual([2, 1]);
    const text = JSON.stringify([late, early]);
    expect(parseQueueItems(text, 'q').items.map((i) => i.entry.run_id)).toEqual([2, 1]);
  });

  it('takes the new reason for an entry queued again', () => {
    const q = enqueue([item()], { ...item(), reason: 'remote unavailable' });
    expect(q.map((i) => i.reason)).toEqual(['remote unavailable']);
  });

  it('keeps the VSA that a new signature binds', () => {
    const first = { ...item(), transition: { mediaType: 't' }, vsa: { mediaType: 'v' } };
    const q = enqueue([first], { ...item(), transition: { mediaType: 't2' }, vsa: { mediaType: 'v2' } });
    expect(q[0]).toMatchObject({ transition: { mediaType: 't2' }, vsa: { mediaType: 'v2' } });
  });

  it('holds entries with their keys in canonical order, however they came', () => {
    const { sha, tag, ...rest } = makeEntry();
    const shuffled = { ...rest, sha, tag } as unknown as QueueItem['entry'];
    const canonical = JSON.stringify(makeEntry());
    const raw = { entry: shuffled, reason: 'r', queued_at: '2025-11-24T10:00:05Z', attempts: 1 };
    expect(JSON.stringify(parseQueueItems(JSON.stringify([raw]), 'q').items[0]!.entry)).toBe(canonical);
    expect(JSON.stringify(enqueue([], raw)[0]!.entry)).toBe(canonical);
  });

  it.each([
    ['a reason that is not text', { reason: 1 }, 'reason'],
    ['a reason with a control character', { reason: 'a\u0000b' }, 'reason'],
    ['a fractional attempts', { attempts: 1.5 }, 'attempts'],
    ['attempts as text', { attempts: '1' }, 'attempts'],
    ['a transition that is text', { transition: 'x' }, 'transition'],
    ['a transition that is an array', { transition: [] }, 'transition'],
    ['a vsa that is an array', { transition: {}, vsa: [] }, 'vsa'],
    ['an item that is an array', null, ''],
  ])('refuses %s', (_name, change, path) => {
    const raw = change === null ? [item()] : { ...item(), ...change };
    const { items, invalid } = parseQueueItems(JSON.stringify([raw]), 'q');
    expect(items).toEqual([]);
    expect(invalid[0]!.problems.map((p) => p.path)).toEqual([path]);
  });

  it('reports the key of an invalid item and writes it back exactly as it was', () => {
    const bad = { ...item({ run_id: 7, tag: 'v7.0.0' }), attempts: -1 };
    const parsed = parseQueueItems(JSON.stringify([bad, item()]), 'q');
    expect(parsed.invalid[0]).toMatchObject({ index: 0, tag: 'v7.0.0', run_id: 7 });
    const text = serializeQueueWith(parsed.items, parsed.invalid);
    expect(JSON.parse(text)).toEqual([JSON.parse(JSON.stringify(item())), bad]);
  });

  it('names the limit a queue file broke (details.cause_code)', () => {
    let caught: unknown;
    try {
      parseQueueItems('[' + '['.repeat(100) + ']'.repeat(100) + ']', 'q');
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'LEDGER_QUEUE_INVALID' });
    expect((caught as { details: { cause_code: string } }).details.cause_code).not.toBe(
      'INPUT_JSON_MALFORMED',
    );
  });

  it('groups every item of a day under its queue branch file', () => {
    const g = groupByQueueFile([item(), item({ run_id: 9 })]);
    expect([...g.values()].map((v) => v.map((i) => i.entry.run_id))).toEqual([[101, 9]]);
  });
});
