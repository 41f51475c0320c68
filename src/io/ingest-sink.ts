// The one way into the database: calls of `slsa_ingest_batch(batch jsonb)`, over SQL (PGlite or
// Postgres, as the role slsa_manifest_ingest) or over Supabase's REST API (supabase-store.ts).
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
  close(): Promise<void>;
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

/** The SQL sink: `SELECT public.slsa_ingest_batch($1::jsonb)`, one autocommitted call per batch. */
export function createSqlIngestSink(db: DbClient): IngestSink {
  const call = async (batch: unknown): Promise<unknown> => {
    const result = await db.query<{ result: unknown }>(
      `SELECT public.${INGEST_FUNCTION}($1::jsonb) AS result`,
      [JSON.stringify(batch)],
    );
    return result.rows[0]?.result;
  };
  return {
    engine: db.engine,
    target: db.target,
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
    close: () => db.close(),
  };
}
