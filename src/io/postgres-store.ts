// DbClient over any Postgres URL with `pg`: a small pool, each connection switched to the role.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { backoffDelay, decideRetry, retryPolicies } from '../core/retry/decide-retry.js';
import { SlsaLedgerError, UnavailableError } from '../errors.js';
import type { DbClient, DbQueryable, DbRole, ListenHandlers, Listening, QueryResult } from './db.js';
import {
  databaseHostOf,
  describeDatabaseUrl,
  INGEST_ROLE,
  isConnectionError,
  READ_ONLY_SNAPSHOT,
  READER_ROLE,
  wrapDbError,
} from './db.js';

// bigint run ids are at most 2^53 - 1 (DESIGN.md §4), so numbers are exact; numeric stays text.
const INT8_OID = 20;
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return (value: string) => Number(value);
    // pg's own parsers for every other type
    return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
  },
};

function roleName(role: DbRole): string | undefined {
  return role === 'ingest' ? INGEST_ROLE : role === 'reader' ? READER_ROLE : undefined;
}

function queryable(client: pg.PoolClient | pg.Pool, where: string): DbQueryable {
  return {
    async query<T>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
      try {
        const result = await client.query(sql, params as unknown[]);
        return { rows: result.rows as T[], rowCount: result.rowCount ?? result.rows.length };
      } catch (error) {
        throw wrapDbError(error, where, 'a query');
      }
    },
    async exec(sql: string): Promise<void> {
      try {
        await client.query(sql);
      } catch (error) {
        throw wrapDbError(error, where, 'a statement');
      }
    },
  };
}

/**
 * Connects to Postgres and checks the connection (and the role) once, so an unreachable server
 * fails here with `DB_UNAVAILABLE` naming the host.
 */
export async function openPostgres(
  url: string,
  role: DbRole,
  options: {
    readonly connections?: number;
    /**
     * a long-lived reader (`serve`): every connection is opened now, `warm` runs on each (pinned to
     * it), and idle connections are kept instead of closed after 10 s, so a request after a quiet
     * spell plans on warm catalog caches rather than on a new, cold connection
     */
    readonly warm?: (db: DbClient) => Promise<void>;
    /** `statement_timeout` of every connection, in milliseconds (a whole number, at least 1) */
    readonly statementTimeoutMs?: number;
  } = {},
): Promise<DbClient> {
  const where = databaseHostOf(url);
  const target = describeDatabaseUrl(url);
  const setRole = roleName(role);
  const timeout = options.statementTimeoutMs;
  if (timeout !== undefined && !(Number.isSafeInteger(timeout) && timeout >= 1)) {
    throw new SlsaLedgerError('USAGE_INVALID_FLAG', 'the statement timeout must be a whole number of ms', {
      details: { flag: 'statement-timeout' },
    });
  }
  // set at connection start, like the role: no statement of the session runs without it
  const timeoutOption = timeout === undefined ? '' : ` -c statement_timeout=${timeout}`;
  const connection = {
    connectionString: url,
    // the role is set at connection start (`-c role=…`, as SET ROLE), so no query ever runs as the
    // connecting user, and a missing role fails the connection itself
    // the reader's reports aggregate a year of an organisation's rollup (~60,000 histogram rows): with
    // the default 4 MB their sorts and hashes spill to disk; no parallel workers and no JIT: a
    // report's statements read a few thousand rows each, where starting workers (~20-50 ms) or
    // compiling (~0.1-0.4 s) costs more than the statement
    ...(setRole === undefined
      ? timeoutOption === ''
        ? {}
        : { options: timeoutOption.trim() }
      : {
          options: `-c role=${setRole}${
            role === 'reader' ? ' -c work_mem=64MB -c max_parallel_workers_per_gather=0 -c jit=off' : ''
          }${timeoutOption}`,
        }),
    connectionTimeoutMillis: 10_000,
    types,
    application_name: 'slsa-ledger',
  };
  // `ingest --jobs N` holds one connection per ledger at once
  const max = Math.max(4, options.connections ?? 4);
  const pool = new pg.Pool({
    ...connection,
    max,
    // 0: kept until the server drops them (a warm pool); else closed after 10 s idle
    idleTimeoutMillis: options.warm === undefined ? 10_000 : 0,
  });
  // an idle connection dropped by the server must not crash the process; the next query reports it
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    try {
      await client.query('SELECT 1');
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end().catch(() => undefined);
    const wrapped = wrapDbError(error, where, 'connecting');
    if (setRole !== undefined && /role .* does not exist/.test(wrapped.message)) {
      throw new SlsaLedgerError(
        'DB_NOT_MIGRATED',
        `database at ${where} has no role for '${role}': run 'slsa-ledger migrate' first`,
        { cause: error, details: { target: where, role } },
      );
    }
    throw wrapped;
  }
  if (options.warm !== undefined) {
    // all at once: one after another, the pool would hand out the same idle connection each time
    const clients = await Promise.all(Array.from({ length: max }, () => pool.connect()));
    try {
      await Promise.all(
        clients.map(async (c) => {
          await options.warm!(pinnedClient(c, where, role, target));
          // never fatal: a request that needs the connection reports a broken one
          await c.query(PRIME_BACKEND_MEMORY).catch(() => undefined);
        }),
      );
    } finally {
      for (const c of clients) c.release();
    }
  }
  const base = queryable(pool, where);
  return {
    engine: 'postgres',
    role,
    target,
    query: (sql, params) => base.query(sql, params),
    exec: (sql) => base.exec(sql),
    async transaction<T>(fn: (tx: DbQueryable) => Promise<T>): Promise<T> {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw wrapDbError(error, where, 'connecting');
      }
      let broken: unknown;
      const tx = snapshotSharing(client, pool, max, where);
      try {
        await client.query('BEGIN');
        const result = await fn(tx.queryable);
        tx.close();
        await client.query('COMMIT');
        return result;
      } catch (error) {
        try {
          // a statement of the body still running (side by side with the one that failed) answers
          // first, and none is taken after it
          tx.close();
          await tx.settled();
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          // the connection is gone: the server rolls the transaction back itself
          broken = rollbackError;
        }
        throw wrapDbError(error, where, 'a transaction');
      } finally {
        await tx.end();
        client.release(broken === undefined ? undefined : (broken as Error));
      }
    },
    listen: (channel, handlers) =>
      listenOn(
        // TCP keepalive: a connection that died without a word (a dropped route) ends, and is opened again
        {
          ...connection,
          application_name: 'slsa-ledger-listen',
          keepAlive: true,
          keepAliveInitialDelayMillis: 30_000,
        },
        where,
        channel,
        handlers,
      ),
    async close(): Promise<void> {
      await pool.end().catch(() => undefined);
    },
  };
}

