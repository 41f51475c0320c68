import { migrateDatabase } from '../../app/migrate.js';
import { booleanFlag, stringFlag } from '../args.js';
import type { CommandModule } from '../command.js';
import { databaseOptions, databaseTarget } from '../database-flags.js';

export const command: CommandModule = {
  spec: {
    name: 'migrate',
    summary: 'apply the SQL migrations',
    usage: 'migrate [--database-url URL | --data-dir DIR] [--dry-run]',
    description:
      'Applies the migrations in supabase/migrations (tables, the ingest function, the KPI views and the roles slsa_manifest_ingest and slsa_kpi_reader) and records each in slsa_schema_migrations with its SHA-256; an applied migration whose file changed is refused (exit 4). Database from --database-url, else DATABASE_URL, else the embedded database.',
    options: {
      ...databaseOptions,
      'migrations-dir': {
        type: 'string',
        valueName: 'DIR',
        description: 'migrations to apply (default: the shipped ones)',
      },
      'dry-run': { type: 'boolean', description: 'list pending migrations, apply nothing' },
    },
    examples: [
      'slsa-ledger migrate',
      'DATABASE_URL=postgres://postgres@127.0.0.1:5432/ledger slsa-ledger migrate --json',
    ],
  },
  async run(args, ctx) {
    const migrationsDir = stringFlag(args, 'migrations-dir');
    const result = await migrateDatabase({
      ...databaseTarget(args, ctx.env),
      ...(migrationsDir === undefined ? {} : { migrationsDir }),
      cwd: ctx.cwd,
      dryRun: booleanFlag(args, 'dry-run'),
      logger: ctx.logger,
    });
    const lines = result.migrations.map((m) => `  ${m.state.padEnd(16)}${m.name}`);
    return {
      result,
      human: `${result.engine} ${result.target}: ${result.applied} migration(s) applied\n${lines.join('\n')}`,
    };
  },
};
