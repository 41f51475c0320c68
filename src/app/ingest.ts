// `ingest`: load the git ledger into the database through slsa_ingest_batch, in batches, as the
// least-privilege role. Only files changed since the watermark commit are read; each batch is one
// transaction; the watermark moves only when every batch landed, so a failed ingest is simply rerun.
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { entryKey, parseManifest, type LedgerEntry } from '../core/ledger/entry.js';
import type { Logger } from '../core/ports.js';
import { silentLogger } from '../core/ports.js';
import { SlsaLedgerError, isSlsaLedgerError } from '../errors.js';
import { openDatabase } from '../io/db.js';
import { createSqlIngestSink, type IngestItem, type IngestSink } from '../io/ingest-sink.js';
import { readLedgerChanges, resolveLedgerCommit } from '../io/ledger-source.js';
import { createSupabaseIngestSink } from '../io/supabase-store.js';

export const DEFAULT_BATCH_SIZE = 1000;

export interface IngestOptions {
  /** the ledger clone (default cwd); a plain directory is read whole */
  readonly repo?: string;
  /** commit-ish to read (default HEAD) */
  readonly ref?: string;
  readonly reportsDir?: string;
  readonly databaseUrl?: string;
  readonly dataDir?: string;
  readonly cwd?: string;
  /** ingest through Supabase's REST API instead of a database connection */
  readonly supabaseUrl?: string;
  /** SLSA_MANIFEST_SERVICE_KEY (required with supabaseUrl) */
  readonly serviceKey?: string;
  /** entries per call (default 1000) */
  readonly batchSize?: number;
  /** read every file, ignoring the watermark */
  readonly full?: boolean;
  /** the watermark's name, for several ledgers in one database (default `default`) */
  readonly ledger?: string;
  readonly logger?: Logger;
  /** for tests and the library: a sink to write to instead of opening one */
  readonly sink?: IngestSink;
}

export interface IngestResult {
  readonly ingest_id: string;
  readonly engine: string;
  readonly target: string;
  readonly from_commit: string | null;
  readonly to_commit: string | null;
  readonly full_read: boolean;
  readonly files: number;
  readonly seen: number;
  readonly inserted: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly failed: number;
  readonly batches: number;
  readonly watermark: string | null;
  /** manifests that could not be parsed (their entries are counted as failed) */
  readonly invalid_files: readonly { readonly path: string; readonly message: string }[];
}

async function openSink(options: IngestOptions): Promise<IngestSink> {
  if (options.sink !== undefined) return options.sink;
  if (options.supabaseUrl !== undefined) {
    if (options.serviceKey === undefined || options.serviceKey === '') {
      throw new SlsaLedgerError(
        'USAGE_MISSING_FLAG',
        '--supabase-url needs SLSA_MANIFEST_SERVICE_KEY in the environment',
        {
          details: { env: 'SLSA_MANIFEST_SERVICE_KEY' },
        },
      );
    }
    return createSupabaseIngestSink({ supabaseUrl: options.supabaseUrl, serviceKey: options.serviceKey });
  }
  const embedded = options.databaseUrl === undefined;
  const db = await openDatabase({
    ...(options.databaseUrl === undefined ? {} : { databaseUrl: options.databaseUrl }),
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    role: 'ingest',
    // the embedded database is ours to set up; a server is migrated with `migrate`
    migrate: embedded,
  });
  return createSqlIngestSink(db);
}

/** Entries of every readable file, last occurrence of a key winning; bad files are reported. */
export function collectItems(
  files: readonly { path: string; bytes: Buffer; sha256: string }[],
  commit: string | null,
): { items: IngestItem[]; invalid: { path: string; message: string; entries: number }[] } {
  const byKey = new Map<string, IngestItem>();
  const invalid: { path: string; message: string; entries: number }[] = [];
  for (const file of files) {
    let entries: LedgerEntry[];
    try {
      entries = parseManifest(file.bytes.toString('utf8'), file.path);
    } catch (error) {
      if (!isSlsaLedgerError(error)) throw error;
      let count = 1;
      try {
        const parsed = JSON.parse(file.bytes.toString('utf8')) as unknown;
        if (Array.isArray(parsed)) count = parsed.length;
      } catch {
        // not json at all: one failure for the file
      }
      invalid.push({ path: file.path, message: error.message, entries: count });
      continue;
    }
    for (const entry of entries) {
      const key = entryKey(entry);
      byKey.delete(key); // keep file order: a later file's copy moves to the end
      byKey.set(key, { entry, manifest_path: file.path, manifest_hash: file.sha256, git_commit: commit });
    }
  }
  return { items: [...byKey.values()], invalid };
}