/**
 * One statement at a time on a connection, in the order they were asked for: a report sends the
 * statements of independent reads to one connection at once (node-postgres queues them itself, but
 * that is deprecated and goes in pg 9).
 */
function oneAtATime(
  q: DbQueryable,
  where: string,
): DbQueryable & { readonly settled: () => Promise<unknown>; readonly close: () => void } {
  let last: Promise<unknown> = Promise.resolve();
  let closed = false;
  const turn = <T>(run: () => Promise<T>): Promise<T> => {
    // a read still running beside one that failed must not reach a connection given back to the pool
    if (closed)
      return Promise.reject(
        new SlsaLedgerError('DB_QUERY_FAILED', `a statement came after its transaction ended on ${where}`, {
          details: { target: where },
        }),
      );
    const mine = last.then(run, run);
    last = mine.catch(() => undefined);
    return mine;
  };
  return {
    query: (sql, params) => turn(() => q.query(sql, params)),
    exec: (sql) => turn(() => q.exec(sql)),
    // every statement asked for so far has answered (a failed one included)
    settled: () => last,
    // no statement from now on
    close: () => {
      closed = true;
    },
  };
}

/** What a transaction's `beside` may be given at most: its exported snapshot's id, checked. */
const SNAPSHOT_ID = /^[0-9A-F]{8}-[0-9A-F]{8}-[0-9]{1,10}$/;

/**
 * A transaction's queryable with `beside` (DbQueryable): once its first statement was
 * READ_ONLY_SNAPSHOT, a second connection taken from the pool only when one is free at once, its
 * transaction set to this one's exported snapshot. `end()` ends that second transaction (read only:
 * nothing to commit) and gives its connection back; the caller's statements on it have all answered
 * by then (a report awaits every statement before it returns or throws).
 */
