// The real PostgreSQL server on 127.0.0.1:5432 (user postgres, trust auth) for integration tests:
// a fresh database per test file, dropped after. Without a server the Postgres cases are skipped
// with a clear message, except in CI (CI=true), where a missing server fails the run.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const PG_HOST = process.env.SLSA_TEST_PG_HOST ?? '127.0.0.1';
export const PG_PORT = Number(process.env.SLSA_TEST_PG_PORT ?? 5432);
const adminUrl = `postgres://postgres@${PG_HOST}:${PG_PORT}/postgres`;

let available: Promise<boolean> | undefined;

/** Whether the server answers (checked once per test file). */
export function postgresAvailable(): Promise<boolean> {
  available ??= (async () => {
    const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return available;
}

/**
 * True when the Postgres cases should run. Locally without a server: prints why they are skipped.
 * In CI a missing server is not a skip: `requirePostgresInCi` makes a test fail.
 */
export async function hasPostgres(): Promise<boolean> {
  const ok = await postgresAvailable();
  if (!ok && process.env.CI !== 'true') {
    console.warn(`SKIP: no PostgreSQL on ${PG_HOST}:${PG_PORT}; the Postgres cases of this file are skipped`);
  }
  return ok;
}

/** The assertion CI runs: the server must be there. */
export async function assertPostgresInCi(): Promise<void> {
  if (process.env.CI === 'true' && !(await postgresAvailable())) {
    throw new Error(`CI=true but no PostgreSQL answers on ${PG_HOST}:${PG_PORT}`);
  }
}

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh database named after the test file; `drop()` terminates its sessions and drops it. */
export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const name = `${process.env.SLSA_TEST_DB_PREFIX ?? 'slsa_test_'}${prefix.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${process.pid}_${Date.now().toString(36)}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  return {
    name,
    url: `postgres://postgres@${PG_HOST}:${PG_PORT}/${name}`,
    async drop() {
      await admin(async (c) => {
        await c.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [name],
        );
        await c.query(`DROP DATABASE IF EXISTS ${name}`);
      });
    },
  };
}

/** Runs SQL on a test database as the superuser. */
export async function sqlOn<T = Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

export type EngineName = 'pglite' | 'postgres';

/** Where a suite's database lives on one engine: options for openDatabase / the app functions. */
export interface EngineTarget {
  readonly engine: EngineName;
  readonly options: { readonly databaseUrl?: string; readonly dataDir?: string };
  cleanup(): Promise<void>;
}

/** A fresh database on the engine: a new Postgres database, or a PGlite directory in a temp dir. */
export async function createEngineTarget(engine: EngineName, prefix: string): Promise<EngineTarget> {
  if (engine === 'postgres') {
    const db = await createTestDatabase(prefix);
    return { engine, options: { databaseUrl: db.url }, cleanup: () => db.drop() };
  }
  const dir = await mkdtemp(join(tmpdir(), `slsa-pglite-${prefix}-`));
  return {
    engine,
    options: { dataDir: join(dir, 'db') },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The engines a suite runs on here: PGlite always, Postgres when the server answers. */
export async function testEngines(): Promise<EngineName[]> {
  return (await hasPostgres()) ? ['pglite', 'postgres'] : ['pglite'];
}
