import { ingestLedger } from '../../app/ingest.js';
import { booleanFlag, integerFlag, stringFlag } from '../args.js';
import type { CommandModule } from '../command.js';
import { databaseOptions, databaseTarget } from '../database-flags.js';

export const command: CommandModule = {
  spec: {
    name: 'ingest',
    summary: 'load the ledger into Postgres or Supabase',
    usage: 'ingest [--repo DIR] [--ref REF] [--database-url URL | --data-dir DIR | --supabase-url URL]',
    description:
      'Reads the manifests changed since the last ingested commit (the watermark) and upserts their entries in batches through slsa_ingest_batch as the role slsa_manifest_ingest. Each batch is one transaction; the watermark moves only when all landed, so after a failure (exit 5) just run it again. Database from --database-url, else DATABASE_URL, else the embedded database (created and migrated on first use). With --supabase-url, SLSA_MANIFEST_SERVICE_KEY from the environment authenticates to the REST API.',
    options: {
      repo: {
        type: 'string',
        valueName: 'DIR',
        description: 'the ledger clone (a plain directory is read whole)',
        default: '.',
      },
      ref: { type: 'string', valueName: 'REF', description: 'commit to read (default HEAD)' },
      'reports-dir': {
        type: 'string',
        valueName: 'DIR',
        description: 'ledger folder in the repository',
        default: 'docs/reports',
      },
      ...databaseOptions,
      'supabase-url': {
        type: 'string',
        valueName: 'URL',
        description: 'Supabase project URL: ingest through its REST API with SLSA_MANIFEST_SERVICE_KEY',
      },
      'batch-size': {
        type: 'string',
        valueName: 'N',
        description: 'entries per transaction',
        default: '1000',
      },
      full: { type: 'boolean', description: 'read every manifest, ignoring the watermark' },
      ledger: {
        type: 'string',
        valueName: 'NAME',
        description: 'watermark name when one database holds several ledgers',
        default: 'default',
      },
    },
    examples: [
      'slsa-ledger ingest                                   # ./docs/reports -> .slsa-ledger/db',
      'slsa-ledger ingest --repo ledger --database-url postgres://postgres@127.0.0.1:5432/ledger',
      'SLSA_MANIFEST_SERVICE_KEY=… slsa-ledger ingest --supabase-url https://abcd.supabase.co',
    ],
  },
  async run(args, ctx) {
    const supabaseUrl = stringFlag(args, 'supabase-url');
    const ref = stringFlag(args, 'ref');
    const serviceKey = ctx.env.SLSA_MANIFEST_SERVICE_KEY;
    const result = await ingestLedger({
      repo: stringFlag(args, 'repo') ?? '.',
      ...(ref === undefined ? {} : { ref }),
      reportsDir: stringFlag(args, 'reports-dir') ?? 'docs/reports',
      // with --supabase-url, DATABASE_URL in the environment is not a second target
      ...(supabaseUrl === undefined ? databaseTarget(args, ctx.env) : { supabaseUrl }),
      ...(serviceKey === undefined ? {} : { serviceKey }),
      batchSize: integerFlag(args, 'batch-size', { min: 1, max: 100_000 }) ?? 1000,
      full: booleanFlag(args, 'full'),
      ledger: stringFlag(args, 'ledger') ?? 'default',
      cwd: ctx.cwd,
      logger: ctx.logger,
    });
    return {
      result,
      human: `ingest ${result.engine} ${result.target}: ${result.seen} entries from ${result.files} file(s): ${result.inserted} new, ${result.updated} changed, ${result.unchanged} unchanged, ${result.failed} failed; watermark ${result.watermark?.slice(0, 12) ?? 'none'}`,
    };
  },
};
