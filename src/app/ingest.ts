// `ingest`: load git ledgers into the database through slsa_ingest_batch, in batches, as the
// least-privilege role. Each ledger is one repository (`owner/name`) with its own watermark; only
// files changed since it are read. Each batch is one transaction; an entry the database refuses is
// recorded as failed and the others land. The watermark moves only when every entry read landed,
// so nothing is ever skipped silently: a refused entry or an unreadable file is read again by the
// next ingest, until it is fixed in the ledger. One failing ledger does not stop the others.
import { randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import {
  parseLedgerSpecs,
  parseRepositoryName,
  repositoryFromRemoteUrl,
  type LedgerSpec,
} from '../core/ingest/repository.js';
import { entryKey, manifestFromValue, type LedgerEntry } from '../core/ledger/entry.js';
import type { Logger } from '../core/ports.js';
import { silentLogger } from '../core/ports.js';
import { SlsaLedgerError, assertNever, isSlsaLedgerError } from '../errors.js';
import { decideRetry, retryPolicies } from '../core/retry/decide-retry.js';
import { openDatabase } from '../io/db.js';
import {
  createSqlIngestSink,
  type IngestItem,
  type BegunIngest,
  type IngestSink,
  type ReconcileResult,
  type RefusedEntry,
  type UpsertCounts,
} from '../io/ingest-sink.js';
import { hasCompleteHistory, runGit } from '../io/git.js';
import { dayFileValue } from '../io/ledger-reader.js';
import {
  assertLedgerAt,
  isGitRepo,
  listFirstParentCommits,
  readLedgerChanges,
  resolveReadTarget,
  watermarkLeftBehind,
} from '../io/ledger-source.js';
import { createSupabaseIngestSink } from '../io/supabase-store.js';
import type { LedgerTrust } from '../io/trust-policy-file.js';
import { verifyEntrySignatures, type SignatureStatus } from '../core/ledger-trust/signature-status.js';
import { listTrustDaysAt, readTrustDayGroups } from '../io/ledger-trust-reader.js';
import { findLogRewrites, ledgerIdentityOfRef } from './check-trust.js';
import {
  MAX_LISTED_REWRITES,
  commitsOf,
  decideRewriteAcceptance,
  parseAcceptRewriteValue,
  rewrittenDays,
  statusAfterRewrite,
  type AcceptedRewrite,
  type LogRewrite,
} from '../core/ingest/accept-rewrites.js';

export const DEFAULT_BATCH_SIZE = 1000;

/** The most runs in two day files an ingest lists (each a warning and a `duplicates` item). */
const MAX_LISTED_DUPLICATES = 100;

export interface IngestOptions {
  /** the ledger clone (default cwd) when no ledger names its own; a plain directory is read whole */
  readonly repo?: string;
  /**
   * commit-ish of the clone to read (e.g. `HEAD`); default: the remote's ledger branch, fetched now
   * (docs/ledger.md "Reading the ledger"); a clone without remotes is read at HEAD
   */
  readonly ref?: string;
  /** the remote and branch to fetch (default: `.slsa-ledger.yml` `ledger:`, else origin and its default branch) */
  readonly remote?: string;
  readonly branch?: string;
  readonly reportsDir?: string;
  /**
   * the trust policy (docs/trust.md "The database copy"): each run's `signature_status` is computed
   * from the ingested commit's signed logs under it; undefined: `unverified`
   */
  readonly trust?: LedgerTrust;
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
  /**
   * ledgers ingested at once (default 1; 1–16). Each is its own transaction per batch and its own
   * turn (the lock is per repository); on Postgres a batch that loses a deadlock or a serialization
   * check to another ledger's batch is retried whole. The embedded database takes one writer.
   */
  readonly jobs?: number;
  /** `owner/name` of the `repo` clone (default: from its remote) */
  readonly ledger?: string;
  /** several ledgers (`--ledger OWNER/NAME=DIR`, repeatable); each its own repository and watermark */
  readonly ledgers?: readonly LedgerSpec[];
  /** read every file and mark the runs the database holds that are no longer in git */
  readonly reconcile?: boolean;
  /**
   * `--accept-rewrite COMMIT` (repeatable; one ledger): commits (full ids or unique abbreviations)
   * whose signed-log rewrites the history replay of a first or `--full` ingest reported, acknowledged
   * after review (docs/trust.md "Accepting a rewritten history"): the ingest goes on, records them
   * (the ingest's row, the repository's, an audit row per run of their days) and never stores the
   * runs of those days as `verified`. A rewrite not named still refuses.
   */
  readonly acceptRewrites?: readonly string[];
  readonly logger?: Logger;
  /** raised once per failing ledger (the CLI sends it through `notify`) */
  readonly alert?: (alert: IngestAlert) => Promise<void>;
  /** for tests and the library: a sink to write to instead of opening one */
  readonly sink?: IngestSink;
}

/** The `path` of the accepted rewrite that records a history replaced by `--full` (no log's). */
export const HISTORY_PATH = '(history)';

/** Sends an alert when the caller asked for them; a failed delivery is said, never fails the ingest. */
async function raiseAlert(options: IngestOptions, alert: IngestAlert, logger: Logger): Promise<void> {
  await options
    .alert?.(alert)
    .catch((error: unknown) =>
      logger.warn(
        `ingest ${alert.repository}: the alert could not be sent: ${error instanceof Error ? error.message : String(error)}`,
      ),
    );
}

/** What a failing ledger raises. */
export interface IngestAlert {
  readonly event: 'ingest-failed' | 'ledger-history-rewritten' | 'ledger-rewrite-accepted';
  readonly repository: string;
  readonly code: string;
  readonly message: string;
}

export interface LedgerIngestResult {
  readonly repository: string;
  readonly ledger_url: string | null;
  /** the clone read */
  readonly dir: string;
  /**
   * `no-ledger`: the remote has no ledger yet (no ledger branch, or nothing ever written to it) and
   * the database never ingested this repository: recorded, not a failure, not alerted
   */
  readonly status: 'succeeded' | 'failed' | 'no-ledger';
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
  readonly restored: number;
  /** entries not written: unreadable files' entries plus refused ones */
  readonly failed: number;
  readonly batches: number;
  readonly watermark: string | null;
  /** manifests that could not be parsed (their entries are counted as failed) */
  readonly invalid_files: readonly { readonly path: string; readonly message: string }[];
  /** entries the database (or the client's own check) refused, with the reason */
  readonly refused: readonly RefusedEntry[];
  /**
   * runs found in two day files read (a hand edit; `check` reports CHECK_DUPLICATE_KEY): the later
   * file's copy is stored (its signature status is its own day's), the other left out; at most 100
   */
  readonly duplicates?: readonly DuplicateRun[];
  /** with `reconcile`: the runs in the database that are no longer in the ledger */
  readonly reconcile?: ReconcileResult;
  /** why this ledger failed */
  readonly error?: { readonly code: string; readonly message: string };
  /** with status `no-ledger`: why there is none */
  readonly note?: string;
  /** the history rewrites this ingest accepted (`acceptRewrites`) and recorded; absent when none */
  readonly accepted_rewrites?: readonly LogRewrite[];
  /**
   * `--full` over a history that no longer holds the last ingested commit (`from`): recorded as an
   * accepted rewrite (path `(history)`), alerted, and the runs it lacks marked (reconcile)
   */
  readonly history_replaced?: { readonly from: string; readonly to: string };
}

/** One ledger's result, with its fields at the top level as before (single-ledger callers). */
export type IngestResult = LedgerIngestResult;

export interface IngestLedgersResult {
  readonly engine: string;
  readonly target: string;
  readonly ledgers: readonly LedgerIngestResult[];
  readonly succeeded: number;
  readonly failed: number;
  /** ledgers whose remote has no ledger yet (never ingested): neither succeeded nor failed */
  readonly no_ledger: number;
}

/** The most ledgers one ingest writes at once (each holds one connection). */
export const MAX_INGEST_JOBS = 16;

function jobsOf(options: IngestOptions, ledgers: number): number {
  const jobs = options.jobs ?? 1;
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > MAX_INGEST_JOBS) {
    throw new SlsaLedgerError(
      'USAGE_INVALID_FLAG',
      `--jobs must be an integer from 1 to ${MAX_INGEST_JOBS}`,
      {
        details: { flag: 'jobs' },
      },
    );
  }
  return Math.min(jobs, Math.max(1, ledgers));
}

