// Reads what the pure KPI reference (`computeKpis`) needs from a database through the reader views:
// the runs with their repository, signature status and reconcile mark, the manifests, the ingest
// runs, the refused entries and the repositories. The SQL report must equal the reference on it.
import type { ComputeKpisOptions, KpiRun, SignatureStatus } from '../../src/core/kpi/kpi.js';
import type { LedgerEntry } from '../../src/core/ledger/entry.js';
import type { DbQueryable } from '../../src/io/db.js';

export interface ReferenceInputs {
  readonly runs: KpiRun[];
  readonly options: Omit<ComputeKpisOptions, 'now'>;
}

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

export async function loadReferenceInputs(db: DbQueryable): Promise<ReferenceInputs> {
  const rows = await db.query<{
    repository: string;
    entry: LedgerEntry;
    ingested_at: Date;
    manifest_path: string;
    manifest_hash: string;
    signature_status: SignatureStatus;
    missing_since: Date | null;
  }>(
    'SELECT repository, entry, ingested_at, manifest_path, manifest_hash, signature_status, missing_since FROM provenance_runs',
  );
  const runs: KpiRun[] = rows.rows.map((r) => ({
    repository: r.repository,
    entry: r.entry,
    ingested_at: r.ingested_at.toISOString(),
    manifest_path: r.manifest_path,
    manifest_hash: r.manifest_hash,
    signature_status: r.signature_status,
    missing: r.missing_since !== null,
  }));
  const m = await db.query<{ repository: string; path: string; manifest_hash: string }>(
    'SELECT repository, path, manifest_hash FROM provenance_manifests',
  );
  const manifests = Object.fromEntries(m.rows.map((r) => [`${r.repository}:${r.path}`, r.manifest_hash]));
  const i = await db.query<{ started_at: Date; status: 'succeeded'; repository: string }>(
    'SELECT started_at, status, repository FROM provenance_ingest_runs',
  );
  const ingestRuns = i.rows.map((r) => ({
    started_at: r.started_at.toISOString(),
    status: r.status,
    repository: r.repository,
  }));
  const f = await db.query<{ failed_at: Date; repository: string }>(
    'SELECT failed_at, repository FROM provenance_ingest_failures',
  );
  const refusals = f.rows.map((r) => ({ failed_at: r.failed_at.toISOString(), repository: r.repository }));
  const w = await db.query<{
    repository: string;
    ledger_url: string | null;
    watermark: string | null;
    rewritten_at: Date | null;
    rewrite_accepted_at: Date | null;
  }>(
    'SELECT repository, ledger_url, watermark, rewritten_at, rewrite_accepted_at FROM provenance_repositories',
  );
  const repositoryInfo = Object.fromEntries(
    w.rows.map((r) => [
      r.repository,
      {
        ledger_url: r.ledger_url,
        watermark: r.watermark,
        rewritten_at: iso(r.rewritten_at),
        rewrite_accepted_at: iso(r.rewrite_accepted_at),
      },
    ]),
  );
  return { runs, options: { manifests, ingestRuns, refusals, repositoryInfo } };
}
