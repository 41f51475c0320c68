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
}

export interface BeginIngest {
  readonly ingest_id: string;
  readonly ledger: string;
  readonly engine: string;
  readonly to_commit: string | null;
}

export interface FinishIngest {
  readonly ingest_id: string;
  readonly status: 'succeeded' | 'failed';
  readonly error?: string;
  readonly entries_failed: number;
  /** the commit to record as ingested (moves the watermark only when status is succeeded) */
  readonly watermark: string | null;
}

export interface UpsertCounts {
  readonly seen: number;
  readonly inserted: number;
  readonly updated: number;
  readonly unchanged: number;
}

/** Where ingest writes. Each call is one transaction on the server: all of it lands or none. */
export interface IngestSink {
  readonly engine: 'pglite' | 'postgres' | 'supabase';
  /** for messages; never a password or key */
  readonly target: string;
  begin(batch: BeginIngest): Promise<{ watermark: string | null }>;
  upsert(ingestId: string, items: readonly IngestItem[]): Promise<UpsertCounts>;
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
  return {
    seen: Number(r.seen ?? 0),
    inserted: Number(r.inserted ?? 0),
    updated: Number(r.updated ?? 0),
    unchanged: Number(r.unchanged ?? 0),
  };
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
      return { watermark: watermarkOf(await call({ op: 'begin', ...batch })) };
    },
    async upsert(ingestId, items) {
      return upsertCountsOf(await call(upsertBatch(ingestId, items)));
    },
    async finish(batch) {
      return { watermark: watermarkOf(await call({ op: 'finish', ...batch })) };
    },
    close: () => db.close(),
  };
}