async function openSink(options: IngestOptions, jobs = 1): Promise<IngestSink> {
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
    connections: jobs,
    // the embedded database is ours to set up (created here on first use); a server is migrated
    // with `migrate`
    migrate: embedded,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  return createSqlIngestSink(db);
}

/**
 * Entries of every readable file, last occurrence of a key winning; bad files are reported. Each
 * file is checked within the day-file limits (docs/limits.md) before it is parsed, so a hostile
 * file costs no more than its limit and is refused alone; in a file whose entries the schema
 * refuses only in part, the valid ones are kept and the file is reported with the refused count.
 */
export function collectItems(
  files: readonly { path: string; bytes: Buffer; sha256: string }[],
  commit: string | null,
): {
  items: IngestItem[];
  invalid: { path: string; message: string; entries: number }[];
  duplicates: DuplicateRun[];
} {
  const byKey = new Map<string, IngestItem>();
  const invalid: { path: string; message: string; entries: number }[] = [];
  const duplicates: DuplicateRun[] = [];
  for (const file of files) {
    let value: unknown;
    try {
      value = dayFileValue(file);
    } catch (error) {
      if (!isSlsaLedgerError(error)) throw error;
      // not json within the limits: one failure for the file
      invalid.push({ path: file.path, message: `${error.code}: ${error.message}`, entries: 1 });
      continue;
    }
    let entries: LedgerEntry[];
    try {
      entries = manifestFromValue(value, file.path);
    } catch (error) {
      if (!isSlsaLedgerError(error)) throw error;
      if (!Array.isArray(value)) {
        invalid.push({ path: file.path, message: error.message, entries: 1 });
        continue;
      }
      // one bad entry never blocks the others of its file (issue 13 item 3): the valid ones land,
      // the file is reported with the count of the refused ones, and the watermark stays
      entries = [];
      let refused = 0;
      for (const item of value) {
        try {
          entries.push(...manifestFromValue([item], file.path));
        } catch (itemError) {
          if (!isSlsaLedgerError(itemError)) throw itemError;
          refused += 1;
        }
      }
      invalid.push({ path: file.path, message: error.message, entries: refused });
    }
    for (const entry of entries) {
      const key = entryKey(entry);
      const earlier = byKey.get(key);
      // a run in two day files (check's CHECK_DUPLICATE_KEY): the later file's copy is stored, and
      // the other is said, never dropped silently
      if (earlier !== undefined && earlier.manifest_path !== file.path) {
        duplicates.push({
          tag: entry.tag,
          run_id: entry.run_id,
          stored: file.path,
          dropped: earlier.manifest_path,
        });
      }
      byKey.delete(key); // keep file order: a later file's copy moves to the end
      byKey.set(key, { entry, manifest_path: file.path, manifest_hash: file.sha256, git_commit: commit });
    }
  }
  return { items: [...byKey.values()], invalid, duplicates };
}

/** A run found in two day files read by one ingest: the copy stored and the one left out. */
export interface DuplicateRun {
  readonly tag: string;
  readonly run_id: number;
  readonly stored: string;
  readonly dropped: string;
}

// Text the database cannot hold (a lone UTF-16 surrogate: Postgres refuses the whole JSON document
// it is in). Checked here so that one such entry fails alone, not its batch.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function hasLoneSurrogate(value: unknown): boolean {
  if (typeof value === 'string') return LONE_SURROGATE.test(value);
  if (Array.isArray(value)) return value.some(hasLoneSurrogate);
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value))
      if (LONE_SURROGATE.test(k) || hasLoneSurrogate(v)) return true;
  }
  return false;
}

function refusedOf(item: IngestItem, index: number, reason: string): RefusedEntry {
  return {
    index,
    tag: item.entry.tag.slice(0, 300).replace(new RegExp(LONE_SURROGATE.source, 'g'), '\ufffd'),
    run_id: String(item.entry.run_id),
    manifest_path: item.manifest_path,
    reason,
  };
}

const emptyCounts = (): UpsertCounts => ({
  seen: 0,
  inserted: 0,
  updated: 0,
  unchanged: 0,
  restored: 0,
  failed: [],
});

function addCounts(a: UpsertCounts, b: UpsertCounts): UpsertCounts {
  return {
    seen: a.seen + b.seen,
    inserted: a.inserted + b.inserted,
    updated: a.updated + b.updated,
    unchanged: a.unchanged + b.unchanged,
    restored: a.restored + b.restored,
    failed: [...a.failed, ...b.failed],
  };
}

/** SQLSTATEs of a transaction that lost to a concurrent one and was rolled back whole. */
const LOST_TURN = new Set(['40P01', '40001']);

/**
 * Runs one batch call, again (after the database-turn backoff) when the server rolled it back for a
 * deadlock or a serialization failure against a concurrent writer (`--jobs`, or another ingest):
 * the call is one transaction, so nothing of it landed and running it again is safe.
 */
async function withDatabaseTurns<T>(call: () => Promise<T>, logger: Logger, what: string): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const sqlstate = isSlsaLedgerError(error)
        ? (error.details as { sqlstate?: unknown } | undefined)?.sqlstate
        : undefined;
      const verdict = decideRetry(retryPolicies.databaseTurn, attempt, {
        retryable: typeof sqlstate === 'string' && LOST_TURN.has(sqlstate),
        random: Math.random(),
      });
      if (verdict.kind === 'stop') throw error;
      logger.warn(
        `${what}: rolled back by the database (${String(sqlstate)}: ${sqlstate === '40P01' ? 'deadlock with a concurrent writer' : 'serialization failure'}); nothing of it landed; trying again in ${verdict.delayMs} ms`,
      );
      await new Promise((resolve) => setTimeout(resolve, verdict.delayMs));
    }
  }
}

/**
 * Upserts one batch. When the database refuses the call as a whole (a value it cannot even parse),
 * the batch is split in halves until the refused entries stand alone: they are recorded as failed,
 * the rest land.
 */
