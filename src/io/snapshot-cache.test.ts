// The cache's bookkeeping alone, over a database whose change counts the test hands out: answers
// kept per count, counts that only grow (a transaction that read a lower count and answers late
// neither drops nor replaces the newer answers). The exactness against real servers is in
// test/integration/postgres/snapshot-cache.test.ts and change-count.test.ts.
import { describe, expect, it } from 'vitest';
import type { DbClient, DbQueryable, QueryResult } from './db.js';
import { READ_ONLY_SNAPSHOT } from './db.js';
import { cacheBySnapshot, CHANGE_COUNT_QUERY } from './snapshot-cache.js';

/** A database whose transactions read the counts given, one each in order; every other statement is sent and counted. */
function countedDb(): {
  db: DbClient;
  sent: string[];
  nextCount: (count: bigint | Promise<bigint>) => void;
} {
  const sent: string[] = [];
  const counts: (bigint | Promise<bigint>)[] = [];
  const tx: DbQueryable = {
    async query<T>(sql: string): Promise<QueryResult<T>> {
      if (sql === READ_ONLY_SNAPSHOT) return { rows: [] as T[] } as QueryResult<T>;
      if (sql === CHANGE_COUNT_QUERY) {
        const c = counts.shift();
        if (c === undefined) throw new Error('no count left');
        return { rows: [{ c: String(await c) }] as T[] } as QueryResult<T>;
      }
      sent.push(sql);
      return { rows: [{ answer: `${sql}#${sent.length}` }] as T[] } as QueryResult<T>;
    },
    exec: () => Promise.resolve(),
  };
  const db: DbClient = {
    engine: 'postgres',
    role: 'reader',
    target: 'test',
    query: (sql, params) => tx.query(sql, params),
    exec: (sql) => tx.exec(sql),
    transaction: (fn) => fn(tx),
    close: () => Promise.resolve(),
  };
  return { db, sent, nextCount: (c) => counts.push(c) };
}

const read = (cached: DbClient, sql: string) =>
  cached.transaction(async (tx) => {
    await tx.query(READ_ONLY_SNAPSHOT);
    return (await tx.query<{ answer: string }>(sql)).rows[0]!.answer;
  });

describe('cacheBySnapshot', () => {
  it('answers a statement again from memory while the count stays, and anew once it grows', async () => {
    const { db, sent, nextCount } = countedDb();
    const cached = cacheBySnapshot(db);
    nextCount(7n);
    nextCount(7n);
    nextCount(8n);
    const first = await read(cached, 'SELECT 1');
    expect(await read(cached, 'SELECT 1')).toBe(first);
    expect(await read(cached, 'SELECT 1')).not.toBe(first);
    expect(sent).toEqual(['SELECT 1', 'SELECT 1']);
    expect(cached.cacheStats()).toEqual({ hits: 1, misses: 2, entries: 1, changes: '8' });
  });

  it('never goes back to a lower count: a transaction that read one answers from the server and keeps nothing', async () => {
    const { db, sent, nextCount } = countedDb();
    const cached = cacheBySnapshot(db);
    // the older transaction's count is read first by the server but arrives last
    let release!: (c: bigint) => void;
    nextCount(new Promise<bigint>((resolve) => (release = resolve)));
    nextCount(11n);
    nextCount(11n);
    const older = read(cached, 'SELECT 2');
    const newer = await read(cached, 'SELECT 2');
    release(10n);
    const late = await older;
    expect(late).not.toBe(newer);
    expect(cached.cacheStats().changes).toBe('11');
    // the newer count's answer is still kept, and still the one given
    expect(await read(cached, 'SELECT 2')).toBe(newer);
    expect(sent).toEqual(['SELECT 2', 'SELECT 2']);
  });
});
