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
