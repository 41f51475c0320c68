import {
  MAX_INGEST_JOBS,
  ingestLedgers,
  renameRepository,
  type IngestLedgersResult,
  type LedgerIngestResult,
} from '../../app/ingest.js';
import { isSlsaLedgerError } from '../../errors.js';
import { parseLedgerSpecs, parseRenameSpec } from '../../core/ingest/repository.js';
import { booleanFlag, integerFlag, listFlag, stringFlag } from '../args.js';
import type { CommandModule } from '../command.js';
import { checkerTrustFrom, trustFlags } from './trust-flags.js';
import { databaseOptions, databaseTarget } from '../database-flags.js';
import { ingestAlertOf } from '../ingest-alert.js';

/** One line per ledger. */
export function describeLedgerResult(r: LedgerIngestResult): string {
  if (r.status === 'no-ledger')
    return `${r.repository}: no ledger yet (not a failure until it has been ingested once)`;
  const head = `${r.repository}: ${r.seen} entries from ${r.files} file(s): ${r.inserted} new, ${r.updated} changed, ${r.unchanged} unchanged${r.restored > 0 ? `, ${r.restored} restored` : ''}, ${r.failed} failed; watermark ${r.watermark?.slice(0, 12) ?? 'none'}`;
  const missing =
    r.reconcile === undefined
      ? ''
      : `; ${r.reconcile.missing.length} run(s) in the database no longer in the ledger${r.reconcile.marked > 0 ? ` (${r.reconcile.marked} newly marked)` : ''}`;
  const error = r.error === undefined ? '' : ` — FAILED ${r.error.code}`;
  const accepted =
    r.accepted_rewrites === undefined
      ? ''
      : `; ACCEPTED ${r.accepted_rewrites.length} history rewrite(s) of commit(s) ${[...new Set(r.accepted_rewrites.map((a) => a.commit.slice(0, 12)))].join(', ')} (recorded; their days' runs not verified)`;
  return `${head}${missing}${accepted}${error}`;
}