function snapshotSharing(
  client: pg.PoolClient,
  pool: pg.Pool,
  max: number,
  where: string,
): {
  queryable: DbQueryable;
  settled: () => Promise<unknown>;
  close: () => void;
  end: () => Promise<void>;
} {
  const base = oneAtATime(queryable(client, where), where);
  let first: string | undefined;
  let second: { client: pg.PoolClient; q: ReturnType<typeof oneAtATime> } | undefined;
  let side: Promise<DbQueryable | undefined> | undefined;
  let closed = false;
  const open = async (): Promise<DbQueryable | undefined> => {
    if (first !== READ_ONLY_SNAPSHOT || closed) return undefined;
    // taken only when the pool gives one now: pg-pool hands out an idle connection or opens a new one
    // in this same call when nobody waits, and a caller that waited could hold its first while others
    // hold theirs
    if (pool.waitingCount > 0 || (pool.idleCount === 0 && pool.totalCount >= max)) return undefined;
    const taking = pool.connect();
    let id: string;
    try {
      const exported = await base.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
      id = String(exported.rows[0]?.id ?? '');
    } catch (error) {
      void taking.then(
        (c) => c.release(),
        () => undefined,
      );
      // this transaction is aborted now: its next statement reports the refusal
      throw error;
    }
    let c: pg.PoolClient;
    try {
      c = await taking;
    } catch {
      return undefined; // no second connection: the transaction goes on alone
    }
    try {
      if (!SNAPSHOT_ID.test(id)) throw new Error('the server exported a snapshot id of an unknown form');
      // one round trip: BEGIN with the first one's isolation, then the snapshot, before any query
      await c.query(`BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT '${id}'`);
    } catch (error) {
      // a pooler that cannot give the snapshot to another server connection, say: alone, then
      await c.query('ROLLBACK').catch(() => undefined);
      c.release(error as Error);
      return undefined;
    }
    second = { client: c, q: oneAtATime(queryable(c, where), where) };
    // the first transaction ended meanwhile: this one ends with it (end() gives the connection back)
    if (closed) second.q.close();
    return second.q;
  };
  return {
    queryable: {
      query(sql, params) {
        first ??= params === undefined ? sql : '';
        return base.query(sql, params);
      },
      exec(sql) {
        first ??= '';
        return base.exec(sql);
      },
      beside: () => (side ??= open()),
    },
    settled: () => base.settled(),
    close() {
      closed = true;
      base.close();
      second?.q.close();
    },
    async end() {
      if (side !== undefined) await side.catch(() => undefined);
      const other = second;
      if (other === undefined) return;
      second = undefined;
      // a statement still running there when the first connection failed answers first
      await other.q.settled();
      try {
        await other.client.query('ROLLBACK');
        other.client.release();
      } catch (error) {
        other.client.release(error as Error);
      }
    },
  };
}

/**
 * `LISTEN channel` on a client of its own, reconnecting after a lost connection with the one retry
 * policy's backoff (`databaseListen`) for as long as it is not closed. A refusal that is not the
 * connection's is reported once and not retried. A pooler in transaction mode may accept the
 * `LISTEN` and never deliver a notification (PgBouncer hands the server connection that ran it to
 * other clients, and a notification that reaches it while no client holds it is dropped), so after
 * each `LISTEN` a test notification (a random payload) is sent from a connection of its own: when it
 * has not arrived within `silentAfterMs`, `onSilent` says so (docs/database.md). A test notification
 * is not passed on as `onNotify`.
 */