async function upsertIsolating(
  sink: IngestSink,
  ingestId: string,
  items: readonly IngestItem[],
  offset: number,
  logger: Logger,
  repository: string,
): Promise<UpsertCounts> {
  try {
    const counts = await withDatabaseTurns(
      () => sink.upsert(ingestId, items),
      logger,
      `ingest ${repository}: the batch of entries ${offset + 1}–${offset + items.length}`,
    );
    return { ...counts, failed: counts.failed.map((f) => ({ ...f, index: f.index + offset })) };
  } catch (error) {
    const refusedWhole =
      isSlsaLedgerError(error) && (error.code === 'DB_INPUT_REJECTED' || error.code === 'SUPABASE_REJECTED');
    if (!refusedWhole) throw error;
    if (items.length === 1) {
      return {
        ...emptyCounts(),
        seen: 1,
        failed: [refusedOf(items[0]!, offset, error.message.slice(0, 500))],
      };
    }
    const half = Math.ceil(items.length / 2);
    const first = await upsertIsolating(sink, ingestId, items.slice(0, half), offset, logger, repository);
    const second = await upsertIsolating(
      sink,
      ingestId,
      items.slice(half),
      offset + half,
      logger,
      repository,
    );
    return addCounts(first, second);
  }
}

async function remoteUrlOf(dir: string): Promise<string | undefined> {
  const names = await runGit(['remote'], { cwd: dir, allowFailure: true }).catch(() => undefined);
  if (names === undefined || names.code !== 0) return undefined;
  const list = names.stdout.toString('utf8').split('\n').filter(Boolean);
  const name = list.includes('origin') ? 'origin' : list[0];
  if (name === undefined) return undefined;
  const url = await runGit(['remote', 'get-url', name], { cwd: dir, allowFailure: true });
  return url.code === 0 ? url.stdout.toString('utf8').trim() : undefined;
}

/**
 * The repository a ledger clone belongs to: `--ledger`, else its remote's `owner/name`, else
 * `local/<folder>` (with a warning).
 */
export async function identifyLedger(
  dir: string,
  named: string | undefined,
  logger: Logger,
): Promise<{ repository: string; ledgerUrl: string | null }> {
  const remote = await remoteUrlOf(dir);
  const fromRemote = remote === undefined ? undefined : repositoryFromRemoteUrl(remote);
  if (named !== undefined) {
    const repository = parseRepositoryName(named);
    const sameRepo = fromRemote?.repository.toLowerCase() === repository.toLowerCase();
    return { repository, ledgerUrl: sameRepo ? (fromRemote?.url ?? null) : null };
  }
  if (fromRemote !== undefined) return { repository: fromRemote.repository, ledgerUrl: fromRemote.url };
  const folder =
    basename(dir)
      .replace(/[^A-Za-z0-9_.-]/g, '-')
      .slice(0, 100) || 'ledger';
  const repository = `local/${folder === '.' || folder === '..' ? 'ledger' : folder}`;
  logger.warn(
    `ingest: ${dir} has no remote that names its repository: ingesting it as ${repository} (name it with --ledger OWNER/NAME)`,
  );
  return { repository, ledgerUrl: null };
}

