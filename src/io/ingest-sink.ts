// The one way into the database: calls of `slsa_ingest_batch(batch jsonb)`, over SQL (PGlite or
// Postgres, as the role slsa_manifest_ingest) or over Supabase's REST API (supabase-store.ts).
import type { AcceptedRewrite, LogRewrite } from '../core/ingest/accept-rewrites.js';
import type { LedgerEntry } from '../core/ledger/entry.js';
import type { DbClient } from './db.js';
import { INGEST_FUNCTION } from './db.js';

/** One run to upsert, with where its content was read. */
export interface IngestItem {
  readonly entry: LedgerEntry;
  readonly manifest_path: string;
  readonly manifest_hash: string;
  readonly git_commit: string | null;
  /** the run's signature verdict (phase 2 fills it; default `unverified`) */
  readonly signature_status?: SignatureStatus;
}

/** What is known of a run's signatures (issue 14): `unverified` until ingest checks them. */
export type SignatureStatus = 'verified' | 'unsigned' | 'invalid' | 'untrusted' | 'unverified';
export const signatureStatuses: readonly SignatureStatus[] = [
  'verified',
  'unsigned',
  'invalid',
  'untrusted',
  'unverified',
];

export interface BeginIngest {
  readonly ingest_id: string;
  /** `owner/name`: the runs' repository and the watermark's name */
  readonly repository: string;
  readonly engine: string;
  /** the commit read: every upserted item must carry it, and only it can become the watermark */
  readonly to_commit: string | null;
  /** an https link to the ledger (shown on the dashboard) */
  readonly ledger_url?: string | null;
}

export interface FinishIngest {
  readonly ingest_id: string;
  readonly status: 'succeeded' | 'failed';
  readonly error?: string;
  readonly entries_failed: number;
  /** the commit to record as ingested (moves the watermark only when status is succeeded) */
  readonly watermark: string | null;
  /** an alert kind raised by this ingest, e.g. `ledger-history-rewritten` */
  readonly alert?: string;
  /** the head that was read when the alert was raised */
  readonly head?: string | null;
}

/** An entry the database refused, with its reason. */
export interface RefusedEntry {
  readonly index: number;
  readonly tag: string | null;
  readonly run_id: string | null;
  readonly manifest_path: string | null;
  readonly reason: string;
  /**
   * why, as a stable code, where the function gives one: `INGEST_TIMESTAMP_FUTURE` (the entry's
   * `timestamp` or `validation.validated_at` is more than 300 s ahead of the database clock)
   */
  readonly code?: string;
}

export interface ReconcileResult {
  /** runs newly marked by this call */
  readonly marked: number;
  /** every run of the repository marked missing (this call's and earlier ones) */
  readonly missing: readonly {
    readonly tag: string;
    readonly run_id: number;
    readonly timestamp: string;
    readonly missing_since: string;
  }[];
}

export interface UpsertCounts {
  readonly seen: number;
  readonly inserted: number;
  readonly updated: number;
  readonly unchanged: number;
  /** runs marked missing by a reconcile that came back */
  readonly restored: number;
  readonly failed: readonly RefusedEntry[];
}

/** Where ingest writes. Each call is one transaction on the server: all of it lands or none. */
export interface IngestSink {
  readonly engine: 'pglite' | 'postgres' | 'supabase';
  /** for messages; never a password or key */
  readonly target: string;
  /** `repository`: the name the database keeps the ledger under (its first spelling, any case) */
  begin(batch: BeginIngest): Promise<BegunIngest>;
  upsert(ingestId: string, items: readonly IngestItem[]): Promise<UpsertCounts>;
  /** marks the repository's runs whose keys are not given (never deletes) */
  reconcile(ingestId: string, keys: readonly (readonly [string, number])[]): Promise<ReconcileResult>;
  finish(batch: FinishIngest): Promise<{ watermark: string | null }>;
  /**
   * For a repository the database holds no ingested commit of: the other repositories this ledger
   * is (their watermark on `commits`, the ledger's first-parent history, or the same runs)
   */
  lineage(ingestId: string, commits: readonly string[], runs: readonly LineageRun[]): Promise<LineageMatch[]>;
  /** moves a repository to a new name (never onto one that has runs); refusals come back as data */
  renameRepository(batch: RenameRepositoryBatch): Promise<RenameRepositoryReply>;
  /** the history rewrites earlier ingests of the running ingest's repository accepted */
  acceptedRewrites(ingestId: string): Promise<AcceptedRewrite[]>;
  /**
   * records the rewrites this ingest accepts (`ingest --accept-rewrite`): on the ingest's row, the
   * repository's, and one audit row per run of their days (`runs`)
   */
  acceptRewrites(
    batch: AcceptRewritesBatch,
  ): Promise<{ readonly accepted: number; readonly audit_rows: number }>;
  close(): Promise<void>;
}

