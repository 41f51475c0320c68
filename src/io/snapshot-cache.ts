// A reader whose statements are answered from memory when they were already answered in a snapshot
// of the database that saw the same rows (docs/database.md "Answers kept per snapshot", twenty-eighth
// session; its change count, thirty-first).
//
// Why this is exact: a READ ONLY REPEATABLE READ transaction reads one snapshot. Its first statement
// reads the schema's change count (`provenance_change_count`, migration
// 20261207110000_slsa_change_count.sql): the number of committed transactions that wrote any of
// slsa-ledger's tables, as that snapshot sees them. A later snapshot sees a superset of an earlier one's
// commits, so two snapshots with the same count saw the same writing transactions, hence the same
// rows in every table the reads use; the same statement with the same parameters, if it reads only
// those tables (no `now()`, no `random()`, no session setting), gives the same answer. A commit
// elsewhere in the cluster (another database, Supabase's own schemas) no longer costs a read anew, as
// it did while the key was `pg_current_snapshot()`. Counts only grow: a transaction that reads a
// smaller count than the newest seen (it took its snapshot earlier and answered later) is passed
// through, its answers neither used nor kept.
import type { DbClient, DbQueryable, QueryResult } from './db.js';
import { READ_ONLY_SNAPSHOT } from './db.js';

export interface SnapshotCacheLimits {
  /** answers kept at most (the oldest go first) */
  readonly maxEntries: number;
  /** an answer with more rows than this is never kept */
  readonly maxRowsPerEntry: number;
  /** rows kept in all at most */
  readonly maxRows: number;
}

export const defaultSnapshotCacheLimits: SnapshotCacheLimits = {
  maxEntries: 512,
  maxRowsPerEntry: 5_000,
  maxRows: 100_000,
};

export interface SnapshotCacheStats {
  hits: number;
  misses: number;
  /** answers kept now */
  entries: number;
  /** the schema's change count the kept answers belong to, or null */
  changes: string | null;
}

export interface SnapshotCachedClient extends DbClient {
  readonly cacheStats: () => SnapshotCacheStats;
}

/** Deep-freezes a kept answer: a caller that changed a row would change every later answer. */
function freeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) freeze(v);
  }
  return value;
}

/** The key statement: the schema's change count in the transaction's snapshot (a bigint as text). */
export const CHANGE_COUNT_QUERY = 'SELECT changes::text AS c FROM public.provenance_change_count';

/**
 * Wraps `db` (a reader): in a transaction that begins with READ_ONLY_SNAPSHOT, the change count is
 * read once and every later statement is looked up by (count, text, parameters) before it is sent.
 * Answers are kept only for the highest count seen (a higher one drops the rest), frozen, and only
 * when small (limits). Only for statements that read nothing but tables: the KPI reads qualify
 * (src/io/kpi-queries.ts calls no clock and no session setting; the views neither).
 * A transaction that begins any other way is passed through untouched.
 */
export function cacheBySnapshot(
  db: DbClient,
  limits: SnapshotCacheLimits = defaultSnapshotCacheLimits,
): SnapshotCachedClient {
  let current: bigint | null = null;
  let kept = new Map<string, QueryResult<unknown>>();
  let rows = 0;
  let hits = 0;
  let misses = 0;

  const forSnapshot = (s: bigint): void => {
    // counts only grow: an older transaction answering late does not drop the newer answers
    if (current !== null && s <= current) return;
    current = s;
    kept = new Map();
    rows = 0;
  };

  const keep = (s: bigint, key: string, result: QueryResult<unknown>): void => {
    // a slower transaction of an older snapshot must not replace the newer snapshot's answers
    if (s !== current || result.rows.length > limits.maxRowsPerEntry || kept.has(key)) return;
    kept.set(key, freeze(result));
    rows += result.rows.length;
    for (const [k, old] of kept) {
      if (kept.size <= limits.maxEntries && rows <= limits.maxRows) break;
      kept.delete(k);
      rows -= old.rows.length;
    }
  };

  // `count`: a transaction beside another on its snapshot (DbQueryable.beside) starts with that one's
  const cachingTx = (tx: DbQueryable, count?: bigint | null): DbQueryable => {
    // undefined: not yet known; null: this transaction is not cached
    let mine: bigint | null | undefined = count;
    let side: Promise<DbQueryable | undefined> | undefined;
    return {
      ...(tx.beside === undefined
        ? {}
        : {
            beside: () =>
              (side ??= (async () => {
                if (typeof mine !== 'bigint') {
                  const other = await tx.beside!();
                  // asked before the count was read, or not kept: its statements are passed through
                  return other === undefined ? undefined : cachingTx(other, null);
                }
                // opened at the first statement not answered from memory: between two commits a
                // report's statements are, and the second transaction would cost its round trips
                // for nothing; where none can be had then, this transaction's own connection reads
                let opened: Promise<DbQueryable> | undefined;
                const other = (): Promise<DbQueryable> => (opened ??= tx.beside!().then((o) => o ?? tx));
                return cachingTx(
                  {
                    query: async (sql, params) => (await other()).query(sql, params),
                    exec: async (sql) => (await other()).exec(sql),
                  },
                  mine,
                );
              })()),
          }),
      exec: (sql) => {
        // statements run unseen (a setting, a write): nothing more of this transaction is kept or answered
        mine = null;
        return tx.exec(sql);
      },
      async query<T>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
        if (mine === undefined) {
          if (sql !== READ_ONLY_SNAPSHOT || params !== undefined) {
            mine = null;
            return tx.query<T>(sql, params);
          }
          const begun = await tx.query<T>(sql);
          const c = await tx.query<{ c: string }>(CHANGE_COUNT_QUERY);
          mine = BigInt(c.rows[0]!.c);
          forSnapshot(mine);
          return begun;
        }
        if (mine === null) return tx.query<T>(sql, params);
        let key: string;
        try {
          key = `${sql}\u0000${JSON.stringify(params ?? [])}`;
        } catch {
          return tx.query<T>(sql, params); // a parameter JSON cannot spell (a bigint): not kept
        }
        const hit = mine === current ? kept.get(key) : undefined;
        if (hit !== undefined) {
          hits++;
          return hit as QueryResult<T>;
        }
        misses++;
        const result = await tx.query<T>(sql, params);
        keep(mine, key, result);
        return result;
      },
    };
  };

  return {
    engine: db.engine,
    role: db.role,
    target: db.target,
    query: (sql, params) => db.query(sql, params),
    exec: (sql) => db.exec(sql),
    transaction: (fn) => db.transaction((tx) => fn(cachingTx(tx))),
    close: () => db.close(),
    cacheStats: () => ({
      hits,
      misses,
      entries: kept.size,
      changes: current === null ? null : String(current),
    }),
  };
}
