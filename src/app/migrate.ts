// `migrate`: apply the SQL migrations in supabase/migrations and track them with checksums.
import type { Logger } from '../core/ports.js';
import { openDatabase } from '../io/db.js';
import { applyMigrations, type ApplyMigrationsResult } from '../io/migrations.js';

export interface MigrateOptions {
  readonly databaseUrl?: string;
  readonly dataDir?: string;
  readonly cwd?: string;
  /** another migrations directory (default: the one shipped with the package) */
  readonly migrationsDir?: string;
  /** list what would be applied, apply nothing */
  readonly dryRun?: boolean;
  readonly logger?: Logger;
}

/**
 * Applies pending migrations as the connecting user, all in one transaction.
 * @throws `DB_UNAVAILABLE`, `DB_MIGRATION_CHANGED` (exit 4), `DB_MIGRATION_FAILED`
 */
export async function migrateDatabase(options: MigrateOptions = {}): Promise<ApplyMigrationsResult> {
  const db = await openDatabase({
    ...(options.databaseUrl === undefined ? {} : { databaseUrl: options.databaseUrl }),
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    role: 'owner',
  });
  try {
    return await applyMigrations(db, {
      ...(options.migrationsDir === undefined ? {} : { dir: options.migrationsDir }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.dryRun === undefined ? {} : { dryRun: options.dryRun }),
    });
  } finally {
    await db.close();
  }
}