async function listenOn(
  config: pg.ClientConfig,
  where: string,
  channel: string,
  handlers: ListenHandlers,
): Promise<Listening> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) {
    throw new SlsaLedgerError('USAGE_INVALID_FLAG', `not a channel name: ${channel.slice(0, 70)}`);
  }
  let closed = false;
  let client: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  let failures = 0;
  let listened = false;
  // the test notification in flight: its payload, and how it ends (true: it arrived, or there is
  // nothing to say: it could not be sent, the listener closed)
  let test: { readonly payload: string; readonly end: (arrived: boolean) => void } | undefined;
  const senders = new Set<pg.Client>();
  const silentAfterMs = handlers.silentAfterMs ?? 5_000;

  const sendTest = async (c: pg.Client): Promise<void> => {
    const payload = `slsa-ledger-listen-test:${randomUUID()}`;
    let resolve!: (arrived: boolean) => void;
    const arrived = new Promise<boolean>((r) => (resolve = r));
    const waiting = setTimeout(() => mine.end(false), silentAfterMs);
    waiting.unref();
    const mine = {
      payload,
      end: (ok: boolean): void => {
        clearTimeout(waiting);
        if (test === mine) test = undefined;
        resolve(ok);
      },
    };
    test = mine;
    // bounded: a pool with no free server connection (session pooling at its limit) must not hold it
    const sender = new pg.Client({
      ...config,
      application_name: 'slsa-ledger-listen-test',
      keepAlive: false,
      connectionTimeoutMillis: silentAfterMs,
      query_timeout: silentAfterMs,
    });
    sender.on('error', () => undefined);
    senders.add(sender);
    try {
      await sender.connect();
      await sender.query('SELECT pg_catalog.pg_notify($1, $2)', [channel, payload]);
    } catch {
      // a server that cannot be reached now: the listening connection's own loss says so
      mine.end(true);
    } finally {
      senders.delete(sender);
      await sender.end().catch(() => undefined);
    }
    if (!(await arrived) && !closed && client === c) handlers.onSilent?.(silentAfterMs);
  };

  const attempt = async (): Promise<void> => {
    timer = undefined;
    const c = new pg.Client(config);
    // a dropped connection: `end` follows (the error itself is what `end` reports)
    c.on('error', () => undefined);
    c.on('notification', (n) => {
      if (n.channel !== channel || closed) return;
      if (test !== undefined && n.payload === test.payload) {
        test.end(true);
        return;
      }
      handlers.onNotify();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${channel}`);
    } catch (error) {
      await c.end().catch(() => undefined);
      if (closed) return;
      failures++;
      const verdict = decideRetry(retryPolicies.databaseListen, failures, {
        retryable: isConnectionError(error),
        random: Math.random(),
      });
      const retryInMs = verdict.kind === 'retry' ? verdict.delayMs : undefined;
      handlers.onError(wrapDbError(error, where, `listening on ${channel}`), retryInMs);
      if (retryInMs !== undefined) schedule(retryInMs);
      return;
    }
    if (closed) {
      await c.end().catch(() => undefined);
      return;
    }
    client = c;
    failures = 0;
    handlers.onListening?.(listened);
    listened = true;
    void sendTest(c);
    c.once('end', () => {
      if (closed || client !== c) return;
      client = undefined;
      failures++;
      const delay = backoffDelay(retryPolicies.databaseListen, failures, Math.random());
      handlers.onError(
        new UnavailableError(
          'DB_UNAVAILABLE',
          `the connection listening on ${channel} at ${where} was lost`,
          {
            details: { target: where },
          },
        ),
        delay,
      );
      schedule(delay);
    });
  };
  const schedule = (delayMs: number): void => {
    timer = setTimeout(() => void attempt(), delayMs);
    timer.unref();
  };
  await attempt();
  return {
    async close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      test?.end(true);
      await Promise.all([...senders].map((c) => c.end().catch(() => undefined)));
      await client?.end().catch(() => undefined);
      client = undefined;
    },
  };
}

/**
 * Run once on each connection of a warm pool: one in-memory sort whose array (~6 MB) the server
 * allocates and frees. A server process on glibc then keeps freed memory up to twice that size
 * instead of giving it back after every statement: glibc raises its mmap threshold to the size of
 * a freed mapped block and its trim threshold to twice that, and both start at 128 KB. Without it,
 * a report's statements that use a few MB grew and shrank the process's heap each time (`brk`),
 * faulting its pages in again: ~1,050 page faults and 10–15 of ~25 ms for the organisation's fine
 * counts at 10M runs, on every request; a connection that had once freed a large block (whatever
 * it ran before) did not (docs/database.md "Thirteenth session"). Costs the server up to ~12 MB of
 * kept memory per connection; harmless elsewhere.
 */
export const PRIME_BACKEND_MEMORY =
  'SELECT count(*) FROM (SELECT g FROM generate_series(1, 200000) AS g ORDER BY g DESC) AS s';

/** A client on one connection of the pool (a pool's `warm`); `close` leaves the connection open. */
function pinnedClient(client: pg.PoolClient, where: string, role: DbRole, target: string): DbClient {
  const base = queryable(client, where);
  return {
    engine: 'postgres',
    role,
    target,
    query: (sql, params) => base.query(sql, params),
    exec: (sql) => base.exec(sql),
    async transaction<T>(fn: (tx: DbQueryable) => Promise<T>): Promise<T> {
      await base.query('BEGIN');
      try {
        const result = await fn(base);
        await base.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    },
    async close(): Promise<void> {},
  };
}
