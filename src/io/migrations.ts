// Applies supabase/migrations/*.sql in name order and tracks them in slsa_schema_migrations with a
// SHA-256 of each file: an applied migration whose file changed is an error, never silently re-run.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConflictError, SlsaLedgerError } from '../errors.js';
import type { Logger } from '../core/ports.js';
import type { DbClient } from './db.js';

/** The migrations shipped with the package (`supabase/migrations`, next to `dist/` and `src/`). */
export const defaultMigrationsDir = fileURLToPath(new URL('../../supabase/migrations/', import.meta.url));

// Supabase keeps its own supabase_migrations.schema_migrations; ours has another name so the two
// never collide when the same migrations are also pushed with the Supabase CLI.
export const MIGRATIONS_TABLE = 'slsa_schema_migrations';

export interface MigrationFile {
  /** the timestamp prefix, e.g. `20261126150000` */
  readonly version: string;
  /** the file name */
  readonly name: string;
  readonly sql: string;
  /** hex SHA-256 of the file's bytes */
  readonly checksum: string;
}

export interface MigrationStatus {
  readonly version: string;
  readonly name: string;
  readonly checksum: string;
  readonly state: 'applied' | 'already-applied' | 'pending';
}

export interface ApplyMigrationsResult {
  readonly target: string;
  readonly engine: string;
  readonly migrations: readonly MigrationStatus[];
  readonly applied: number;
}

const NAME_RE = /^(\d{14})_[a-z0-9_]+\.sql$/;

/** Reads the migration files of a directory, in version order. */
export async function readMigrationFiles(dir: string = defaultMigrationsDir): Promise<MigrationFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new SlsaLedgerError('INPUT_FILE_MISSING', `migrations directory ${dir} cannot be read`, {
      cause: error,
      details: { dir },
    });
  }
  const files: MigrationFile[] = [];
  for (const name of names.filter((n) => n.endsWith('.sql')).sort()) {
    const m = NAME_RE.exec(name);
    if (m === null) {
      throw new SlsaLedgerError(
        'INPUT_INVALID',
        `migration file name ${name} must be <14-digit timestamp>_<snake_case>.sql`,
        { details: { dir, name } },
      );
    }
    const bytes = await readFile(join(dir, name));
    files.push({
      version: m[1]!,
      name,
      sql: bytes.toString('utf8'),
      checksum: createHash('sha256').update(bytes).digest('hex'),
    });
  }
  return files;
}

interface AppliedRow {
  version: string;
  name: string;
  checksum: string;
}

/**
 * Applies pending migrations, each in its own transaction together with its tracking row.
 * @throws ConflictError `DB_MIGRATION_CHANGED` when an applied migration's file differs
 * @throws SlsaLedgerError `DB_MIGRATION_FAILED` when a migration's SQL fails (nothing of it is kept)
 */
export async function applyMigrations(
  db: DbClient,
  options: { readonly dir?: string; readonly logger?: Logger; readonly dryRun?: boolean } = {},
): Promise<ApplyMigrationsResult> {
  const files = await readMigrationFiles(options.dir);
  await db.exec(
    `CREATE TABLE IF NOT EXISTS public.${MIGRATIONS_TABLE} (
       version text PRIMARY KEY,
       name text NOT NULL,
       checksum text NOT NULL,
       applied_at timestamptz NOT NULL DEFAULT now()
     )`,
  );
  const statuses: MigrationStatus[] = [];
  let applied = 0;
  await db.transaction(async (tx) => {
    // one migrator at a time per database; the lock ends with this transaction
    await tx.query('SELECT pg_advisory_xact_lock(7340290154)');
    const rows = await tx.query<AppliedRow>(`SELECT version, name, checksum FROM public.${MIGRATIONS_TABLE}`);
    const done = new Map(rows.rows.map((r) => [r.version, r]));
    for (const file of files) {
      const row = done.get(file.version);
      if (row !== undefined && row.checksum !== file.checksum) {
        throw new ConflictError(
          'DB_MIGRATION_CHANGED',
          `migration ${file.name} was applied with checksum ${row.checksum.slice(0, 12)}… but the file now has ${file.checksum.slice(0, 12)}…: add a new migration instead of editing an applied one`,
          { details: { version: file.version, name: file.name, applied: row.checksum, file: file.checksum } },
        );
      }
    }
    for (const file of files) {
      if (done.has(file.version)) {
        statuses.push({ ...pick(file), state: 'already-applied' });
        continue;
      }
      if (options.dryRun === true) {
        statuses.push({ ...pick(file), state: 'pending' });
        continue;
      }
      const pending = files.filter((f) => !done.has(f.version)).length;
      options.logger?.info(`applying ${file.name} (${applied + 1}/${pending}) to ${db.target}`);
      try {
        await tx.exec(file.sql);
      } catch (error) {
        throw new SlsaLedgerError(
          'DB_MIGRATION_FAILED',
          `migration ${file.name} failed on ${db.target}: ${(error as Error).message}`,
          { cause: error, details: { version: file.version, name: file.name } },
        );
      }
      await tx.query(`INSERT INTO public.${MIGRATIONS_TABLE} (version, name, checksum) VALUES ($1, $2, $3)`, [
        file.version,
        file.name,
        file.checksum,
      ]);
      statuses.push({ ...pick(file), state: 'applied' });
      applied += 1;
    }
  });
  return { target: db.target, engine: db.engine, migrations: statuses, applied };
}

function pick(file: MigrationFile): { version: string; name: string; checksum: string } {
  return { version: file.version, name: file.name, checksum: file.checksum };
}
