// DbClient over embedded PGlite (Postgres in WebAssembly, one process, one connection).
import {
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { Logger } from '../core/ports.js';
import { SlsaLedgerError, UnavailableError } from '../errors.js';
import type { DbClient, DbQueryable, DbRole, QueryResult } from './db.js';
import { setRoleSql, wrapDbError } from './db.js';

// PGlite runs Postgres as a single-user backend: nothing checkpoints on WAL size by itself, so the
// adapter checkpoints after every CHECKPOINT_EVERY_BYTES of statements sent and on close. With
// max_wal_size / min_wal_size small, old segments are recycled at each checkpoint instead of kept.
const CHECKPOINT_EVERY_BYTES = 48 * 1024 * 1024;
const WAL_SETTINGS = ['max_wal_size = 64MB', 'min_wal_size = 32MB', 'wal_keep_size = 0'];

// Two PGlite instances on one directory corrupt it: one per directory per process, and a lock file
// naming the owning process against other processes.
const openDirs = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What the lock file says of its holder: `pid`, then optionally what it is doing (`serve http://…`). */
function readLockHolder(lockPath: string): { pid: number; purpose: string | undefined } {
  const [pidLine, purpose] = readFileSync(lockPath, 'utf8').split('\n');
  return { pid: Number.parseInt((pidLine ?? '').trim(), 10), purpose: purpose?.trim() || undefined };
}

function lockedMessage(dataDir: string, pid: number, purpose: string | undefined): string {
  if (purpose?.startsWith('serve') === true) {
    const url = purpose.slice('serve'.length).trim();
    return `embedded database ${dataDir} is open in 'slsa-ledger serve' (process ${pid}${url === '' ? '' : `, ${url}`}): an embedded database has one process at a time. Let the server ingest on a schedule ('slsa-ledger serve --ingest-every 5m --repo …'), stop it first, or use PostgreSQL (--database-url)`;
  }
  return `embedded database ${dataDir} is in use by process ${pid}${purpose === undefined ? '' : ` (${purpose})`}; stop it or use --database-url`;
}

function acquireLock(dataDir: string, purpose: string | undefined): string {
  const lockPath = `${dataDir}.lock`;
  if (openDirs.has(dataDir)) {
    throw new UnavailableError('DB_LOCKED', `embedded database ${dataDir} is already open in this process`, {
      details: { dataDir },
    });
  }
  mkdirSync(dirname(lockPath), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, `${process.pid}\n${(purpose ?? '').replace(/\s+/g, ' ').slice(0, 200)}\n`);
      closeSync(fd);
      openDirs.add(dataDir);
      return lockPath;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new UnavailableError(
          'DB_UNAVAILABLE',
          `embedded database ${dataDir} cannot be locked: ${(error as Error).message}`,
          { cause: error, details: { dataDir } },
        );
      }
      const { pid, purpose: holder } = readLockHolder(lockPath);
      if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new UnavailableError('DB_LOCKED', lockedMessage(dataDir, pid, holder), {
          details: { dataDir, pid, ...(holder === undefined ? {} : { holder }) },
        });
      }
      // stale lock of a process that is gone
      rmSync(lockPath, { force: true });
    }
  }
  throw new UnavailableError('DB_LOCKED', `embedded database ${dataDir} is locked`, { details: { dataDir } });
}

function releaseLock(dataDir: string, lockPath: string): void {
  openDirs.delete(dataDir);
  rmSync(lockPath, { force: true });
}

export interface OpenPgliteOptions {
  /** refuse a directory that holds no database yet (`DB_NOT_FOUND`) instead of creating one */
  readonly mustExist?: boolean;
  /** written in the lock file for whoever finds the database locked */
  readonly purpose?: string;
  readonly logger?: Logger;
}

/** True when `dataDir` holds a PGlite (Postgres) data directory. */
export function hasEmbeddedDatabase(dataDir: string): boolean {
  try {
    return statSync(dataDir).isDirectory() && existsSync(join(dataDir, 'PG_VERSION'));
  } catch {
    return false;
  }
}

