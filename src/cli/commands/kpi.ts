import { computeDatabaseKpis } from '../../app/kpi.js';
import { renderKpiCsv, renderKpiTable } from '../../core/kpi/table.js';
import { SlsaLedgerError } from '../../errors.js';
import { booleanFlag, listFlag, stringFlag } from '../args.js';
import type { CommandModule } from '../command.js';
import { databaseOptions, databaseTarget } from '../database-flags.js';

const formats = ['text', 'json', 'csv'] as const;

export const command: CommandModule = {
  spec: {
    name: 'kpi',
    summary: 'print the audit metrics',
    usage:
      'kpi [--since WHEN] [--until WHEN] [--repository OWNER/NAME]… [--owner ORG] [--manifests] [--format text|json|csv] [--database-url URL | --data-dir DIR]',
    description:
      'Prints every metric of the ledgers over a window of entry timestamps (since <= t < until), for the whole organisation or the repositories chosen (--repository, repeatable, and/or every repository of --owner), then one line per repository (entries, failure and validated rates, latest entry and its manifest file, ledger). Metrics: entries per day, missing artifact, failure and validated rates, dispatch token age and days to expiry, manifest hash per file (a report of several repositories leaves this list out unless --manifests asks for it; `manifests` in the report says which), notification success ratio (overall and per tag), Slack notification latency, lock wait, artifact upload latency and manifest-to-database lag p50/p95 (max), provenance_kpi_counts, provenance_audit_failures, signature status counts, runs missing from the ledger. The report goes to stdout: --format text (default, durations in human units), json (the report itself; rates as fractions 0-1) or csv (the per-repository table). WHEN is a date (2025-11-24; as --until the whole day counts), an RFC 3339 time or an age (7d, 12h). Reads the views as the role slsa_kpi_reader; the embedded database must exist (a mistyped --data-dir is an error, exit 3).',
    options: {
      since: {
        type: 'string',
        valueName: 'WHEN',
        description: 'window start (default: 30 days before --until)',
      },
      until: { type: 'string', valueName: 'WHEN', description: 'window end (default: now)' },
      repository: {
        type: 'string',
        multiple: true,
        valueName: 'OWNER/NAME',
        description: 'report on this repository (repeatable; default: every one)',
      },
      owner: { type: 'string', valueName: 'ORG', description: 'report on every repository of this owner' },
      manifests: {
        type: 'boolean',
        description:
          'list every manifest file with its latest hash even when the report covers several repositories (the slow path: ~36,500 files a year at 100 repositories; the dashboard pages it: GET /api/manifests)',
      },
      format: {
        type: 'string',
        valueName: 'FORMAT',
        default: 'text',
        description: 'text (default), json or csv, on stdout',
      },
      ...databaseOptions,
    },
    examples: [
      'slsa-ledger kpi',
      'slsa-ledger kpi --since 2025-11-01 --until 2025-11-30 --format json > kpi.json',
      'slsa-ledger kpi --owner acme --since 365d --format csv > acme.csv',
      'slsa-ledger kpi --repository acme/widgets --repository acme/gadgets --since 7d',
      'slsa-ledger kpi --owner acme --manifests --format json > acme-manifests.json',
    ],
  },
  async run(args, ctx) {
    const since = stringFlag(args, 'since');
    const until = stringFlag(args, 'until');
    const owner = stringFlag(args, 'owner');
    const format = stringFlag(args, 'format') ?? 'text';
    if (!(formats as readonly string[]).includes(format)) {
      throw new SlsaLedgerError('USAGE_INVALID_FLAG', `--format takes text, json or csv, got '${format}'`, {
        details: { flag: 'format', value: format },
      });
    }
    const repositories = listFlag(args, 'repository');
    const manifests = booleanFlag(args, 'manifests');
    const report = await computeDatabaseKpis({
      ...(since === undefined ? {} : { since }),
      ...(until === undefined ? {} : { until }),
      ...(repositories.length === 0 ? {} : { repositories }),
      ...(owner === undefined ? {} : { owner }),
      ...(manifests ? { manifests } : {}),
      ...databaseTarget(args, ctx.env),
      cwd: ctx.cwd,
      logger: ctx.logger,
    });
    if (ctx.json) return { result: report };
    const text =
      format === 'json'
        ? `${JSON.stringify(report, null, 2)}\n`
        : format === 'csv'
          ? renderKpiCsv(report)
          : renderKpiTable(report);
    return { result: report, stdout: text };
  },
};