/** `[tag, run_id, sha]` of a run read from the ledger. */
export type LineageRun = readonly [string, number, string];

/** Another repository the ledger being ingested already is. */
export interface LineageMatch {
  readonly repository: string;
  /** its watermark, when that commit is on this ledger's first-parent history */
  readonly watermark: string | null;
  /** how many of this ledger's runs (run id, tag, sha) it holds */
  readonly runs: number;
}

export interface RenameRepositoryBatch {
  readonly rename_id: string;
  readonly from: string;
  readonly to: string;
  readonly reason?: string;
}

export type RenameRepositoryReply =
  | {
      readonly renamed: true;
      readonly from: string;
      readonly to: string;
      readonly rename_id: string;
      readonly runs: number;
      readonly ingests: number;
      readonly manifests: number;
      readonly refused_entries: number;
      readonly watermark: string | null;
    }
  | {
      readonly renamed: false;
      readonly refused: 'unknown' | 'same' | 'running' | 'taken';
      readonly from: string;
      readonly to: string;
    };

export interface AcceptRewritesBatch {
  readonly ingest_id: string;
  /** the head read (recorded with each rewrite) */
  readonly head: string | null;
  readonly rewrites: readonly LogRewrite[];
  /** `[tag, run_id, manifest_path]` of the runs read in the days of the rewritten logs */
  readonly runs: readonly (readonly [string, number, string])[];
}

export const LINEAGE_FUNCTION = 'slsa_ingest_lineage';
export const REWRITES_FUNCTION = 'slsa_ingest_rewrites';

export function acceptedRewritesOf(reply: unknown): AcceptedRewrite[] {
  const accepted = (reply as { accepted?: unknown } | null)?.accepted;
  if (!Array.isArray(accepted)) return [];
  return (accepted as Record<string, unknown>[])
    .filter((a) => typeof a.commit === 'string' && typeof a.path === 'string')
    .map((a) => ({ commit: a.commit as string, path: a.path as string }));
}

export function acceptReplyOf(reply: unknown): { accepted: number; audit_rows: number } {
  const r = (reply ?? {}) as { accepted?: unknown; audit_rows?: unknown };
  return { accepted: Number(r.accepted ?? 0), audit_rows: Number(r.audit_rows ?? 0) };
}
export const RENAME_FUNCTION = 'slsa_rename_repository';

export function lineageMatchesOf(reply: unknown): LineageMatch[] {
  const matches = (reply as { matches?: unknown } | null)?.matches;
  if (!Array.isArray(matches)) return [];
  return (matches as Record<string, unknown>[]).map((m) => ({
    repository: String(m.repository),
    watermark: typeof m.watermark === 'string' ? m.watermark : null,
    runs: Number(m.runs ?? 0),
  }));
}

export function renameReplyOf(reply: unknown): RenameRepositoryReply {
  const r = (reply ?? {}) as Record<string, unknown>;
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  const from = text(r.from);
  const to = text(r.to);
  if (r.renamed === true) {
    return {
      renamed: true,
      from,
      to,
      rename_id: text(r.rename_id),
      runs: Number(r.runs ?? 0),
      ingests: Number(r.ingests ?? 0),
      manifests: Number(r.manifests ?? 0),
      refused_entries: Number(r.refused_entries ?? 0),
      watermark: typeof r.watermark === 'string' ? r.watermark : null,
    };
  }
  const refused = r.refused;
  return {
    renamed: false,
    refused: refused === 'unknown' || refused === 'same' || refused === 'running' ? refused : 'taken',
    from,
    to,
  };
}

/** The JSON document one upsert call sends (shared by the SQL and REST paths and the bench). */
export function upsertBatch(ingestId: string, items: readonly IngestItem[]): Record<string, unknown> {
  return { op: 'upsert', ingest_id: ingestId, entries: items };
}