function summaryOf(result: IngestLedgersResult): string {
  return `ingest ${result.engine} ${result.target}:\n${result.ledgers.map((r) => `  ${describeLedgerResult(r)}`).join('\n')}`;
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

export const command: CommandModule = {
  spec: {
    name: 'ingest',
    summary: 'load ledgers into Postgres or Supabase',
    usage:
      'ingest [--repo DIR] [--ledger OWNER/NAME[=DIR]]… [--ref REF | --remote NAME --branch BRANCH] [--full | --reconcile] [--accept-rewrite COMMIT]… [--jobs N] [--database-url URL | --data-dir DIR | --supabase-url URL]\n       ingest --rename-repository OLD/NAME=NEW/NAME [--database-url URL | --data-dir DIR | --supabase-url URL]',
    description:
      "Reads the ledger from the remote's ledger branch, fetched now (--ref HEAD reads the clone as it is), and the manifests changed since each ledger's last ingested commit (its watermark) and upserts their entries in batches through slsa_ingest_batch as the role slsa_manifest_ingest. Each ledger is one repository (owner/name: --ledger, else from the clone's remote) with its own watermark; several ledgers are given as --ledger OWNER/NAME=DIR (repeatable, or a list under ingest.ledger in .slsa-ledger.yml). An entry the database refuses is recorded as failed (with its reason) and the others land; the watermark moves only when every entry read landed, so nothing is skipped silently. One failing ledger does not stop the others: each is reported by name (and alerted through Slack when SLACK_WEBHOOK_URL is set). --reconcile reads every file and marks the runs the database holds that are no longer in the ledger (never deletes them). A renamed or moved repository is recognised at its first ingest under the new name (another repository's watermark is on its history; from a plain folder or a shallow clone, another repository holds its runs): it is refused (INGEST_REPOSITORY_RENAMED, exit 4, alerted) before any run is written; keep the old name with --ledger OLD/NAME=DIR, or move the repository in the database with --rename-repository OLD/NAME=NEW/NAME (its runs, watermark, manifests, ingests and rollups in one transaction, an audit row per run; refused with INGEST_RENAME_REFUSED when the new name already has runs); --rename-repository reads no ledger. A first ingest (and --full) replays the ledger's whole history and refuses a signed log that was cut, rewritten or removed in any commit (INGEST_HISTORY_REWRITTEN, exit 4, alerted; the refusal lists every such commit, and restoring the lines in a later commit does not undo it): review them with 'slsa-ledger check', then acknowledge exactly those with --accept-rewrite COMMIT (repeatable; one ledger): the ingest goes on, records the acceptance (ingest_runs.accepted_rewrites, the repository's rewrite_accepted_at, an audit row rewrite-accepted per run of their days) and stores the runs of those days as signature_status invalid, never verified; a rewrite not named still refuses. A history that no longer holds the last ingested commit (a force-push) is refused by a plain ingest (INGEST_HISTORY_REWRITTEN) and taken by --full, never silently: the replacement is recorded as an accepted rewrite (path (history), the lost commit), alerted (ledger-rewrite-accepted), and the runs the new history lacks are marked missing. A repository whose remote has no ledger yet (no ledger branch, or nothing written to it) and that was never ingested is reported as 'no ledger yet' (status no-ledger): not a failure, not alerted; once ingested, a ledger that is gone fails (LEDGER_NOT_FOUND) and is alerted. Folders in .slsa-ledger.yml (the ledger list, --repo, --data-dir) are relative to the file. Database from --database-url, else DATABASE_URL, else the embedded database (created and migrated on first use). With --supabase-url, SLSA_MANIFEST_SERVICE_KEY from the environment authenticates to the REST API.",
    options: {
      ...trustFlags,
      repo: {
        type: 'string',
        valueName: 'DIR',
        description: 'the ledger clone (a plain directory is read whole)',
        default: '.',
      },
      ledger: {
        type: 'string',
        multiple: true,
        valueName: 'OWNER/NAME[=DIR]',
        description: "the ledger's repository (default: from its remote); =DIR gives its clone",
      },
      ref: {
        type: 'string',
        valueName: 'REF',
        description:
          "commit-ish of the clone to read, e.g. HEAD (default: the remote's ledger branch, fetched now)",
      },
      remote: {
        type: 'string',
        valueName: 'NAME',
        description:
          'remote to fetch the ledger from (default: ledger.remote of .slsa-ledger.yml, else origin)',
      },
      branch: {
        type: 'string',
        valueName: 'BRANCH',
        description:
          "ledger branch (default: ledger.branch of .slsa-ledger.yml, else the remote's default branch)",
      },
      'reports-dir': {
        isRepositoryPath: true,
        type: 'string',
        valueName: 'DIR',
        description: 'ledger folder in the repository (default: ledger.reports_dir, else docs/reports)',
      },
      ...databaseOptions,
      'supabase-url': {
        type: 'string',
        valueName: 'URL',
        description: 'Supabase project URL: ingest through its REST API with SLSA_MANIFEST_SERVICE_KEY',
        receivesCredential: 'SLSA_MANIFEST_SERVICE_KEY',
      },
      'batch-size': {
        type: 'string',
        valueName: 'N',
        description: 'entries per transaction',
        default: '1000',
      },
      full: {
        type: 'boolean',
        description:
          'read every manifest, ignoring the watermark (accepts a history rewritten consistently); like a first ingest it replays the whole history and refuses a signed log that did not only grow (INGEST_HISTORY_REWRITTEN)',
      },
      jobs: {
        type: 'string',
        valueName: 'N',
        description: `ledgers ingested at once on a server (1–${MAX_INGEST_JOBS}; the embedded database takes one)`,
        default: '1',
      },
      reconcile: {
        type: 'boolean',
        description: 'read every manifest and mark the runs no longer in the ledger (never deleted)',
      },
      'accept-rewrite': {
        type: 'string',
        multiple: true,
        valueName: 'COMMIT',
        description:
          'acknowledge, after review, the signed-log rewrites this commit made (as INGEST_HISTORY_REWRITTEN lists them; a full id or a unique abbreviation; repeatable; one ledger): recorded in the audit log, and the runs of their days are never stored as verified',
      },
      'rename-repository': {
        type: 'string',
        valueName: 'OLD=NEW',
        description:
          'move a repository to its new name in the database (a renamed GitHub repository; never onto a name with runs), then stop',
      },
    },
    examples: [
      'slsa-ledger ingest                                   # ./docs/reports -> .slsa-ledger/db',
      'slsa-ledger ingest --repo ledger --database-url postgres://postgres@127.0.0.1:5432/ledger',
      'slsa-ledger ingest --ledger acme/widgets=../widgets --ledger acme/gadgets=../gadgets',
      'slsa-ledger ingest --jobs 2 --database-url postgres://ingest@db/ledger   # the ledgers of .slsa-ledger.yml, two at once',
      'slsa-ledger ingest --reconcile',
      'slsa-ledger ingest --full --accept-rewrite 3f9c2e1a7b04   # after reviewing the rewrite the refusal listed',
      'slsa-ledger ingest --rename-repository acme/widgets=acme/gizmos   # the repository was renamed on GitHub',
      'SLSA_MANIFEST_SERVICE_KEY=… slsa-ledger ingest --supabase-url https://abcd.supabase.co',
    ],
  },
  async run(args, ctx) {
    const supabaseUrl = stringFlag(args, 'supabase-url');
    const ref = stringFlag(args, 'ref');
    const serviceKey = ctx.env.SLSA_MANIFEST_SERVICE_KEY;
    const ledgerValues = listFlag(args, 'ledger');
    const acceptRewrites = listFlag(args, 'accept-rewrite');
    const rename = stringFlag(args, 'rename-repository');
    if (rename !== undefined) {
      const moved = await renameRepository({
        ...parseRenameSpec(rename),
        ...(supabaseUrl === undefined ? databaseTarget(args, ctx.env) : { supabaseUrl }),
        ...(serviceKey === undefined ? {} : { serviceKey }),
        cwd: ctx.cwd,
        logger: ctx.logger,
      });
      return {
        result: moved,
        human: `renamed ${moved.renamed.from} to ${moved.renamed.to} in ${moved.engine} ${moved.target}: ${moved.runs} run(s), ${moved.ingests} ingest(s), ${moved.manifests} manifest(s); watermark ${moved.watermark?.slice(0, 12) ?? 'none'}`,
      };
    }
    const alert = ingestAlertOf(ctx);
    const trust = await checkerTrustFrom(args, ctx);
    // several ledgers, some failed: the line of every ledger still goes out before the error
    const result = await ingestLedgers({
      ...(trust === undefined ? {} : { trust }),
      repo: stringFlag(args, 'repo') ?? '.',
      ...(ledgerValues.length === 0 ? {} : { ledgers: parseLedgerSpecs(ledgerValues) }),
      ...(ref === undefined ? {} : { ref }),
      ...optional('reportsDir', stringFlag(args, 'reports-dir')),
      ...optional('remote', stringFlag(args, 'remote')),
      ...optional('branch', stringFlag(args, 'branch')),
      // with --supabase-url, DATABASE_URL in the environment is not a second target
      ...(supabaseUrl === undefined ? databaseTarget(args, ctx.env) : { supabaseUrl }),
      ...(serviceKey === undefined ? {} : { serviceKey }),
      batchSize: integerFlag(args, 'batch-size', { min: 1, max: 100_000 }) ?? 1000,
      full: booleanFlag(args, 'full'),
      jobs: integerFlag(args, 'jobs', { min: 1, max: MAX_INGEST_JOBS }) ?? 1,
      reconcile: booleanFlag(args, 'reconcile'),
      ...(acceptRewrites.length === 0 ? {} : { acceptRewrites }),
      cwd: ctx.cwd,
      logger: ctx.logger,
      ...(alert === undefined ? {} : { alert }),
    }).catch((error: unknown) => {
      const partial = isSlsaLedgerError(error)
        ? (error.details as { result?: IngestLedgersResult } | undefined)?.result
        : undefined;
      if (partial !== undefined && partial.ledgers.length > 1) ctx.logger.info(summaryOf(partial));
      throw error;
    });
    // one ledger: its result as before; several: every ledger's
    const only = result.ledgers.length === 1 ? result.ledgers[0] : undefined;
    return { result: only ?? result, human: summaryOf(result) };
  },
};