/**
 * Loads the ledger into the database. Each batch is one transaction; a failure leaves the
 * database as it was before that batch, records the ingest as failed and keeps the watermark.
 * @throws `DB_UNAVAILABLE`, `SUPABASE_UNAVAILABLE` (exit 5, rerun), `DB_NOT_MIGRATED`,
 *   `DB_PERMISSION_DENIED`, `DB_INPUT_REJECTED`, `LEDGER_MANIFEST_INVALID` (after ingesting the
 *   valid files, without moving the watermark)
 */
export async function ingestLedger(options: IngestOptions = {}): Promise<IngestResult> {
  const logger = options.logger ?? silentLogger;
  const cwd = options.cwd ?? process.cwd();
  const repo = resolve(cwd, options.repo ?? '.');
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const ledger = options.ledger ?? 'default';
  const ingestId = randomUUID();

  const sink = await openSink(options);
  try {
    // the commit first: a bad --ref must not leave a 'running' ingest behind
    const head = await resolveLedgerCommit(repo, options.ref);
    const begun = await sink.begin({ ingest_id: ingestId, ledger, engine: sink.engine, to_commit: head });
    const fromCommit = options.full === true ? null : begun.watermark;
    let seen = 0;
    let inserted = 0;
    let updated = 0;
    let unchanged = 0;
    let batches = 0;
    let failed = 0;
    let files = 0;
    let fullRead = true;
    let invalidFiles: { path: string; message: string; entries: number }[] = [];
    try {
      const changes = await readLedgerChanges(repo, {
        ...(head === null ? {} : { ref: head }),
        since: fromCommit,
        ...(options.reportsDir === undefined ? {} : { reportsDir: options.reportsDir }),
      });
      if (changes.note !== undefined) logger.warn(changes.note);
      fullRead = changes.full;
      files = changes.files.length;
      const { items, invalid } = collectItems(changes.files, changes.commit);
      invalidFiles = invalid;
      failed = invalid.reduce((n, f) => n + f.entries, 0);
      for (const bad of invalid) logger.warn(`${bad.path}: skipped: ${bad.message}`);
      logger.info(
        `ingest: ${items.length} entries in ${files} file(s)${fullRead ? '' : ` changed since ${fromCommit?.slice(0, 12)}`} into ${sink.target}`,
      );
      for (let i = 0; i < items.length; i += batchSize) {
        const counts = await sink.upsert(ingestId, items.slice(i, i + batchSize));
        batches += 1;
        seen += counts.seen;
        inserted += counts.inserted;
        updated += counts.updated;
        unchanged += counts.unchanged;
        logger.progress('ingest', Math.min(i + batchSize, items.length), items.length);
      }
      logger.progressDone('ingest');
    } catch (error) {
      logger.progressDone('ingest');
      const message = error instanceof Error ? error.message : String(error);
      // best effort: the database may be the thing that failed
      await sink
        .finish({
          ingest_id: ingestId,
          status: 'failed',
          error: message,
          entries_failed: failed,
          watermark: null,
        })
        .catch(() => undefined);
      throw error;
    }
    const ok = invalidFiles.length === 0;
    const finished = await sink.finish({
      ingest_id: ingestId,
      status: ok ? 'succeeded' : 'failed',
      ...(ok ? {} : { error: `${invalidFiles.length} manifest file(s) invalid` }),
      entries_failed: failed,
      watermark: ok ? head : null,
    });
    const result: IngestResult = {
      ingest_id: ingestId,
      engine: sink.engine,
      target: sink.target,
      from_commit: fromCommit,
      to_commit: head,
      full_read: fullRead,
      files,
      seen,
      inserted,
      updated,
      unchanged,
      failed,
      batches,
      watermark: finished.watermark,
      invalid_files: invalidFiles.map(({ path, message }) => ({ path, message })),
    };
    if (!ok) {
      const first = invalidFiles[0]!;
      throw new SlsaLedgerError(
        'LEDGER_MANIFEST_INVALID',
        `ingested the valid files, but ${invalidFiles.length} manifest file(s) are invalid (first: ${first.path}: ${first.message}); the watermark stays at ${fromCommit ?? 'none'}`,
        { details: { result } },
      );
    }
    return result;
  } finally {
    await sink.close();
  }
}