/**
 * Refuses, before anything is locked or written, a `dataDir` that cannot hold a new embedded database:
 * a path that is not a directory (a file, a FIFO, a device), or a directory that holds files but no
 * database (no `PG_VERSION`): a new cluster would be built among the user's own files (a
 * `--data-dir` naming the project folder). A missing or empty directory is where one is created.
 * @throws SlsaLedgerError `DB_NOT_FOUND` (exit 3), `details: { dataDir }`
 */
function refuseForeignDataDir(dataDir: string): void {
  let entries: string[];
  try {
    if (!statSync(dataDir).isDirectory()) {
      throw new SlsaLedgerError(
        'DB_NOT_FOUND',
        `--data-dir ${dataDir} is not a directory: give the folder of an embedded database (or a new one)`,
        { details: { dataDir } },
      );
    }
    entries = readdirSync(dataDir);
  } catch (error) {
    if (error instanceof SlsaLedgerError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return; // created on first use (or DB_NOT_FOUND below when it must exist)
    throw new SlsaLedgerError(
      'DB_NOT_FOUND',
      `--data-dir ${dataDir} cannot be used as an embedded database folder: ${(error as Error).message}`,
      { cause: error, details: { dataDir } },
    );
  }
  if (entries.length > 0) {
    throw new SlsaLedgerError(
      'DB_NOT_FOUND',
      `--data-dir ${dataDir} holds files but no embedded database (no PG_VERSION): refusing to create one among them; give an empty or new folder, or the folder of an existing database`,
      { details: { dataDir } },
    );
  }
}

/** Opens (creating on first use) the embedded database in `dataDir`, or in memory for `memory://`. */
export async function openPglite(
  dataDir: string,
  role: DbRole,
  migrate = false,
  options: OpenPgliteOptions = {},
): Promise<DbClient> {
  const inMemory = dataDir.startsWith('memory://') || dataDir.endsWith('/memory:');
  const where = inMemory ? 'embedded database (in memory)' : `embedded database ${dataDir}`;
  const fresh = !inMemory && !hasEmbeddedDatabase(dataDir);
  if (fresh) refuseForeignDataDir(dataDir);
  if (fresh && options.mustExist === true) {
    throw new SlsaLedgerError(
      'DB_NOT_FOUND',
      `no embedded database in ${dataDir}: check --data-dir, or create it with 'slsa-ledger ingest' or 'slsa-ledger migrate'`,
      { details: { dataDir } },
    );
  }
  const lockPath = inMemory ? undefined : acquireLock(dataDir, options.purpose);
  let db: PGlite;
  try {
    if (!inMemory) mkdirSync(dataDir, { recursive: true });
    if (fresh) {
      options.logger?.info(`creating the embedded database in ${dataDir} (first use: this takes 10-40 s)`);
    }
    db = await PGlite.create(inMemory ? undefined : dataDir, { postgresqlconf: WAL_SETTINGS });
  } catch (error) {
    if (lockPath !== undefined) releaseLock(dataDir, lockPath);
    throw new UnavailableError(
      'DB_UNAVAILABLE',
      `${where} cannot be opened: ${(error as Error).message ?? String(error)}`,
      { cause: error, details: { dataDir } },
    );
  }
  if (migrate) {
    try {
      const { applyMigrations } = await import('./migrations.js');
      await applyMigrations(
        ownerClient(db, dataDir, inMemory),
        options.logger === undefined ? {} : { logger: options.logger },
      );
    } catch (error) {
      await db.close().catch(() => undefined);
      if (lockPath !== undefined) releaseLock(dataDir, lockPath);
      throw error;
    }
  }
  const roleSql = setRoleSql(role);
  if (roleSql !== undefined) {
    try {
      await db.exec(roleSql);
    } catch (error) {
      await db.close().catch(() => undefined);
      if (lockPath !== undefined) releaseLock(dataDir, lockPath);
      throw new SlsaLedgerError(
        'DB_NOT_MIGRATED',
        `${where} has no role for '${role}': run 'slsa-ledger migrate' first`,
        { cause: error, details: { dataDir, role } },
      );
    }
  }

  return clientFor(db, { dataDir, where, inMemory, role, roleSql, lockPath });
}

// A throwaway owner view of the open database, for migrating before the role switch.
function ownerClient(db: PGlite, dataDir: string, inMemory: boolean): DbClient {
  const where = inMemory ? 'embedded database (in memory)' : `embedded database ${dataDir}`;
  return clientFor(db, {
    dataDir,
    where,
    // the target the migrations name ("applying … to <target>"): the folder, never memory:// for one
    inMemory,
    role: 'owner',
    roleSql: undefined,
    lockPath: undefined,
    keepOpen: true,
  });
}

interface ClientState {
  readonly dataDir: string;
  readonly where: string;
  readonly inMemory: boolean;
  readonly role: DbRole;
  readonly roleSql: string | undefined;
  readonly lockPath: string | undefined;
  /** close() leaves the database open (the owner view used while migrating) */
  readonly keepOpen?: boolean;
}

function clientFor(db: PGlite, state: ClientState): DbClient {
  const { dataDir, where, inMemory, role, roleSql, lockPath } = state;
  let sentBytes = 0;
  let closed = false;
  const checkpoint = async (): Promise<void> => {
    sentBytes = 0;
    // CHECKPOINT needs the superuser the PGlite session really is
    await db.exec(roleSql === undefined ? 'CHECKPOINT' : `RESET ROLE; CHECKPOINT; ${roleSql}`);
  };
  const account = (sql: string, params: readonly unknown[]): void => {
    sentBytes += sql.length;
    for (const p of params) if (typeof p === 'string') sentBytes += p.length;
  };
  const maybeCheckpoint = async (): Promise<void> => {
    if (sentBytes >= CHECKPOINT_EVERY_BYTES) await checkpoint();
  };

  const wrap = (target: PGlite | Transaction): DbQueryable => ({
    async query<T>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
      account(sql, params);
      try {
        const result = await target.query<T>(sql, params as unknown[]);
        return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
      } catch (error) {
        throw wrapDbError(error, where, 'a query');
      }
    },
    async exec(sql: string): Promise<void> {
      account(sql, []);
      try {
        await target.exec(sql);
      } catch (error) {
        throw wrapDbError(error, where, 'a statement');
      }
    },
  });
  const base = wrap(db);
  // the same session acting as another role in each transaction (SET LOCAL ROLE ends with it)
  const scoped = (as: DbRole): DbClient => {
    const setLocal = setRoleSql(as)?.replace(/^SET ROLE/, 'SET LOCAL ROLE');
    const inRole = <T>(fn: (tx: DbQueryable) => Promise<T>): Promise<T> =>
      db
        .transaction(async (tx) => {
          if (setLocal !== undefined) await tx.exec(setLocal);
          return fn(wrap(tx));
        })
        .catch((error: unknown) => {
          throw wrapDbError(error, where, 'a transaction');
        });
    return {
      engine: 'pglite',
      role: as,
      target: inMemory ? 'memory://' : dataDir,
      async query<T>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
        const result = await inRole((tx) => tx.query<T>(sql, params));
        await maybeCheckpoint();
        return result;
      },
      async exec(sql: string): Promise<void> {
        await inRole((tx) => tx.exec(sql));
        await maybeCheckpoint();
      },
      async transaction<T>(fn: (tx: DbQueryable) => Promise<T>): Promise<T> {
        const result = await inRole(fn);
        await maybeCheckpoint();
        return result;
      },
      close: () => Promise.resolve(),
    };
  };
  return {
    ...(roleSql === undefined ? { withRole: scoped } : {}),
    engine: 'pglite',
    role,
    target: inMemory ? 'memory://' : dataDir,
    async query<T>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
      const result = await base.query<T>(sql, params);
      await maybeCheckpoint();
      return result;
    },
    async exec(sql: string): Promise<void> {
      await base.exec(sql);
      await maybeCheckpoint();
    },
    async transaction<T>(fn: (tx: DbQueryable) => Promise<T>): Promise<T> {
      let result: T;
      try {
        result = await db.transaction((tx) => fn(wrap(tx)));
      } catch (error) {
        throw wrapDbError(error, where, 'a transaction');
      }
      await maybeCheckpoint();
      return result;
    },
    async close(): Promise<void> {
      if (closed || state.keepOpen === true) return;
      closed = true;
      try {
        if (!inMemory) await checkpoint().catch(() => undefined);
        await db.close();
      } finally {
        if (lockPath !== undefined) releaseLock(dataDir, lockPath);
      }
    },
  };
}
