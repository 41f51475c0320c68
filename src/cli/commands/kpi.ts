import { computeDatabaseKpis } from '../../app/kpi.js';
import { renderKpiTable } from '../../core/kpi/table.js';
import { stringFlag } from '../args.js';
import type { CommandModule } from '../command.js';
import { databaseOptions, databaseTarget } from '../database-flags.js';

export const command: CommandModule = {
  spec: {
    name: 'kpi',
    summary: 'print the audit metrics',
    usage: 'kpi [--since WHEN] [--until WHEN] [--database-url URL | --data-dir DIR]',
    description:
      'Prints every metric of the ledger over a window of entry timestamps (since <= t < until): entries per day, missing artifact, failure and validated rates (fractions 0-1 in --json), dispatch token age and days to expiry, manifest hash per file, notification success ratio, lock wait and artifact upload latency p50/p95, manifest-to-database lag p50/p95/max and failed ingests. WHEN is a date (2025-11-24; as --until the whole day counts), an RFC 3339 time or an age (7d, 12h). Reads the views as the role slsa_kpi_reader.',
    options: {
      since: {
        type: 'string',
        valueName: 'WHEN',
        description: 'window start (default: 30 days before --until)',
      },
      until: { type: 'string', valueName: 'WHEN', description: 'window end (default: now)' },
      ...databaseOptions,
    },
    examples: [
      'slsa-ledger kpi',
      'slsa-ledger kpi --since 2025-11-01 --until 2025-11-30 --json',
      'slsa-ledger kpi --since 7d',
    ],
  },
  async run(args, ctx) {
    const since = stringFlag(args, 'since');
    const until = stringFlag(args, 'until');
    const report = await computeDatabaseKpis({
      ...(since === undefined ? {} : { since }),
      ...(until === undefined ? {} : { until }),
      ...databaseTarget(args, ctx.env),
      cwd: ctx.cwd,
      logger: ctx.logger,
    });
    return { result: report, human: renderKpiTable(report) };
  },
};
