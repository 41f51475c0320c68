// A reader whose statements are answered from memory when they were already answered in the same
// snapshot of the database (docs/database.md "Answers kept per snapshot", twenty-eighth session).
//
// Why this is exact: a READ ONLY REPEATABLE READ transaction reads one snapshot, and what a snapshot
// sees is fixed by its `xmax` and its list of in-progress transactions (`xip`): every transaction
// below `xmax` and not in that list had ended when it was taken, and an ended transaction's outcome
// never changes. `pg_current_snapshot()` returns both (PostgreSQL 13+, 64-bit ids that never wrap).
// Two transactions whose snapshots print the same saw the same rows, so the same statement with the
// same parameters, if it reads only tables (no `now()`, no `random()`, no session setting), gives the
// same answer. Any commit or abort anywhere in the cluster since then gives a new snapshot, so a write
// is never hidden (it may cost a miss that was not needed: the key is the cluster's state, not ours).
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
  /** the snapshot the kept answers belong to (`xmin:xmax:xip`), or null */
  snapshot: string | null;
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

/**
 * Wraps `db` (a reader): in a transaction that begins with READ_ONLY_SNAPSHOT, the snapshot is read
 * once and every later statement is looked up by (snapshot, text, parameters) before it is sent.
 * Answers are kept only for the newest snapshot seen (a new one drops the rest), frozen, and only
 * when small (limits). Only for statements that read nothing but tables: the KPI reads qualify
 * (src/io/kpi-queries.ts calls no clock and no session setting; the views neither).
 * A transaction that begins any other way is passed through untouched.
 */
export function cacheBySnapshot(
  db: DbClient,
  limits: SnapshotCacheLimits = defaultSnapshotCacheLimits,
): SnapshotCachedClient {
  let snapshot: string | null = null;
  let kept = new Map<string, QueryResult<unknown>>();
  let rows = 0;
  let hits = 0;
  let misses = 0;

  const forSnapshot = (s: string): void => {
    if (s === snapshot) return;
    snapshot = s;
    kept = new Map();
    rows = 0;
  };

  const keep = (s: string, key: string, result: QueryResult<unknown>): void => {
    // a slower transaction of an older snapshot must not replace the newer snapshot's answers
    if (s !== snapshot || result.rows.length > limits.maxRowsPerEntry || kept.has(key)) return;
    kept.set(key, freeze(result));
    rows += result.rows.length;
    for (const [k, old] of kept) {
      if (kept.size <= limits.maxEntries && rows <= limits.maxRows) break;
      kept.delete(k);
      rows -= old.rows.length;
    }
  };

  const cachingTx = (tx: DbQueryable): DbQueryable => {
    // undefined: not yet known; null: this transaction is not cached
    let mine: string | null | undefined;
    return {
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
          const s = await tx.query<{ s: string }>('SELECT pg_current_snapshot()::text AS s');
          mine = s.rows[0]!.s;
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
        const hit = mine === snapshot ? kept.get(key) : undefined;
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
    cacheStats: () => ({ hits, misses, entries: kept.size, snapshot }),
  };
}
