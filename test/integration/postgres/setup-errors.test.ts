// Coded errors of a database that is not ready: not migrated, a broken migration, a locked
// embedded database.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrateDatabase } from '../../../src/app/migrate.js';
import { openDatabase } from '../../../src/io/db.js';
import { runCliCaptured } from '../../support/cli.js';
import { assertPostgresInCi, createTestDatabase, hasPostgres, sqlOn } from '../../support/postgres.js';

const runPg = await hasPostgres();
const env = { PATH: process.env.PATH, HOME: process.env.HOME };

it('PostgreSQL is reachable in CI', async () => {
  await assertPostgresInCi();
});

it('kpi and serve with a --data-dir that holds no database: DB_NOT_FOUND, exit 3, nothing created', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'slsa-nodb-'));
  try {
    const dataDir = join(dir, 'typo');
    for (const args of [
      ['kpi', '--data-dir', dataDir, '--json'],
      ['serve', '--data-dir', dataDir, '--port', '0', '--json'],
    ]) {
      const run = await runCliCaptured(args, { env });
      expect(run.code).toBe(3);
      expect(run.json().error!.code).toBe('DB_NOT_FOUND');
      expect(existsSync(dataDir)).toBe(false);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('migrate and ingest with --data-dir a file, FIFO, device or a folder of other files: DB_NOT_FOUND, exit 3, nothing written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'slsa-foreign-'));
  try {
    writeFileSync(join(dir, 'notes.txt'), 'mine\n');
    writeFileSync(join(dir, 'file'), 'x\n');
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    for (const dataDir of [dir, join(dir, 'file'), join(dir, 'fifo'), '/dev/zero', join(dir, 'file', 'db')]) {
      for (const args of [
        ['migrate', '--data-dir', dataDir, '--json'],
        ['ingest', '--data-dir', dataDir, '--repo', dir, '--json'],
      ]) {
        const run = await runCliCaptured(args, { env });
        expect(run.json().error?.code, `${args.join(' ')}: ${run.stdout}`).toBe('DB_NOT_FOUND');
        expect(run.code).toBe(3);
      }
    }
    expect(readdirSync(dir).sort()).toEqual(['fifo', 'file', 'notes.txt']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('an empty --data-dir is a usage error (exit 2), never the working directory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'slsa-emptydir-'));
  try {
    for (const args of [
      ['migrate', '--data-dir=', '--json'],
      ['ingest', '--data-dir', '', '--json'],
    ]) {
      const run = await runCliCaptured(args, { env, cwd: dir });
      expect(run.json().error?.code).toBe('USAGE_INVALID_FLAG');
      expect(run.code).toBe(2);
    }
    await expect(openDatabase({ dataDir: '', cwd: dir })).rejects.toThrowCode('USAGE_INVALID_FLAG');
    expect(readdirSync(dir)).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('an embedded database held by a running serve: DB_LOCKED says to let serve ingest', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'slsa-locked-serve-'));
  try {
    const dataDir = join(dir, 'db');
    writeFileSync(`${dataDir}.lock`, `${process.ppid}\nserve http://127.0.0.1:8080/\n`);
    const run = await runCliCaptured(['ingest', '--data-dir', dataDir, '--repo', dir, '--json'], { env });
    expect(run.code).toBe(5);
    const error = run.json().error!;
    expect(error.code).toBe('DB_LOCKED');
    expect(error.message).toContain('--ingest-every');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('an embedded database locked by another live process: DB_LOCKED, exit 5', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'slsa-locked-'));
  try {
    const dataDir = join(dir, 'db');
    // the parent of this process is alive and is not us
    writeFileSync(`${dataDir}.lock`, `${process.ppid}\n`);
    await expect(openDatabase({ dataDir })).rejects.toThrowCode('DB_LOCKED');
    const run = await runCliCaptured(['migrate', '--data-dir', dataDir, '--json'], { env });
    expect(run.code).toBe(5);
    expect(run.json().error!.code).toBe('DB_LOCKED');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe.runIf(runPg)('on PostgreSQL', () => {
  it('ingest and kpi on a database that was never migrated: DB_NOT_MIGRATED, exit 2', async () => {
    const db = await createTestDatabase('unmigrated');
    try {
      for (const argv of [['ingest', '--repo', tmpdir()], ['kpi']]) {
        const run = await runCliCaptured([...argv, '--database-url', db.url, '--json'], { env });
        expect(run.code).toBe(2);
        expect(run.json().error!.code).toBe('DB_NOT_MIGRATED');
      }
    } finally {
      await db.drop();
    }
  });

  it('a migration that fails: DB_MIGRATION_FAILED, and nothing of any pending migration is kept', async () => {
    const db = await createTestDatabase('badmigration');
    const dir = mkdtempSync(join(tmpdir(), 'slsa-badmig-'));
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, '20260101000000_first.sql'), 'CREATE TABLE public.first_table (id int);\n');
      writeFileSync(join(dir, '20260101000001_broken.sql'), 'CREATE TABLE public.broken (id nosuchtype);\n');
      await expect(migrateDatabase({ databaseUrl: db.url, migrationsDir: dir })).rejects.toThrowCode(
        'DB_MIGRATION_FAILED',
      );
      const tables = await sqlOn<{ n: number }>(
        db.url,
        "SELECT count(*)::int AS n FROM pg_tables WHERE tablename IN ('first_table', 'broken')",
      );
      expect(tables[0]!.n).toBe(0);
      const applied = await sqlOn<{ n: number }>(
        db.url,
        'SELECT count(*)::int AS n FROM slsa_schema_migrations',
      );
      expect(applied[0]!.n).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await db.drop();
    }
  });
});