/** Where a ledger is read: the commit (null for a plain directory), the tree and its reports folder. */
async function readTargetOf(
  dir: string,
  options: IngestOptions,
  logger: Logger,
): Promise<{
  head: string | null;
  readRef: string | undefined;
  readDir: string;
  reportsDir: string | undefined;
}> {
  let head: string | null = null;
  let readRef: string | undefined;
  let readDir = dir;
  let reportsDir = options.reportsDir;
  if (await isGitRepo(dir)) {
    const target = await resolveReadTarget({
      repoDir: dir,
      ...(options.ref === undefined ? {} : { ref: options.ref }),
      ...(options.remote === undefined ? {} : { remote: options.remote }),
      ...(options.branch === undefined ? {} : { branch: options.branch }),
      ...(options.reportsDir === undefined ? {} : { reportsDir: options.reportsDir }),
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
    await assertLedgerAt(target);
    head = target.commit;
    readRef = target.ref;
    readDir = target.root;
    reportsDir = target.reportsDir;
    logger.info(`ingest: reading ${target.label} (${head.slice(0, 12)}) of ${target.root}`);
  } else if (options.ref !== undefined) {
    throw new SlsaLedgerError('USAGE_INVALID_FLAG', `--ref needs a git repository, and ${dir} is not one`, {
      details: { flag: 'ref', repo: dir },
    });
  }
  return { head, readRef, readDir, reportsDir };
}

/**
 * The remote has no ledger yet: its ledger branch does not exist, or nothing was ever written to
 * it (read from the remote, not at a `--ref` the caller named).
 */
function isNoLedgerYet(error: unknown): boolean {
  if (!isSlsaLedgerError(error) || error.code !== 'LEDGER_NOT_FOUND') return false;
  const d = error.details as { remote?: unknown; branch?: unknown } | undefined;
  return typeof d?.remote === 'string' && typeof d.branch === 'string';
}

/**
 * A ledger that could not be read at all (its clone missing, its remote unreachable, no ledger at
 * the commit, a bad --ref) is an ingest that failed: recorded in `ingest_runs` under its repository,
 * so `ingest_failures`, `provenance_audit_failures` and the dashboard count it. Only a ledger named
 * by `--ledger` or by its remote is recorded (a `local/<folder>` guess would invent a repository);
 * best effort: the database may be what failed.
 *
 * Except a repository with no ledger yet (its remote has none) that the database never ingested
 * (no watermark): that is recorded as such (a finished ingest with the alert `no-ledger-yet`, not a
 * failure) and returned. A repository the database did ingest whose ledger is gone is a deletion:
 * failed (and alerted) as any unreadable ledger, so deleting a ledger branch never goes quiet.
 */
async function recordUnreadLedger(
  sink: IngestSink,
  ingestId: string,
  ledger: OneLedger,
  error: unknown,
  logger: Logger,
): Promise<{ result?: LedgerIngestResult; repository?: string }> {
  if (!isSlsaLedgerError(error)) return {};
  let repository = ledger.repository;
  let ledgerUrl: string | null = null;
  if (repository === undefined) {
    const remote = existsSync(ledger.dir) ? await remoteUrlOf(ledger.dir).catch(() => undefined) : undefined;
    const fromRemote = remote === undefined ? undefined : repositoryFromRemoteUrl(remote);
    if (fromRemote === undefined) return {};
    repository = fromRemote.repository;
    ledgerUrl = fromRemote.url;
  }
  let begun: BegunIngest;
  try {
    begun = await sink.begin({
      ingest_id: ingestId,
      repository,
      engine: sink.engine,
      to_commit: null,
      ledger_url: ledgerUrl,
    });
  } catch (recordError) {
    logger.debug(
      `ingest ${repository}: the failure could not be recorded: ${recordError instanceof Error ? recordError.message : String(recordError)}`,
    );
    return { repository };
  }
  const known = begun.repository ?? repository;
  const noLedgerYet = isNoLedgerYet(error) && begun.watermark === null;
  try {
    await sink.finish({
      ingest_id: ingestId,
      status: noLedgerYet ? 'succeeded' : 'failed',
      ...(noLedgerYet
        ? { alert: 'no-ledger-yet' }
        : { error: `${error.code}: ${error.message}`.slice(0, 2000) }),
      entries_failed: 0,
      watermark: null,
    });
  } catch (recordError) {
    logger.debug(
      `ingest ${known}: the ingest could not be recorded: ${recordError instanceof Error ? recordError.message : String(recordError)}`,
    );
    if (noLedgerYet) throw recordError;
    return { repository: known };
  }
  if (!noLedgerYet) return { repository: known };
  logger.info(
    `ingest ${known}: no ledger yet (${error.message}); not a failure until it has been ingested once`,
  );
  const { error: _none, ...empty } = failedResult(ledger, known, sink, error.code, error.message);
  return {
    repository: known,
    result: {
      ...empty,
      ledger_url: ledgerUrl,
      status: 'no-ledger',
      ingest_id: ingestId,
      note: error.message,
    },
  };
}

/** The error, naming the repository it is about (so it is reported and alerted under that name). */
function withRepository(error: unknown, repository: string | undefined): unknown {
  if (repository === undefined || !isSlsaLedgerError(error)) return error;
  if (typeof (error.details as { repository?: unknown } | undefined)?.repository === 'string') return error;
  const Kind = error.constructor as typeof SlsaLedgerError;
  return new Kind(error.code, error.message, {
    cause: error,
    details: { ...(error.details ?? {}), repository },
  });
}

function checkLedgerDir(dir: string): void {
  let isDir = false;
  try {
    isDir = existsSync(dir) && statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    throw new SlsaLedgerError('INPUT_FILE_MISSING', `ledger ${dir} does not exist or is not a directory`, {
      details: { path: dir },
    });
  }
}

interface OneLedger {
  readonly dir: string;
  readonly repository?: string;
}

async function ingestOne(
  sink: IngestSink,
  ledger: OneLedger,
  options: IngestOptions,
  logger: Logger,
): Promise<LedgerIngestResult> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const dir = ledger.dir;
  const ingestId = randomUUID();
  // the commit first: a bad --ref or an unreachable remote must not leave a 'running' ingest behind
  // (it is recorded as a failed ingest instead, below). A clone is read at its remote's ledger
  // branch, fetched now (issue 13 item 1), or at --ref.
  let head: string | null = null;
  // the ref read (the private ref the ledger branch was fetched into, or --ref): the ledger location
  // the statements must be signed for comes from it, never from the clone's HEAD (a detached
  // worktree, as the shipped workflows pass with --repo, names no branch)
  let readRef: string | undefined;
  let readDir = dir;
  let reportsDir = options.reportsDir;
  try {
    checkLedgerDir(dir);
    ({ head, readRef, readDir, reportsDir } = await readTargetOf(dir, options, logger));
  } catch (error) {
    const unread = await recordUnreadLedger(sink, ingestId, ledger, error, logger);
    if (unread.result !== undefined) return unread.result;
    throw withRepository(error, unread.repository);
  }
  const identified = await identifyLedger(dir, ledger.repository, logger);
  const { ledgerUrl } = identified;
  const begun = await sink.begin({
    ingest_id: ingestId,
    repository: identified.repository,
    engine: sink.engine,
    to_commit: head,
    ledger_url: ledgerUrl,
  });
  // the database keeps a repository under the spelling it first saw (names are case-insensitive)
  const repository = begun.repository ?? identified.repository;
  if (repository !== identified.repository) {
    logger.info(
      `ingest ${identified.repository}: the database knows it as ${repository}: ingesting into that`,
    );
  }
  // --reconcile reads every file but is no way around the witness: only --full accepts a rewrite
  // (the shipped workflow reconciles daily, unattended: a force-push just before it went through)
  const fromCommit = options.full === true ? null : begun.watermark;
  let counts = emptyCounts();
  let batches = 0;
  let files = 0;
  let readWhole = true;
  let invalidFiles: { path: string; message: string; entries: number }[] = [];
  let unreadable = 0;
  let reconciled: ReconcileResult | undefined;
  let duplicates: readonly DuplicateRun[] = [];
  const named = options.acceptRewrites ?? [];
  // the rewrites this ingest accepts and records, and every accepted one of the repository (earlier
  // ingests' too): the runs of their days are never stored as verified
  let accepted: readonly LogRewrite[] = [];
  let acceptedBefore: readonly AcceptedRewrite[] = [];
  let replaced: { readonly from: string; readonly to: string } | undefined;
  try {
    const changes = await readLedgerChanges(readDir, {
      ...(head === null ? {} : { ref: head }),
      since: fromCommit,
      ...(options.reconcile === true ? { readAll: true } : {}),
      ...(reportsDir === undefined ? {} : { reportsDir }),
    });
    if (changes.note !== undefined && changes.rewritten !== true) logger.warn(changes.note);
    // the witness (issue 14 item 5): the watermark must be on the first-parent history of the head
    // read (a commit a complete clone lacks was thrown away by a force-push), and every signed log
    // changed since it must only have grown; readLedgerChanges reports `rewritten` when not (`note`
    // says which log); then nothing moves and the alert is raised. Without a watermark (a first
    // ingest, or --full) there is nothing to compare with, so the whole history is replayed instead:
    // every signed log must have only grown in every commit (check's history audit, streamed).
    let why: string | undefined;
    let hint =
      "check the ledger, then run 'ingest --full' to accept the new history (its whole history is replayed: name each signed-log rewrite the replay reports with --accept-rewrite; the replacement is recorded as an accepted rewrite and alerted, and the runs the new history lacks are marked)";
    let rewriteDetails: Record<string, unknown> = {};
    const replays = fromCommit === null && changes.commit !== null;
    if ((replays || options.trust !== undefined) && head !== null) {
      acceptedBefore = await sink.acceptedRewrites(ingestId);
    }
    if (changes.malformed !== undefined) {
      why = changes.malformed;
      hint =
        "no writer makes such a tree, and the ledger cannot be read as one: find the commit that made it with 'slsa-ledger check' (CHECK_UNEXPECTED_PATH), restore the branch to a tree with one entry per name, then ingest again";
    } else if (changes.rewritten === true && fromCommit !== null) {
      why =
        changes.note ??
        `the watermark ${fromCommit.slice(0, 12)} is not on the first-parent history of ${head?.slice(0, 12) ?? 'the head'}`;
    } else if (replays) {
      const started = Date.now();
      const cut = await findLogRewrites(
        readDir,
        changes.commit,
        (reportsDir ?? 'docs/reports').replace(/^\.\//, '').replace(/\/+$/, ''),
      );
      logger.info(
        `${repository}: history replayed (${Date.now() - started} ms): ${cut.length === 0 ? 'every signed log only grew' : `${cut.length} log rewrite(s)`}`,
      );
      const decision = decideRewriteAcceptance(cut, named, acceptedBefore);
      for (const c of decision.unmatched) {
        logger.warn(
          `ingest ${repository}: --accept-rewrite ${c.slice(0, 12)}: the replay reported no signed-log rewrite in that commit: nothing to accept`,
        );
      }
      for (const r of decision.previously) {
        logger.info(`ingest ${repository}: history rewrite accepted by an earlier ingest: ${r.message}`);
      }
      if (decision.refused.length > 0) {
        const commits = commitsOf(decision.refused);
        why = `${decision.refused[0]!.message}${decision.refused.length > 1 ? ` (and ${decision.refused.length - 1} more)` : ''}; rewritten by commit(s) ${commits.slice(0, 20).join(', ')}${commits.length > 20 ? ` and ${commits.length - 20} more` : ''}`;
        hint =
          "a signed log only grows, and the commit that cut it stays in history: restoring the log's lines in a later commit does not undo it. Review each commit with 'slsa-ledger check' (it lists every rewrite), then accept them with 'ingest --accept-rewrite COMMIT' for each commit listed (recorded in the audit log; the runs of their days are never stored as verified), or rewrite the ledger's history without the cut, then ingest again";
        rewriteDetails = {
          rewrites: decision.refused.slice(0, MAX_LISTED_REWRITES),
          rewrites_total: decision.refused.length,
          commits: commits.slice(0, MAX_LISTED_REWRITES),
          commits_total: commits.length,
          ...(decision.accepted.length + decision.previously.length === 0
            ? {}
            : { accepted: [...decision.previously, ...decision.accepted].slice(0, MAX_LISTED_REWRITES) }),
        };
      } else {
        accepted = decision.accepted;
        for (const r of accepted) {
          logger.warn(`ingest ${repository}: history rewrite accepted (--accept-rewrite): ${r.message}`);
        }
      }
    } else if (named.length > 0) {
      logger.warn(
        `ingest ${repository}: --accept-rewrite applies to a replay of the whole history (a first ingest, or --full); this ingest reads the changes since ${fromCommit?.slice(0, 12) ?? 'nothing'}: nothing to accept`,
      );
    }
    if (why !== undefined) {
      await sink.finish({
        ingest_id: ingestId,
        status: 'failed',
        error: `${changes.malformed === undefined ? 'ledger history rewritten' : 'ledger tree malformed'}: ${why}`,
        entries_failed: 0,
        watermark: null,
        alert: 'ledger-history-rewritten',
        head,
      });
      await raiseAlert(
        options,
        {
          event: 'ledger-history-rewritten',
          repository,
          code: 'INGEST_HISTORY_REWRITTEN',
          message: why,
        },
        logger,
      );
      throw new SlsaLedgerError(
        'INGEST_HISTORY_REWRITTEN',
        `${repository}: ${changes.malformed === undefined ? "the ledger's history was rewritten" : "the ledger's head is not a tree any writer writes"}: ${why}; nothing was ingested and the watermark stays (${hint})`,
        { details: { repository, watermark: fromCommit, head, ...rewriteDetails } },
      );
    }
    // --full over a history that no longer holds the last ingested commit (a force-push, refused
    // by the incremental ingest): taken, since that is what --full is for, but never silently: it
    // is recorded as an accepted rewrite of the whole history (the lost commit, path `(history)`),
    // alerted, and the runs the database holds that the new history lacks are marked (reconcile)
    if (
      options.full === true &&
      begun.watermark !== null &&
      changes.commit !== null &&
      (await watermarkLeftBehind(readDir, begun.watermark, changes.commit)) === true
    ) {
      replaced = { from: begun.watermark, to: changes.commit };
      logger.warn(
        `ingest ${repository}: --full over a replaced history: the last ingested commit ${begun.watermark} is not on the first-parent history of ${changes.commit} (a force-push); the new history is ingested, the replacement recorded (accepted rewrite, path ${HISTORY_PATH}) and the runs it lacks marked`,
      );
    }
    readWhole = changes.full;
    files = changes.files.length;
    const acceptedDays = rewrittenDays([...acceptedBefore, ...accepted]);
    const collected = await withSignatureStatuses(
      collectItems(changes.files, changes.commit),
      dir,
      changes.commit,
      readRef ?? options.ref ?? 'HEAD',
      options,
      logger,
      acceptedDays,
    );
    duplicates = collected.duplicates;
    for (const d of duplicates.slice(0, MAX_LISTED_DUPLICATES)) {
      logger.warn(
        `${repository}: ${d.tag} run ${d.run_id} is in two day files (CHECK_DUPLICATE_KEY): ${d.stored} stored, ${d.dropped} left out`,
      );
    }
    if (duplicates.length > MAX_LISTED_DUPLICATES) {
      logger.warn(`${repository}: ${duplicates.length - MAX_LISTED_DUPLICATES} more run(s) in two day files`);
    }
    // a repository the database holds no ingested commit of may be one it holds under another
    // name (a renamed or moved repository): refused before any run is written, never a second copy
    if (begun.watermark === null) {
      await refuseKnownLedger(sink, ingestId, repository, dir, readDir, head, collected.items, logger);
    }
    // the acceptance is recorded before any run is written: no run lands without its audit trail
    const recording: LogRewrite[] = [
      ...accepted,
      ...(replaced === undefined
        ? []
        : [
            {
              commit: replaced.from,
              path: HISTORY_PATH,
              message: `history replaced by ingest --full: ${replaced.from} (the last commit ingested) is not on the first-parent history of ${replaced.to}`,
            },
          ]),
    ];
    if (recording.length > 0) {
      const days = rewrittenDays(accepted);
      const recorded = await sink.acceptRewrites({
        ingest_id: ingestId,
        head,
        rewrites: recording,
        runs: collected.items
          .filter((i) => days.has(i.manifest_path))
          .map((i) => [i.entry.tag, i.entry.run_id, i.manifest_path] as const),
      });
      const what = `accepted ${recorded.accepted} history rewrite(s) of commit(s) ${commitsOf(recording).join(', ')}: recorded on the ingest and the repository, with ${recorded.audit_rows} audit row(s) (rewrite-accepted); the runs of their days are not stored as verified`;
      logger.warn(`ingest ${repository}: ${what}`);
      // an acceptance is news for the auditors, not a failure: its own event (never ingest-failed)
      await raiseAlert(
        options,
        {
          event: 'ledger-rewrite-accepted',
          repository,
          code: 'INGEST_HISTORY_REWRITTEN',
          message: `${what} (${recording.map((r) => r.message).join('; ')})`,
        },
        logger,
      );
    }
    // files refused before reading (a symlink, FIFO or device; over the byte limit) fail alone
    invalidFiles = [
      ...changes.refused.map((r) => ({ path: r.path, message: `${r.code}: ${r.message}`, entries: 1 })),
      ...collected.invalid,
    ];
    files += changes.refused.length;
    unreadable = invalidFiles.reduce((n, f) => n + f.entries, 0);
    for (const bad of invalidFiles) logger.warn(`${repository}: ${bad.path}: skipped: ${bad.message}`);
    // entries whose text Postgres cannot hold fail here, alone
    const items: IngestItem[] = [];
    const clientRefused: RefusedEntry[] = [];
    collected.items.forEach((item, index) => {
      if (hasLoneSurrogate(item.entry)) {
        clientRefused.push(refusedOf(item, index, 'text holds a lone UTF-16 surrogate (not valid Unicode)'));
      } else items.push(item);
    });
    logger.info(
      `ingest ${repository}: ${collected.items.length} entries in ${files} file(s)${readWhole ? '' : ` changed since ${fromCommit?.slice(0, 12)}`} into ${sink.target}`,
    );
    for (let i = 0; i < items.length; i += batchSize) {
      const batch = await upsertIsolating(
        sink,
        ingestId,
        items.slice(i, i + batchSize),
        i,
        logger,
        repository,
      );
      counts = addCounts(counts, batch);
      batches += 1;
      logger.progress(`ingest ${repository}`, Math.min(i + batchSize, items.length), items.length);
    }
    logger.progressDone(`ingest ${repository}`);
    counts = {
      ...counts,
      seen: counts.seen + clientRefused.length,
      failed: [...clientRefused, ...counts.failed],
    };
    const reconciling = options.reconcile === true || replaced !== undefined;
    if (reconciling && invalidFiles.length === 0) {
      const keys = collected.items.map((item) => [item.entry.tag, item.entry.run_id] as const);
      reconciled = await sink.reconcile(ingestId, keys);
      if (reconciled.marked > 0) {
        logger.warn(
          `${repository}: ${reconciled.marked} run(s) in the database are no longer in the ledger: marked`,
        );
      }
    } else if (reconciling) {
      logger.warn(`${repository}: not reconciled: ${invalidFiles.length} manifest file(s) could not be read`);
    }
  } catch (error) {
    logger.progressDone(`ingest ${repository}`);
    const message = error instanceof Error ? error.message : String(error);
    // best effort: the database may be the thing that failed
    await sink
      .finish({
        ingest_id: ingestId,
        status: 'failed',
        error: message,
        entries_failed: unreadable,
        watermark: null,
      })
      .catch(() => undefined);
    throw error;
  }
  for (const f of counts.failed)
    logger.warn(
      `${repository}: ${f.manifest_path ?? '?'}: ${f.tag ?? '?'} run ${f.run_id ?? '?'} refused${f.code === undefined ? '' : ` (${f.code})`}: ${f.reason}`,
    );
  const ok = invalidFiles.length === 0 && counts.failed.length === 0;
  // ingest_runs.error carries the first reason of each kind, so the database says why (issue 13
  // item 3), not only how many
  const firstFile = invalidFiles[0];
  const firstRefused = counts.failed[0];
  const problems = [
    ...(firstFile === undefined
      ? []
      : [
          `${invalidFiles.length} manifest file(s) invalid (first: ${firstFile.path}: ${firstFile.message.slice(0, 500)})`,
        ]),
    ...(firstRefused === undefined
      ? []
      : [
          `${counts.failed.length} entr${counts.failed.length === 1 ? 'y' : 'ies'} refused (first: ${firstRefused.tag ?? '?'} run ${firstRefused.run_id ?? '?'}: ${firstRefused.code === undefined ? '' : `${firstRefused.code}: `}${firstRefused.reason.slice(0, 500)})`,
        ]),
  ];
  const clientOnly = counts.failed.filter((f) => f.reason.includes('lone UTF-16 surrogate')).length;
  const finished = await sink.finish({
    ingest_id: ingestId,
    status: ok ? 'succeeded' : 'failed',
    ...(ok ? {} : { error: problems.join('; ') }),
    // the database counted the entries it refused itself; these are the ones it never saw
    entries_failed: unreadable + clientOnly,
    watermark: ok ? head : null,
    ...(accepted.length > 0 || replaced !== undefined ? { alert: 'ledger-rewrite-accepted' } : {}),
  });
  const result: LedgerIngestResult = {
    repository,
    ledger_url: ledgerUrl,
    dir,
    status: ok ? 'succeeded' : 'failed',
    ingest_id: ingestId,
    engine: sink.engine,
    target: sink.target,
    from_commit: fromCommit,
    to_commit: head,
    full_read: readWhole,
    files,
    seen: counts.seen,
    inserted: counts.inserted,
    updated: counts.updated,
    unchanged: counts.unchanged,
    restored: counts.restored,
    failed: unreadable + counts.failed.length,
    batches,
    watermark: finished.watermark,
    invalid_files: invalidFiles.map(({ path, message }) => ({ path, message })),
    refused: counts.failed,
    ...(duplicates.length === 0 ? {} : { duplicates: duplicates.slice(0, MAX_LISTED_DUPLICATES) }),
    ...(reconciled === undefined ? {} : { reconcile: reconciled }),
    ...(accepted.length === 0 && replaced === undefined
      ? {}
      : {
          accepted_rewrites: [
            ...accepted,
            ...(replaced === undefined
              ? []
              : [{ commit: replaced.from, path: HISTORY_PATH, message: 'history replaced' }]),
          ],
        }),
    ...(replaced === undefined ? {} : { history_replaced: replaced }),
  };
  if (invalidFiles.length > 0) {
    const first = invalidFiles[0]!;
    throw new SlsaLedgerError(
      'LEDGER_MANIFEST_INVALID',
      `${repository}: ingested the valid files, but ${invalidFiles.length} manifest file(s) are invalid (first: ${first.path}: ${first.message}); the watermark stays at ${fromCommit ?? 'none'}`,
      { details: { result } },
    );
  }
  if (counts.failed.length > 0) {
    const first = counts.failed[0]!;
    throw new SlsaLedgerError(
      'INGEST_ENTRIES_REFUSED',
      `${repository}: ${counts.failed.length} entr${counts.failed.length === 1 ? 'y was' : 'ies were'} refused and recorded as failed (first: ${first.tag ?? '?'} run ${first.run_id ?? '?'}: ${first.code === undefined ? '' : `${first.code}: `}${first.reason}); the others landed; the watermark stays at ${fromCommit ?? 'none'} until the ledger is fixed`,
      { details: { result } },
    );
  }
  return result;
}

/**
 * Refuses a ledger the database already holds under another name (a renamed or moved repository):
 * another repository's watermark is on this ledger's first-parent history. Where the history cannot
 * tell (a plain folder, a shallow clone), another repository holding this ledger's runs (the same
 * run id, tag and sha: GitHub run ids are unique across GitHub) is that repository too. A complete
 * clone whose history holds no other watermark is a ledger of its own even when runs coincide
 * (said as a warning): two repositories' runs are kept apart by repository.
 * @throws `INGEST_REPOSITORY_RENAMED` naming the repository it is and the two ways out
 */
async function refuseKnownLedger(
  sink: IngestSink,
  ingestId: string,
  repository: string,
  dir: string,
  readDir: string,
  head: string | null,
  items: readonly IngestItem[],
  logger: Logger,
): Promise<void> {
  const commits = head === null ? [] : await listFirstParentCommits(readDir, head);
  const runs = items.map((i) => [i.entry.tag, i.entry.run_id, i.entry.sha] as const);
  const matches = await sink.lineage(ingestId, commits, runs);
  if (matches.length === 0) return;
  const historyTells = head !== null && (await hasCompleteHistory(readDir, head));
  const match = historyTells ? matches.find((m) => m.watermark !== null) : matches[0];
  if (match === undefined) {
    for (const m of matches) {
      logger.warn(
        `ingest ${repository}: ${m.runs} of its runs (same run id, tag and sha) are also in ${m.repository}, whose history it does not share: ingested as a repository of its own`,
      );
    }
    return;
  }
  const why = [
    ...(match.watermark === null
      ? []
      : [`its watermark ${match.watermark.slice(0, 12)} is on this ledger's history`]),
    ...(match.runs > 0 ? [`it holds ${match.runs} of this ledger's runs (same run id, tag and sha)`] : []),
  ].join(' and ');
  throw new SlsaLedgerError(
    'INGEST_REPOSITORY_RENAMED',
    `${repository}: this ledger is the repository ${match.repository} the database already holds (${why}): a renamed or moved repository? nothing was ingested; keep the old name with --ledger ${match.repository}=${dir}, or move it to the new name with 'ingest --rename-repository ${match.repository}=${repository}'`,
    { details: { repository, matches } },
  );
}

export interface RenameRepositoryOptions {
  /** the name the database holds the repository under */
  readonly from: string;
  /** its new name, which may hold no run yet */
  readonly to: string;
  /** kept in the audit rows */
  readonly reason?: string;
  readonly databaseUrl?: string;
  readonly dataDir?: string;
  readonly cwd?: string;
  readonly supabaseUrl?: string;
  readonly serviceKey?: string;
  readonly logger?: Logger;
  readonly sink?: IngestSink;
}

export interface RenameRepositoryResult {
  readonly renamed: { readonly from: string; readonly to: string };
  readonly rename_id: string;
  readonly engine: string;
  readonly target: string;
  /** runs moved (each with an audit row `renamed`) */
  readonly runs: number;
  readonly ingests: number;
  readonly manifests: number;
  readonly refused_entries: number;
  readonly watermark: string | null;
}

/**
 * Moves a repository to a new name in the database (a renamed or moved GitHub repository): its
 * runs, watermark, manifests, ingests, refused entries and rollups, in one transaction, with an
 * audit row per run; through the function the ingest role may call. Never a merge.
 * @throws `INGEST_REPOSITORY_INVALID` (a name not owner/name, or unknown to the database),
 *   `INGEST_RENAME_REFUSED` (the new name has runs or an ingested commit, or an ingest of either
 *   is running), `DB_UNAVAILABLE`, `DB_NOT_MIGRATED`
 */
export async function renameRepository(options: RenameRepositoryOptions): Promise<RenameRepositoryResult> {
  const from = parseRepositoryName(options.from, '--rename-repository OLD');
  const to = parseRepositoryName(options.to, '--rename-repository NEW');
  const sink = await openSink({
    ...options,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  try {
    const renameId = randomUUID();
    const reply = await sink.renameRepository({
      rename_id: renameId,
      from,
      to,
      ...(options.reason === undefined ? {} : { reason: options.reason }),
    });
    if (!reply.renamed) {
      switch (reply.refused) {
        case 'unknown':
          throw new SlsaLedgerError(
            'INGEST_REPOSITORY_INVALID',
            `the database holds no repository named ${from}: nothing was renamed`,
            { details: { from, to, refused: reply.refused } },
          );
        case 'same':
          throw new SlsaLedgerError(
            'INGEST_RENAME_REFUSED',
            `the database already holds ${reply.from} under the name ${to}: nothing was renamed`,
            { details: { from, to, refused: reply.refused } },
          );
        case 'running':
          throw new SlsaLedgerError(
            'INGEST_RENAME_REFUSED',
            `an ingest of ${reply.from} or ${to} is running: nothing was renamed; try again when it has finished`,
            { details: { from, to, refused: reply.refused } },
          );
        case 'taken':
          throw new SlsaLedgerError(
            'INGEST_RENAME_REFUSED',
            `${to} already holds runs or an ingested commit in the database: a rename never merges two repositories; nothing was renamed`,
            { details: { from, to, refused: reply.refused } },
          );
        default:
          return assertNever(reply.refused);
      }
    }
    return {
      renamed: { from: reply.from, to: reply.to },
      rename_id: renameId,
      engine: sink.engine,
      target: sink.target,
      runs: reply.runs,
      ingests: reply.ingests,
      manifests: reply.manifests,
      refused_entries: reply.refused_entries,
      watermark: reply.watermark,
    };
  } finally {
    await sink.close();
  }
}

function ledgersOf(options: IngestOptions): OneLedger[] {
  const cwd = options.cwd ?? process.cwd();
  const repo = resolve(cwd, options.repo ?? '.');
  const specs = options.ledgers ?? (options.ledger === undefined ? [] : parseLedgerSpecs([options.ledger]));
  if (specs.length === 0) return [{ dir: repo }];
  return specs.map((s) => ({
    dir: s.dir === undefined ? repo : resolve(cwd, s.dir),
    ...(s.repository === undefined ? {} : { repository: s.repository }),
  }));
}

/**
 * The `--accept-rewrite` values as full commit ids of the one ledger's clone, resolved before the
 * database is opened: a value that is not a commit id, names no commit of the clone, is ambiguous,
 * or comes with several ledgers changes nothing.
 * @throws `INGEST_ACCEPT_REWRITE_INVALID`
 */
async function resolveAcceptRewrites(
  values: readonly string[],
  ledgers: readonly OneLedger[],
): Promise<string[]> {
  if (values.length === 0) return [];
  const prefixes = values.map(parseAcceptRewriteValue);
  if (ledgers.length !== 1) {
    throw new SlsaLedgerError(
      'INGEST_ACCEPT_REWRITE_INVALID',
      `--accept-rewrite names commits of one ledger, and ${ledgers.length} ledgers were given: ingest that ledger alone (--ledger OWNER/NAME=DIR)`,
      { details: { flag: 'accept-rewrite', ledgers: ledgers.length } },
    );
  }
  const dir = ledgers[0]!.dir;
  if (!existsSync(dir) || !(await isGitRepo(dir))) {
    throw new SlsaLedgerError(
      'INGEST_ACCEPT_REWRITE_INVALID',
      `--accept-rewrite needs the ledger's git clone, and ${dir} is not one`,
      { details: { flag: 'accept-rewrite', repo: dir } },
    );
  }
  const resolved: string[] = [];
  for (const prefix of prefixes) {
    // a validated hex prefix: never an option or a ref name; peeled to a commit, so only commits
    // (and tags of them) make an abbreviation ambiguous
    const r = await runGit(['rev-parse', '--verify', `${prefix}^{commit}`], {
      cwd: dir,
      allowFailure: true,
    });
    const full = r.stdout.toString('utf8').trim();
    if (r.code !== 0 || !/^([0-9a-f]{40}|[0-9a-f]{64})$/.test(full) || !full.startsWith(prefix)) {
      const ambiguous = /ambiguous/i.test(r.stderr);
      throw new SlsaLedgerError(
        'INGEST_ACCEPT_REWRITE_INVALID',
        ambiguous
          ? `--accept-rewrite ${prefix}: more than one commit of ${dir} starts with it: give more digits (the refusal lists each commit in full)`
          : `--accept-rewrite ${prefix}: no commit of ${dir} starts with it (the refusal of the ingest lists each rewriting commit in full)`,
        {
          details: {
            flag: 'accept-rewrite',
            value: prefix,
            repo: dir,
            reason: ambiguous ? 'ambiguous' : 'unknown',
          },
        },
      );
    }
    if (!resolved.includes(full)) resolved.push(full);
  }
  return resolved;
}

/**
 * Loads one ledger into the database. Each batch is one transaction; a failure leaves the
 * database as it was before that batch, records the ingest as failed and keeps the watermark.
 * @throws `DB_UNAVAILABLE`, `SUPABASE_UNAVAILABLE` (exit 5, rerun), `DB_NOT_MIGRATED`,
 *   `DB_PERMISSION_DENIED`, `INGEST_ENTRIES_REFUSED` and `LEDGER_MANIFEST_INVALID` (after landing
 *   the rest, without moving the watermark; `details.result` has the counts), `INPUT_FILE_MISSING`,
 *   `LEDGER_NOT_FOUND` (a repository with no ledger at the commit read: nothing is written)
 */
export async function ingestLedger(options: IngestOptions = {}): Promise<IngestResult> {
  const logger = options.logger ?? silentLogger;
  const ledgers = ledgersOf(options);
  if (ledgers.length !== 1) {
    throw new SlsaLedgerError('USAGE_INVALID_FLAG', 'ingestLedger takes one ledger; use ingestLedgers', {
      details: { ledgers: ledgers.length },
    });
  }
  for (const l of ledgers) checkLedgerDir(l.dir);
  const acceptRewrites = await resolveAcceptRewrites(options.acceptRewrites ?? [], ledgers);
  const sink = await openSink(options);
  try {
    return await ingestOne(sink, ledgers[0]!, { ...options, acceptRewrites }, logger);
  } finally {
    await sink.close();
  }
}

/**
 * Loads every ledger (`options.ledgers`, else the one clone) into one database, each with its own
 * watermark. A failing ledger is reported by name (and alerted), and the others go on. A repository
 * whose remote has no ledger yet and that the database never ingested is `status: 'no-ledger'`
 * (not a failure, not alerted); a ledger the database holds under another name (a renamed
 * repository) fails with `INGEST_REPOSITORY_RENAMED` before any run is written.
 * @throws `INGEST_LEDGERS_FAILED` (details.result: every ledger's result) when one or more failed;
 *   the one ledger's own error when there is only one
 */
export async function ingestLedgers(options: IngestOptions = {}): Promise<IngestLedgersResult> {
  const logger = options.logger ?? silentLogger;
  const ledgers = ledgersOf(options);
  // a mistyped --repo fails before anything is opened; a named ledger's missing clone is an ingest
  // that failed, recorded and alerted like any other (`serve --ingest-every` runs one ledger too)
  if (ledgers.length === 1 && ledgers[0]!.repository === undefined) checkLedgerDir(ledgers[0]!.dir);
  const jobs = jobsOf(options, ledgers.length);
  // resolved in the clone before the database is opened: a bad value changes nothing
  const acceptRewrites = await resolveAcceptRewrites(options.acceptRewrites ?? [], ledgers);
  const sink = await openSink(options, jobs);
  const width = sink.engine === 'pglite' ? 1 : jobs;
  if (width < jobs) {
    logger.info(`the embedded database takes one writer at a time: --jobs ${jobs} runs as 1`);
  }
  // each ledger's result in the order the ledgers were given, whichever finishes first
  const slots: (LedgerIngestResult | undefined)[] = ledgers.map(() => undefined);
  const failures: ({ repository: string; error: SlsaLedgerError | Error } | undefined)[] = ledgers.map(
    () => undefined,
  );
  const ingestAt = async (index: number): Promise<void> => {
    const ledger = ledgers[index]!;
    try {
      slots[index] = await ingestOne(sink, ledger, { ...options, acceptRewrites }, logger);
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      const partial = isSlsaLedgerError(err)
        ? ((err.details as { result?: LedgerIngestResult } | undefined)?.result ?? undefined)
        : undefined;
      // a ledger named by its remote is reported (and alerted) under that name, not its folder
      const named = isSlsaLedgerError(err)
        ? (err.details as { repository?: unknown } | undefined)?.repository
        : undefined;
      const repository =
        partial?.repository ??
        (typeof named === 'string' ? named : undefined) ??
        ledger.repository ??
        ledger.dir;
      const code = isSlsaLedgerError(err) ? err.code : 'INTERNAL';
      slots[index] =
        partial === undefined
          ? failedResult(ledger, repository, sink, code, err.message)
          : { ...partial, error: { code, message: err.message } };
      failures[index] = { repository, error: err };
      logger.warn(`ingest ${repository}: failed: ${code}: ${err.message}`);
      await raiseAlert(options, { event: 'ingest-failed', repository, code, message: err.message }, logger);
    }
  };
  try {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < ledgers.length) await ingestAt(next++);
    };
    await Promise.all(Array.from({ length: Math.min(width, ledgers.length) }, worker));
  } finally {
    await sink.close();
  }
  const results = slots.filter((r): r is LedgerIngestResult => r !== undefined);
  const errors = failures.filter(
    (f): f is { repository: string; error: SlsaLedgerError | Error } => f !== undefined,
  );
  const result: IngestLedgersResult = {
    engine: sink.engine,
    target: sink.target,
    ledgers: results,
    succeeded: results.filter((r) => r.status === 'succeeded').length,
    failed: errors.length,
    no_ledger: results.filter((r) => r.status === 'no-ledger').length,
  };
  if (errors.length === 1 && ledgers.length === 1) {
    const only = errors[0]!.error;
    if (isSlsaLedgerError(only)) {
      throw new SlsaLedgerError(only.code, only.message, {
        cause: only,
        details: { ...(only.details ?? {}), result },
      });
    }
    throw only;
  }
  if (errors.length > 0) {
    throw new SlsaLedgerError(
      'INGEST_LEDGERS_FAILED',
      `${errors.length} of ${ledgers.length} ledger(s) failed: ${errors.map((e) => `${e.repository} (${isSlsaLedgerError(e.error) ? e.error.code : 'INTERNAL'})`).join(', ')}; the others landed`,
      { details: { result } },
    );
  }
  return result;
}

function failedResult(
  ledger: OneLedger,
  repository: string,
  sink: IngestSink,
  code: string,
  message: string,
): LedgerIngestResult {
  return {
    repository,
    ledger_url: null,
    dir: ledger.dir,
    status: 'failed',
    ingest_id: '',
    engine: sink.engine,
    target: sink.target,
    from_commit: null,
    to_commit: null,
    full_read: false,
    files: 0,
    seen: 0,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    restored: 0,
    failed: 0,
    batches: 0,
    watermark: null,
    invalid_files: [],
    refused: [],
    error: { code, message },
  };
}

/**
 * Each run's `signature_status` from the signed logs of the ingested commit, under the policy
 * (docs/trust.md "The database copy"), computed at every ingest, never taken from a stored field.
 */
async function withSignatureStatuses<T extends { items: IngestItem[] }>(
  collected: T,
  dir: string,
  commit: string | null,
  ref: string,
  options: IngestOptions,
  logger: Logger,
  rewrittenDayPaths: ReadonlySet<string>,
): Promise<T> {
  if (options.trust === undefined || commit === null || collected.items.length === 0) return collected;
  const reportsDir = (options.reportsDir ?? 'docs/reports').replace(/^\.\//, '').replace(/\/+$/, '');
  const location = await ledgerIdentityOfRef(dir, ref);
  // day by day, in groups within `ledgerLogsReadBytes`: each day's statuses depend on its own logs
  // only, so a ledger of any size is verified whole while memory holds one group
  const statuses = new Map<string, SignatureStatus>();
  const listing = await listTrustDaysAt(dir, commit, reportsDir);
  for await (const group of readTrustDayGroups(dir, listing)) {
    for (const r of verifyEntrySignatures(group.days, options.trust, location))
      statuses.set(`${r.path}\u0000${r.tag}\u0000${r.run_id}`, r.signature_status);
  }
  const counts = new Map<string, number>();
  let downgraded = 0;
  const items = collected.items.map((item) => {
    // the status of this copy in its own day file: a run copied into another day file by hand (a
    // duplicate key, CHECK_DUPLICATE_KEY) never takes the status of the signed copy elsewhere
    const atHead =
      statuses.get(`${item.manifest_path}\u0000${item.entry.tag}\u0000${item.entry.run_id}`) ?? 'unsigned';
    // a day whose signed log an accepted rewrite cut: its logs at the head prove nothing (a run put
    // back to an earlier signed state verifies there), so its runs are never stored as verified
    const status = rewrittenDayPaths.has(item.manifest_path) ? statusAfterRewrite(atHead) : atHead;
    if (status !== atHead) downgraded += 1;
    counts.set(status, (counts.get(status) ?? 0) + 1);
    return { ...item, signature_status: status };
  });
  logger.info(`signatures: ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')}`);
  if (downgraded > 0) {
    logger.warn(
      `signatures: ${downgraded} run(s) verify at the head but their day's signed log was rewritten in history (an accepted rewrite): stored as invalid`,
    );
  }
  return { ...collected, items };
}
