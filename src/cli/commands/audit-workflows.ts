import { auditWorkflows } from '../../app/audit-workflows.js';
import { auditFormats, renderAuditReport, type AuditFormat } from '../../core/governance/report.js';
import { SlsaLedgerError } from '../../errors.js';
import { writeFileAtomic } from '../../io/files.js';
import { stringFlag } from '../args.js';
import type { CommandModule } from '../command.js';
import { packageVersion } from '../run.js';
import { resolve } from 'node:path';

export const command: CommandModule = {
  spec: {
    name: 'audit-workflows',
    summary: 'check GitHub workflows against the role matrix',
    usage: 'audit-workflows [DIR|FILE] [--format text|json|sarif] [--out FILE]',
    description:
      "Checks every workflow in DIR (default .github/workflows): top-level permissions empty or read-only, each job's permissions within its role, the provenance-manifest concurrency group on every ledger writer, actions pinned to full commit SHAs, PROVENANCE_DISPATCH_TOKEN only in the dispatch step, no pull_request_target job checking out untrusted code. Exit 1 when an error-level finding is found.",
    positionals: { name: 'DIR', min: 0, max: 1 },
    options: {
      format: {
        type: 'string',
        valueName: 'FORMAT',
        default: 'text',
        description: 'report format: text, json or sarif (SARIF 2.1.0 for GitHub code scanning)',
      },
      out: {
        type: 'string',
        valueName: 'FILE',
        isOutputPath: true,
        description: 'write the report to FILE instead of stdout (json/sarif) or stderr (text)',
      },
    },
    examples: [
      'slsa-ledger audit-workflows',
      'slsa-ledger audit-workflows .github/workflows --format sarif --out audit.sarif',
    ],
  },
  async run(args, ctx) {
    const format = stringFlag(args, 'format') ?? 'text';
    if (!auditFormats.includes(format as AuditFormat)) {
      throw new SlsaLedgerError('USAGE_INVALID_FLAG', `--format takes text, json or sarif, got '${format}'`);
    }
    const out = stringFlag(args, 'out');
    const toStdout = format !== 'text' && out === undefined;
    if (toStdout && ctx.json) {
      throw new SlsaLedgerError('USAGE_INVALID_FLAG', `--format ${format} with --json needs --out FILE`);
    }
    const dir = args.positionals[0];
    const report = await auditWorkflows({
      ...(dir === undefined ? {} : { dir }),
      cwd: ctx.cwd,
      logger: ctx.logger,
    });
    const rendered = renderAuditReport(report, format as AuditFormat, packageVersion());
    if (out !== undefined) await writeFileAtomic(resolve(ctx.cwd, out), rendered);
    if (toStdout) return { result: report, stdout: rendered, ...(report.errors > 0 ? { exitCode: 1 } : {}) };
    if (report.errors > 0) {
      // the report is written once (to --out, or printed here); the error only counts
      if (format === 'text' && out === undefined) ctx.stderr.write(rendered);
      throw new SlsaLedgerError(
        'AUDIT_FINDINGS',
        `${report.errors} error finding(s) in ${report.files.length} workflow file(s)${out === undefined ? '' : `; report written to ${out}`}`,
        // --json callers get the findings as data in the details (never in the message text)
        { details: { ...report } },
      );
    }
    return {
      result: report,
      human: format === 'text' && out === undefined ? rendered : `report written to ${out ?? ''}`,
    };
  },
};