/** Reads the function's reply into counts. */
export function upsertCountsOf(reply: unknown): UpsertCounts {
  const r = (reply ?? {}) as Partial<Record<keyof UpsertCounts, unknown>>;
  const failed = Array.isArray(r.failed) ? (r.failed as Record<string, unknown>[]) : [];
  const text = (v: unknown): string | null =>
    typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null;
  return {
    seen: Number(r.seen ?? 0),
    inserted: Number(r.inserted ?? 0),
    updated: Number(r.updated ?? 0),
    unchanged: Number(r.unchanged ?? 0),
    restored: Number(r.restored ?? 0),
    failed: failed.map((f) => ({
      index: Number(f.index ?? 0),
      tag: text(f.tag),
      run_id: text(f.run_id),
      manifest_path: text(f.manifest_path),
      reason: text(f.reason) ?? 'refused',
      ...(typeof f.code === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(f.code) ? { code: f.code } : {}),
    })),
  };
}

/** Reads a reconcile reply. */
export function reconcileResultOf(reply: unknown): ReconcileResult {
  const r = (reply ?? {}) as { marked?: unknown; missing?: unknown };
  const missing = Array.isArray(r.missing) ? (r.missing as Record<string, unknown>[]) : [];
  return {
    marked: Number(r.marked ?? 0),
    missing: missing.map((m) => ({
      tag: String(m.tag),
      run_id: Number(m.run_id),
      timestamp: String(m.timestamp),
      missing_since: String(m.missing_since),
    })),
  };
}

/** What `begin` answers: the ledger's watermark and the name the database keeps it under. */
export interface BegunIngest {
  readonly watermark: string | null;
  readonly repository?: string;
}

export function begunOf(reply: unknown): BegunIngest {
  const r = (reply as { repository?: unknown } | null)?.repository;
  return { watermark: watermarkOf(reply), ...(typeof r === 'string' && r !== '' ? { repository: r } : {}) };
}

export function watermarkOf(reply: unknown): string | null {
  const w = (reply as { watermark?: unknown } | null)?.watermark;
  return typeof w === 'string' ? w : null;
}

/** One call of a database function with a JSON batch: the one thing the SQL and REST sinks do differently. */
export type IngestCall = (batch: Record<string, unknown>, fn?: string) => Promise<unknown>;

/** An ingest sink over a function caller: each sink operation is one call, its reply read by the same parser. */
export function sinkOverCalls(
  engine: IngestSink['engine'],
  target: string,
  call: IngestCall,
  close: () => Promise<void>,
): IngestSink {
  return {
    engine,
    target,
    async begin(batch) {
      return begunOf(await call({ op: 'begin', ...batch }));
    },
    async upsert(ingestId, items) {
      return upsertCountsOf(await call(upsertBatch(ingestId, items)));
    },
    async reconcile(ingestId, keys) {
      return reconcileResultOf(await call({ op: 'reconcile', ingest_id: ingestId, keys }));
    },
    async finish(batch) {
      return { watermark: watermarkOf(await call({ op: 'finish', ...batch })) };
    },
    async lineage(ingestId, commits, runs) {
      return lineageMatchesOf(await call({ ingest_id: ingestId, commits, runs }, LINEAGE_FUNCTION));
    },
    async renameRepository(batch) {
      return renameReplyOf(await call({ ...batch }, RENAME_FUNCTION));
    },
    async acceptedRewrites(ingestId) {
      return acceptedRewritesOf(await call({ op: 'list', ingest_id: ingestId }, REWRITES_FUNCTION));
    },
    async acceptRewrites(batch) {
      return acceptReplyOf(await call({ op: 'accept', ...batch }, REWRITES_FUNCTION));
    },
    close,
  };
}

/** The SQL sink: `SELECT public.slsa_ingest_batch($1::jsonb)`, one autocommitted call per batch. */
export function createSqlIngestSink(db: DbClient): IngestSink {
  const call: IngestCall = async (batch, fn = INGEST_FUNCTION) => {
    const result = await db.query<{ result: unknown }>(`SELECT public.${fn}($1::jsonb) AS result`, [
      JSON.stringify(batch),
    ]);
    return result.rows[0]?.result;
  };
  return sinkOverCalls(db.engine, db.target, call, () => db.close());
}
