// The one module that writes the ledger (issue 14 item 1): where it is, the local lock, fetch,
// merge at the fetched head, commit, publish, retry, queue — used by `record`, `flush`,
// `validate --record` and the pull-request path. Every git call goes through the ledger
// repository adapter (io/git-ledger-repo.ts); every wait through the one retry policy
// (core/retry). It also keeps the witness (history only grows, issue 14 item 5), reads day files
// within limits so one bad file never blocks another day (issue 13 item 3), and moves the user's
// checked-out branch forward after a landing (read-after-write, issue 13 item 1).
import { createHash } from 'node:crypto';
import { rename } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { admitWithinBudget } from '../core/input/byte-budget.js';
import { limits, otherLimits } from '../core/input/limits.js';
import {
  checkEntryClock,
  manifestDayOf,
  manifestPathFor,
  parseDayFile,
  type LedgerEntry,
} from '../core/ledger/entry.js';
import {
  buildKeyIndex,
  KEY_INDEX_VERSION,
  keyIndexDir,
  keyIndexShard,
  keyIndexShardPath,
  keyIndexVersionPath,
  keyIndexLastPath,
  keyIndexLastText,
  lookupKey,
  parseKeyIndexShard,
  refreshShard,
  serializeOrderedShard,
  type KeyIndexRow,
} from '../core/ledger/key-index.js';
import type { LedgerConfigSection } from '../core/ledger/location.js';
import { pathHasControlCharacter } from '../core/ledger/location.js';
import { NAMED_TWICE, pathsNamedTwice } from '../core/ledger/layout.js';
import {
  applyMergeRule,
  type ManifestDay,
  type MergeOutcome,
  type MergeResult,
} from '../core/ledger/merge.js';
import {
  enqueue,
  parseQueueItems,
  queueBranchPathFor,
  removeLanded,
  serializeQueueWith,
  type InvalidQueueItem,
  type QueueItem,
} from '../core/ledger/queue.js';
import { silentLogger, type Clock, type Logger } from '../core/ports.js';
import { decideRetry, retryPolicies, type BackoffPolicy } from '../core/retry/decide-retry.js';
import { isSlsaLedgerError, UnavailableError, type SlsaLedgerError } from '../errors.js';
import { readInputFile, writeFileAtomic } from '../io/files.js';
import {
  directPushPublisher,
  GitLedgerRepo,
  historyRewritten,
  type CommitFile,
  type DayBlob,
  type PreparedFastForward,
  type Publisher,
} from '../io/git-ledger-repo.js';
import type { GitOutput } from '../io/git.js';
import {
  planLocation,
  remoteDefaultBranch,
  writerDefaultBranch,
  type ResolvedLedgerLocation,
} from '../io/ledger-location.js';
import { defaultLockPath, withLock } from '../io/lock.js';
import { redactText } from '../io/redaction.js';

export const DEFAULT_QUEUE_PATH = 'out/provenance/queued-manifest.json';
export const QUEUE_BRANCH = 'provenance-queue';

/** An alert the engine raises (the CLI sends it through `notify`). */
export interface LedgerAlert {
  readonly event: 'ledger-history-rewritten';
  readonly code: 'LEDGER_HISTORY_REWRITTEN';
  readonly message: string;
  readonly remote: string;
  readonly branch: string;
  readonly tag?: string;
  readonly run_id?: number;
}

/** One change the engine is about to commit, for the transition signer. */
export interface LedgerChange {
  readonly merge: MergeResult;
  /** the fetched head the commit builds on */
  readonly parent: string | undefined;
  readonly repo: GitLedgerRepo;
  readonly branch: string;
}

/**
 * The hook where a transition signer is called (issue 14 item 2): given the change, it returns
 * the files to add to the same commit (e.g. the day's `transitions.jsonl` with the new signed
 * line, built with `signChange` of src/core/ledger-trust). Called once per commit attempt, after
 * the merge and before `createCommit`; a throw stops the write (nothing is committed).
 */
export interface TransitionSigner {
  filesFor(change: LedgerChange): Promise<readonly CommitFile[]>;
  /**
   * true when a signature reaches outside services (keyless: a Fulcio certificate and a public
   * Rekor entry): the engine then signs only at a fetched head, never on a first try that may be
   * thrown away
   */
  readonly remote?: boolean;
}

/** Options shared by `record` and `flush`. */
export interface LedgerWriteOptions {
  /** a clone of the ledger repository (default: the current directory) */
  readonly repoDir?: string;
  /** the remote (default: `ledger.remote` of `.slsa-ledger.yml`, else `origin`) */
  readonly remote?: string | undefined;
  /** the ledger branch (default: `ledger.branch` of `.slsa-ledger.yml`, else the remote's default branch) */
  readonly branch?: string | undefined;
  /** the ledger folder (default: `ledger.reports_dir`, else `docs/reports`) */
  readonly reportsDir?: string | undefined;
  /** where the command runs: its `.slsa-ledger.yml` is used when the clone has none */
  readonly cwd?: string;
  /** the `ledger:` config section already read (`null`: read none) */
  readonly config?: LedgerConfigSection | null;
  /** the local queue file, relative to `repoDir` unless absolute */
  readonly queuePath?: string;
  /** push attempts before queueing (default 5) */
  readonly maxAttempts?: number;
  /** the push step (default: a direct fast-forward push) */
  readonly publisher?: Publisher;
  /** the local lock file (default: one per remote and branch in the OS temp dir) */
  readonly lockPath?: string;
  /** directory for the default lock file (default: `slsa-ledger-locks` in the OS temp dir) */
  readonly lockDir?: string;
  readonly lockTimeoutMs?: number;
  /** first backoff delay in ms (default 200); doubled per attempt, with jitter */
  readonly backoffMs?: number;
  /** seconds an entry's timestamp may be ahead of the clock (default `ledger.clock_skew`, else 300) */
  readonly clockSkewS?: number;
  /** move the checked-out ledger branch forward after a landing when it is clean and behind (default true) */
  readonly fastForward?: boolean;
  /** raised when the engine refuses to write (e.g. a rewritten history) */
  readonly alert?: (alert: LedgerAlert) => Promise<void>;
  /** signs each change into the same commit (issue 14 item 2); none by default */
  readonly transitionSigner?: TransitionSigner;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** randomness for jitter, in [0, 1) */
  readonly random?: () => number;
  /** waits (tests pass a fake) */
  readonly sleep?: (ms: number) => Promise<void>;
}

export const systemClock: Clock = { now: () => new Date() };

/** A day file the engine could not read: a warning, never a stop (issue 13 item 3). */
export interface DayFileWarning {
  readonly path: string;
  /** LEDGER_MANIFEST_INVALID, or the INPUT_* code underneath (INPUT_TOO_LARGE, INPUT_FILE_NOT_REGULAR…) */
  readonly code: string;
  readonly message: string;
}

export interface Landing {
  readonly kind: 'done';
  readonly outcome: 'committed' | 'unchanged' | 'stale';
  readonly merge?: Extract<MergeOutcome, 'inserted' | 'updated'>;
  readonly path: string;
  readonly commit: string | null;
  /** `committed`: the head the commit was built on (null: the first commit of the branch) */
  readonly parent?: string | null;
  readonly sha256: string | null;
  readonly attempts: number;
}

export interface Refusal {
  readonly kind: 'refused';
  /** why, for the queue and the output */
  readonly reason: string;
  /** a coded cause: LEDGER_HISTORY_REWRITTEN, LEDGER_REMOTE_UNAVAILABLE, LEDGER_MANIFEST_INVALID, LEDGER_PUSH_REFUSED */
  readonly code: string;
  readonly attempts: number;
}

export interface QueueReceipt {
  readonly path: string;
  readonly reason: string;
  readonly code: string;
  /** the entry also reached the `provenance-queue` branch */
  readonly branch_pushed: boolean;
  readonly size: number;
  /** an unreadable local queue file was moved here first (never overwritten) */
  readonly moved_aside?: string;
}

export interface LocalQueue {
  readonly items: QueueItem[];
  readonly invalid: InvalidQueueItem[];
  /** the file as a whole could not be read (it is left as it is) */
  readonly unreadable?: SlsaLedgerError;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The commit message of a change: subject and the trailers `check` audits. Trailer values are
 * written exactly as they are compared (never trimmed on read): the tag, the run id, the path and
 * the hash contain no whitespace or line breaks (the schema refuses them in tags).
 */
export function recordMessage(entry: LedgerEntry, path: string, sha256: string): string {
  return [
    `provenance: record ${entry.tag} (run ${entry.run_id}, ${entry.status})`,
    '',
    `Provenance-Run-Id: ${entry.run_id}`,
    `Provenance-Tag: ${entry.tag}`,
    `Manifest-Path: ${path}`,
    `Manifest-Sha256: ${sha256}`,
    '',
  ].join('\n');
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function tooLarge(path: string, size: number): DayFileWarning {
  return {
    path,
    code: 'INPUT_TOO_LARGE',
    message: `${path} is ${size} bytes, more than the limit of ${limits.dayFile.maxBytes}`,
  };
}

/** What a merge reads: the day files, the unreadable ones, and how the key index was used. */
export interface MergeInput {
  readonly days: ManifestDay[];
  readonly broken: Map<string, DayFileWarning>;
  readonly index:
    | { readonly mode: 'full' }
    | { readonly mode: 'shard'; readonly shard: string; readonly rows: KeyIndexRow[] };
}

export class LedgerEngine {
  /** day files at the last head read that could not be parsed */
  readonly warnings: DayFileWarning[] = [];
  private readonly policy: BackoffPolicy;
  /** `git status` of the clone, started when the last landing began (record: when its push did) */
  private checkout: { readonly state: Promise<GitOutput | undefined>; answer?: GitOutput } | undefined;
  /**
   * the read-after-write's git processes for `commit`, started while its push runs (`land`'s
   * `readAfterWrite`) once what is checked out is known; `dropped` once it is not to be used
   */
  private prepared:
    | { readonly commit: string; ready: Promise<PreparedFastForward | undefined>; dropped: boolean }
    | undefined;
  /** the witness of a landing whose read-after-write was prepared, being written (afterLanding awaits it) */
  private witnessWrite: Promise<void> | undefined;

  private constructor(
    readonly repo: GitLedgerRepo,
    readonly location: ResolvedLedgerLocation,
    readonly queuePath: string,
    readonly lockPath: string,
    private readonly options: LedgerWriteOptions,
    readonly logger: Logger,
    /** the branch is the remote's default branch as cached, not asked this time */
    private cachedBranch = false,
  ) {
    this.policy = {
      ...retryPolicies.ledgerPush,
      maxAttempts: options.maxAttempts ?? retryPolicies.ledgerPush.maxAttempts,
      baseDelayMs: options.backoffMs ?? retryPolicies.ledgerPush.baseDelayMs,
    };
  }

  get branch(): string {
    return this.location.branch;
  }

  get clockSkewS(): number {
    return this.options.clockSkewS ?? this.location.clockSkewS ?? 300;
  }

  now(): Date {
    return (this.options.clock ?? systemClock).now();
  }

  /**
   * Resolves where the ledger is and opens the clone.
   * @throws `LEDGER_REPO_INVALID`, `CONFIG_INVALID`, `LEDGER_REMOTE_UNAVAILABLE`, `LEDGER_BRANCH_UNKNOWN`
   */
  static async open(options: LedgerWriteOptions): Promise<LedgerEngine> {
    const logger = options.logger ?? silentLogger;
    const repoDir = options.repoDir ?? '.';
    const planned = await planLocation({
      repoDir,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(options.config === undefined ? {} : { config: options.config }),
      flags: { remote: options.remote, branch: options.branch, reportsDir: options.reportsDir },
    });
    const repo = await GitLedgerRepo.open({
      repoDir,
      remote: planned.remote,
      reportsDir: planned.reportsDir,
      logger,
    });
    // the remote's default branch is asked once per clone and remote URL, then kept under
    // .git/slsa-ledger/ (a round trip less per write); fetchHead re-asks when the branch is gone
    let branch = planned.branch;
    let cachedBranch = false;
    if (branch === undefined) {
      branch = await repo.readDefaultBranch();
      cachedBranch = branch !== undefined;
      if (branch === undefined) {
        // an unreachable remote must not lose the entry: it is queued for the default branch the
        // clone knows (refs/remotes/<remote>/HEAD, set by git clone), which is not cached
        const asked = await writerDefaultBranch(repo.root, planned.remote);
        branch = asked.branch;
        if (asked.from === 'remote') await repo.writeDefaultBranch(branch);
      }
    }
    const location: ResolvedLedgerLocation = { ...planned, branch };
    const q = options.queuePath ?? DEFAULT_QUEUE_PATH;
    const queuePath = isAbsolute(q) ? q : join(repo.root, q);
    const key = `${repo.remoteUrl}\n${location.branch}`;
    const lockPath =
      options.lockPath ??
      (options.lockDir === undefined ? defaultLockPath(key) : defaultLockPath(key, options.lockDir));
    return new LedgerEngine(repo, location, queuePath, lockPath, options, logger, cachedBranch);
  }

  /** Ends the git processes the engine keeps open (the object reader). */
  close(): void {
    this.dropPrepared();
    this.repo.close();
  }

  /** Runs `fn` holding the local lock; `lockWaitS` is the wait, rounded to ms. */
  withLock<T>(fn: (lockWaitS: number) => Promise<T>): Promise<T> {
    return withLock(
      this.lockPath,
      {
        ...(this.options.lockTimeoutMs === undefined ? {} : { timeoutMs: this.options.lockTimeoutMs }),
        onWait: (holder) => this.logger.info(`waiting for the ledger lock (held by ${holder})`),
      },
      (lock) => fn(Math.round(lock.waitedS * 1000) / 1000),
    );
  }

  /**
   * Fetches the ledger branch (never forced) and checks it descends from the witness, the last
   * head this clone saw. @throws `LEDGER_HISTORY_REWRITTEN`, `LEDGER_REMOTE_UNAVAILABLE`
   */
  async fetchHead(onStarted?: () => void): Promise<string | undefined> {
    let head: string | undefined;
    try {
      head = await this.repo.fetch(this.branch, onStarted === undefined ? {} : { onStarted });
    } catch (error) {
      await this.checkCachedBranch(error);
      throw error;
    }
    if (head === undefined) await this.checkCachedBranch(undefined);
    const seen = await this.repo.readWitness(this.branch);
    if (seen !== undefined && head !== seen) {
      if (head === undefined || !(await this.repo.descendsFrom(seen, head))) {
        throw historyRewritten(this.repo.remote, this.branch, seen, head);
      }
    }
    if (head !== undefined && head !== seen) await this.repo.writeWitness(this.branch, head);
    return head;
  }

  /**
   * `fetchHead` for a writer about to write `entry`: an unreachable remote or a rewritten history
   * is a Refusal (the entry waits in the queue), and a rewritten history raises the
   * `ledger-history-rewritten` alert; any other failure is thrown. `land` and flush's queue gate
   * both fetch through it, so neither can skip the alert or lose the replay's result.
   */
  async fetchHeadForWrite(
    entry: LedgerEntry | undefined,
    attempts: number,
    onStarted?: () => void,
  ): Promise<{ readonly kind: 'fetched'; readonly head: string | undefined } | Refusal> {
    try {
      return { kind: 'fetched', head: await this.fetchHead(onStarted) };
    } catch (error) {
      if (
        isSlsaLedgerError(error) &&
        (error.code === 'LEDGER_REMOTE_UNAVAILABLE' || error.code === 'LEDGER_HISTORY_REWRITTEN')
      ) {
        if (error.code === 'LEDGER_HISTORY_REWRITTEN') await this.alertRewrite(error.message, entry);
        return { kind: 'refused', reason: error.message, code: error.code, attempts };
      }
      throw error;
    }
  }

  /**
   * The branch came from the default-branch cache and the remote has no such branch (or it is
   * gone): ask the remote again. Unchanged: nothing to do (the caller goes on as without a cache).
   * Changed (the default branch was renamed): the cache takes the new name and nothing is written
   * to the old one — the write is refused as unavailable (safe to retry), so `record` queues the
   * entry and the next run (or `flush`) lands it on the new default branch.
   */
  private async checkCachedBranch(cause: unknown): Promise<void> {
    if (!this.cachedBranch) return;
    if (cause !== undefined && !(isSlsaLedgerError(cause) && cause.code === 'LEDGER_HISTORY_REWRITTEN'))
      return;
    this.cachedBranch = false;
    await this.repo.dropDefaultBranch();
    const actual = await remoteDefaultBranch(this.repo.root, this.repo.remote);
    await this.repo.writeDefaultBranch(actual);
    if (actual === this.branch) return;
    throw new UnavailableError(
      'LEDGER_REMOTE_UNAVAILABLE',
      `the default branch of ${this.repo.remote} is now ${actual}, not ${this.branch}: nothing was written; run again to write to ${actual}`,
      { details: { remote: this.repo.remote, branch: this.branch, default_branch: actual } },
    );
  }

  /**
   * The day files at `head` (all of them, or the blobs given), read within the `dayFile` limits.
   * A file that is a symlink, too large, not JSON, too deep or not a valid manifest becomes a
   * warning and is left out; the merge then goes on with the others (issue 13 item 3).
   */
  async readDays(
    head: string | undefined,
    only?: readonly DayBlob[],
  ): Promise<{ days: ManifestDay[]; broken: Map<string, DayFileWarning> }> {
    const broken = new Map<string, DayFileWarning>();
    const blobs = only ?? (await this.repo.listDayBlobs(head));
    const twice = new Set(pathsNamedTwice(blobs.map((b) => b.path)));
    const readable = blobs.filter((b) => {
      if (twice.has(b.path)) {
        broken.set(b.path, {
          path: b.path,
          code: 'LEDGER_MANIFEST_INVALID',
          message: `${b.path} is ${NAMED_TWICE}`,
        });
        return false;
      }
      if (b.type !== 'blob' || (b.mode !== '100644' && b.mode !== '100755')) {
        broken.set(b.path, {
          path: b.path,
          code: 'INPUT_FILE_NOT_REGULAR',
          message: `${b.path} is ${b.mode === '120000' ? 'a symbolic link' : `not a regular file (mode ${b.mode})`}`,
        });
        return false;
      }
      // a size from `ls-tree -l` refuses the blob before it is read; an unknown size (NaN, from
      // a tree object) is checked by the bounded read below, from the blob's header
      if (b.size > limits.dayFile.maxBytes) {
        broken.set(b.path, tooLarge(b.path, b.size));
        return false;
      }
      return true;
    });
    // together within `ledgerReadBytes` (one blob named under hundreds of day paths costs a pusher
    // nothing): past it the largest are warnings, never read; an unknown size counts as the limit
    const admitted = admitWithinBudget(
      readable.map((b) => (Number.isFinite(b.size) ? b.size : limits.dayFile.maxBytes)),
      otherLimits.ledgerReadBytes,
    );
    const kept = readable.filter((b, i) => {
      if (admitted[i] === true) return true;
      broken.set(b.path, {
        path: b.path,
        code: 'INPUT_TOO_LARGE',
        message: `${b.path} not read: the day files together are more than the limit of ${otherLimits.ledgerReadBytes} bytes (the smallest are read first)`,
      });
      return false;
    });
    const contents = await this.repo.readBlobsWithin(
      kept.map((b) => b.oid),
      limits.dayFile.maxBytes,
    );
    const days: ManifestDay[] = [];
    kept.forEach((b, i) => {
      const blob = contents[i];
      if (blob !== undefined && blob.bytes === undefined) {
        broken.set(b.path, tooLarge(b.path, blob.size));
        return;
      }
      try {
        days.push({ path: b.path, entries: parseDayFile(blob?.bytes ?? Buffer.alloc(0), b.path) });
      } catch (error) {
        if (!isSlsaLedgerError(error)) throw error;
        const cause = (error.details as { cause_code?: string } | undefined)?.cause_code;
        broken.set(b.path, { path: b.path, code: cause ?? error.code, message: error.message });
      }
    });
    this.warnings.splice(0, this.warnings.length, ...broken.values());
    for (const w of broken.values()) this.logger.warn(`skipping ${w.path}: ${w.code}: ${w.message}`);
    return { days, broken };
  }

  /**
   * What the merge of `entry` needs at `head`, through the key index (src/core/ledger/key-index.ts):
   * the entry's index shard, the day file the index names for its key and the day of its
   * timestamp — two small reads whatever the ledger's age. Without an index, with an unreadable
   * shard, with day files changed by commits that did not keep the index, or when the index is
   * wrong about the key, every day file is read and the whole index is written anew.
   */
  async loadForMerge(head: string | undefined, entry: LedgerEntry): Promise<MergeInput> {
    const reportsDir = this.repo.reportsDir;
    const shard = keyIndexShard(entry.tag);
    const target = manifestPathFor(entry, reportsDir);
    const full = async (): Promise<MergeInput> => {
      const r = await this.readDays(head);
      return { ...r, index: { mode: 'full' } };
    };
    if (head === undefined) return { days: [], broken: new Map(), index: { mode: 'full' } };
    // two independent questions to git, asked at once
    const [listed, lastIndexed] = await Promise.all([
      this.repo.statPaths(head, [
        keyIndexVersionPath(reportsDir),
        keyIndexShardPath(reportsDir, shard),
        target,
      ]),
      this.repo.lastChange(head, keyIndexDir(reportsDir)),
    ]);
    const version = listed.find((b) => b.path === keyIndexVersionPath(reportsDir));
    // a path named twice: which entry git answers for is not what a listing keeps (readDays refuses it)
    if (version === undefined || pathsNamedTwice(listed.map((b) => b.path)).length > 0) return full();
    const shardBlob = listed.find((b) => b.path === keyIndexShardPath(reportsDir, shard));
    const stale =
      lastIndexed === undefined
        ? ['?']
        : (await this.repo.changedPaths(lastIndexed, head, reportsDir)).filter(
            (p) => manifestDayOf(p, reportsDir) !== undefined,
          );
    if (stale.length > 0) return full();
    let rows: KeyIndexRow[] = [];
    if (shardBlob !== undefined) {
      if (shardBlob.type !== 'blob' || shardBlob.mode === '120000') return full();
      const [blob] = await this.repo.readBlobsWithin([shardBlob.oid], limits.dayFile.maxBytes);
      if (blob !== undefined && blob.bytes === undefined) return full();
      const parsed = parseKeyIndexShard((blob?.bytes ?? Buffer.alloc(0)).toString('utf8'));
      if (parsed === undefined) return full();
      rows = parsed;
    }
    const day = lookupKey(rows, entry.tag, entry.run_id);
    const keyPath = day === undefined ? undefined : `${reportsDir}/${day}/manifest.json`;
    const blobs = listed.filter((b) => b.path === target);
    if (keyPath !== undefined && keyPath !== target) {
      const more = await this.repo.statPaths(head, [keyPath]);
      if (more.length === 0) return full(); // the index names a day file that is not there
      blobs.push(...more);
    }
    const { days, broken } = await this.readDays(head, blobs);
    if (keyPath !== undefined && !broken.has(keyPath)) {
      const holder = days.find((d) => d.path === keyPath);
      if (holder?.entries.some((e) => e.run_id === entry.run_id && e.tag === entry.tag) !== true)
        return full();
    }
    return { days, broken, index: { mode: 'shard', shard, rows } };
  }

  /**
   * The index files to commit with a merge (issue 14 performance: the key index). `sha256`: of
   * the day file's new bytes, for `index/LAST`, which every such commit rewrites: an update
   * changes no shard, and without it the next writer would take the day file it changed for a
   * change made without the index and read every day file (the twenty-third session measured
   * ~1.1 s more for a record after a verdict, in five years of 30 entries a day).
   */
  indexFilesFor(input: MergeInput, merge: MergeResult, sha256: string): CommitFile[] {
    const reportsDir = this.repo.reportsDir;
    const day = manifestDayOf(merge.path, reportsDir) ?? merge.entry.timestamp.slice(0, 10);
    const last: CommitFile = {
      path: keyIndexLastPath(reportsDir),
      bytes: Buffer.from(keyIndexLastText(day, sha256)),
    };
    if (input.index.mode === 'shard') {
      if (merge.outcome !== 'inserted') return [last];
      const rows = refreshShard(input.index.rows, input.index.shard, new Map(), {
        tag: merge.entry.tag,
        run_id: merge.entry.run_id,
        day,
      });
      return [
        {
          path: keyIndexShardPath(reportsDir, input.index.shard),
          bytes: Buffer.from(serializeOrderedShard(rows)),
        },
        last,
      ];
    }
    const all = new Map<string, readonly Pick<LedgerEntry, 'tag' | 'run_id'>[]>();
    for (const d of input.days) {
      const dd = manifestDayOf(d.path, reportsDir);
      if (dd !== undefined) all.set(dd, d.entries);
    }
    const changed = merge.files[0];
    if (changed !== undefined) all.set(day, changed.entries);
    const files: CommitFile[] = [
      { path: keyIndexVersionPath(reportsDir), bytes: Buffer.from(KEY_INDEX_VERSION) },
      last,
    ];
    for (const [s, rows] of buildKeyIndex(all)) {
      files.push({
        path: keyIndexShardPath(reportsDir, s),
        bytes: Buffer.from(serializeOrderedShard(rows)),
      });
    }
    return files;
  }

  /**
   * Lands one entry: fetch, merge at the fetched head, commit, publish; a non-fast-forward answer
   * is retried from a fresh fetch under the one retry policy. Throws LEDGER_CONFLICT and
   * LEDGER_ENTRY_INVALID (a timestamp too far ahead); a refused push, a rewritten history, an
   * unreadable target day file, exhausted attempts or an unreachable remote come back as a Refusal.
   */
  async land(
    entry: LedgerEntry,
    lockWaitS: number | undefined,
    /**
     * `afterLanding(commit, parent)` follows a committed landing (record): its usual case's git
     * processes are started while the push runs (`GitLedgerRepo.prepareOwnFastForward`)
     */
    readAfterWrite = false,
  ): Promise<Landing | Refusal> {
    checkEntryClock(entry, this.now(), this.clockSkewS);
    const random = this.options.random ?? Math.random;
    const sleep = this.options.sleep ?? defaultSleep;
    const publisher = this.options.publisher ?? directPushPublisher;
    // what is checked out (for read-after-write) is read while the landing runs, and before the
    // day files are in memory: a process spawned from a large heap costs more (fork copies its
    // page tables). It starts once the fetch has started: a spawn holds Node until the child
    // runs, and the fetch is the one everything else waits for. With `readAfterWrite` (record) it
    // starts once the push has: Node's main thread, busy until then, only waits for git there, so
    // the spawn and git's work cost the landing nothing (issue 14 performance).
    this.checkout = undefined;
    const readCheckout =
      publisher === directPushPublisher && this.options.fastForward !== false && !this.repo.bare
        ? (): void => {
            if (this.checkout !== undefined) return;
            const slot: { readonly state: Promise<GitOutput | undefined>; answer?: GitOutput } = {
              state: this.repo.readCheckout().then(
                (answer) => (slot.answer = answer),
                () => undefined,
              ),
            };
            this.checkout = slot;
          }
        : undefined;
    // the first try is built on the head this clone last saw (the witness) without a fetch, and
    // pushed only if the branch is still exactly there (`--force-with-lease`, a compare-and-swap
    // done by the remote): a sole writer saves the fetch's round trip and process. Anything else
    // — the branch moved, the push refused, the remote unreachable, nothing to commit at that head
    // — is forgotten, and the write goes the fetched way below as if it had not been tried.
    const seen = await this.headForFirstTry(publisher);
    const duringPush = readAfterWrite ? readCheckout : undefined;
    const beforeMerge = readAfterWrite ? undefined : readCheckout;
    if (seen !== undefined) {
      beforeMerge?.();
      const tried = await this.landAt(seen, entry, lockWaitS, publisher, 1, duringPush);
      if (tried.kind === 'done' && tried.outcome === 'committed') return tried;
      const why =
        tried.kind === 'moved'
          ? `${this.branch} moved on the remote`
          : tried.kind === 'refused'
            ? tried.reason
            : `the entry is ${tried.outcome} there`;
      this.logger.debug(`first try at ${seen.slice(0, 12)} did not land (${why}); fetching ${this.branch}`);
    }
    let attempts = 0;
    for (;;) {
      attempts += 1;
      const fetched = await this.fetchHeadForWrite(entry, attempts, beforeMerge);
      if (fetched.kind === 'refused') return fetched;
      const landed = await this.landAt(fetched.head, entry, lockWaitS, publisher, attempts, duringPush);
      if (landed.kind !== 'moved') return landed;
      const verdict = decideRetry(this.policy, attempts, { retryable: true, random: random() });
      if (verdict.kind === 'stop') {
        return {
          kind: 'refused',
          reason: `out of attempts: ${this.branch} kept moving (${attempts} tries)`,
          code: 'LEDGER_PUSH_REFUSED',
          attempts,
        };
      }
      this.logger.info(
        `${this.branch} moved on the remote; retrying in ${verdict.delayMs} ms (attempt ${attempts + 1}/${this.policy.maxAttempts})`,
      );
      await sleep(verdict.delayMs);
    }
  }

  /**
   * The witness, when a first try may be built on it without a fetch: a direct push, a signer
   * that signs locally (a keyless signature is a Fulcio certificate and a public Rekor entry, made
   * only at a fetched head), and the commit in this clone's objects.
   */
  private async headForFirstTry(publisher: Publisher): Promise<string | undefined> {
    if (publisher !== directPushPublisher || this.options.transitionSigner?.remote === true) return undefined;
    const seen = await this.repo.readWitness(this.branch);
    return seen !== undefined && (await this.repo.hasCommit(seen)) ? seen : undefined;
  }

  /** One try of `land` at `head`: the merge, its signature, the commit and the push. */
  private async landAt(
    head: string | undefined,
    entry: LedgerEntry,
    lockWaitS: number | undefined,
    publisher: Publisher,
    attempts: number,
    /** reads what is checked out (for the read-after-write), called once the push has started */
    duringPush: (() => void) | undefined,
  ): Promise<Landing | Refusal | { readonly kind: 'moved' }> {
    const input = await this.loadForMerge(head, entry);
    const { days, broken } = input;
    const merge = applyMergeRule(days, entry, {
      reportsDir: this.repo.reportsDir,
      ...(lockWaitS === undefined ? {} : { lockWaitS }),
    });
    const target = broken.get(merge.path);
    if (target !== undefined) {
      // the entry's own day file cannot be read: writing it would destroy what is there
      return {
        kind: 'refused',
        reason: `the day file ${merge.path} cannot be read (${target.code}); the entry waits in the queue until it is repaired`,
        code: 'LEDGER_MANIFEST_INVALID',
        attempts,
      };
    }
    // a stored entry stamped ahead of the clock (pushed by hand: the writers refuse such a
    // timestamp) would make this update, a verdict included, "stale" and drop it: it waits in the
    // queue instead, and check reports the stored entry (CHECK_TIMESTAMP_FUTURE)
    if (
      merge.outcome === 'stale' &&
      Date.parse(merge.previous?.timestamp ?? '') > this.now().getTime() + this.clockSkewS * 1000
    ) {
      return {
        kind: 'refused',
        reason: `the ledger holds ${entry.tag} run ${entry.run_id} with timestamp ${merge.previous!.timestamp}, more than ${this.clockSkewS} s ahead of the clock: this update would be dropped as stale; it waits in the queue until the ledger is repaired`,
        code: 'LEDGER_MANIFEST_INVALID',
        attempts,
      };
    }
    if (merge.outcome === 'unchanged' || merge.outcome === 'stale') {
      return {
        kind: 'done',
        outcome: merge.outcome,
        path: merge.path,
        commit: head ?? null,
        sha256: null,
        attempts,
      };
    }
    const changed = merge.files[0]!;
    const bytes = Buffer.from(changed.text, 'utf8');
    const sha256 = sha256Hex(bytes);
    let signed: readonly CommitFile[] = [];
    try {
      signed =
        this.options.transitionSigner === undefined
          ? []
          : await this.options.transitionSigner.filesFor({
              merge,
              parent: head,
              repo: this.repo,
              branch: this.branch,
            });
    } catch (error) {
      // the day's signed log cannot be read (over its limit): appending to it would need it whole
      if (!isSlsaLedgerError(error) || error.code !== 'INPUT_TOO_LARGE') throw error;
      return {
        kind: 'refused',
        reason: `${error.message} (${error.code}); the entry waits in the queue until it is repaired`,
        code: 'LEDGER_MANIFEST_INVALID',
        attempts,
      };
    }
    const commit = await this.repo.createCommit(
      head,
      [{ path: changed.path, bytes }, ...this.indexFilesFor(input, merge, sha256), ...signed],
      recordMessage(merge.entry, changed.path, sha256),
    );
    const publishing = publisher.publish({
      repo: this.repo,
      commit,
      parent: head,
      branch: this.branch,
      tag: entry.tag,
      runId: entry.run_id,
      manifestPath: changed.path,
    });
    // the push has started: what is checked out is read now, and the read-after-write's git
    // processes start as soon as it is known, while the push runs (fed once it has landed, or
    // cancelled)
    this.dropPrepared();
    duringPush?.();
    const checkout = this.checkout;
    if (duringPush !== undefined && checkout !== undefined && head !== undefined) {
      const prepared: NonNullable<LedgerEngine['prepared']> = {
        commit,
        dropped: false,
        ready: checkout.state.then((answer) =>
          answer === undefined || prepared.dropped
            ? undefined
            : this.repo.prepareOwnFastForward(this.branch, head, commit, answer),
        ),
      };
      this.prepared = prepared;
    }
    let published: Awaited<typeof publishing>;
    try {
      published = await publishing;
    } catch (error) {
      this.dropPrepared();
      throw error;
    }
    // kept only for the afterLanding of a landed commit
    if (published.kind !== 'landed') this.dropPrepared();
    if (published.kind === 'landed') {
      // a pull-request publisher lands elsewhere first: only a direct landing moves the witness
      if (publisher === directPushPublisher) {
        const witness = this.repo.writeWitness(this.branch, commit);
        if (this.prepared?.commit === commit) {
          // record: written while the read-after-write runs, which afterLanding feeds and then waits
          // for the witness, throwing what it threw: a witness that cannot be written still leaves
          // the clone at the landed commit and no prepared git process waiting for its input
          witness.catch(() => undefined);
          this.witnessWrite = witness;
        } else await witness;
      }
      return {
        kind: 'done',
        outcome: 'committed',
        merge: merge.outcome,
        path: changed.path,
        commit,
        parent: head ?? null,
        sha256,
        attempts,
      };
    }
    if (published.kind === 'refused') {
      return { kind: 'refused', reason: published.reason, code: 'LEDGER_PUSH_REFUSED', attempts };
    }
    return { kind: 'moved' };
  }

  /**
   * Signs the change `entry` would make at the last head this clone saw (the witness), without
   * the network: for an entry refused before any merge was signed (the remote unreachable, or its
   * history rewritten), so it is queued signed and flush's gate can verify it. When the ledger has
   * moved by the time flush runs, the gate rebases it under flush's own signature. Returns false
   * when nothing was signed (no signer, nothing to change, the day file unreadable, or signing
   * failed: the entry is then queued unsigned, as before).
   */
  async signAtLastSeenHead(entry: LedgerEntry): Promise<boolean> {
    const signer = this.options.transitionSigner;
    if (signer === undefined) return false;
    try {
      const head = await this.repo.readWitness(this.branch);
      const input = await this.loadForMerge(head, entry);
      const merge = applyMergeRule(input.days, entry, { reportsDir: this.repo.reportsDir });
      if (input.broken.has(merge.path)) return false;
      if (merge.outcome !== 'inserted' && merge.outcome !== 'updated') return false;
      const files = await signer.filesFor({ merge, parent: head, repo: this.repo, branch: this.branch });
      return files.length > 0;
    } catch (error) {
      this.logger.warn(`the queued entry could not be signed: ${(error as Error).message}`);
      return false;
    }
  }

  /** Cancels the read-after-write's processes started for a commit that is not taken forward. */
  private dropPrepared(): void {
    const pending = this.prepared;
    this.prepared = undefined;
    if (pending === undefined) return;
    pending.dropped = true;
    void pending.ready.then((p) => p?.cancel());
  }

  /** Raises the `ledger-history-rewritten` alert (a failing alert is a warning, never a stop). */
  async alertRewrite(message: string, entry?: LedgerEntry): Promise<void> {
    this.logger.warn(`ledger-history-rewritten: ${message}`);
    await this.options
      .alert?.({
        event: 'ledger-history-rewritten',
        code: 'LEDGER_HISTORY_REWRITTEN',
        message,
        remote: this.repo.remote,
        branch: this.branch,
        ...(entry === undefined ? {} : { tag: entry.tag, run_id: entry.run_id }),
      })
      .catch((error: unknown) =>
        this.logger.warn(`the alert could not be sent: ${(error as Error).message}`),
      );
  }

  /**
   * After a landing: the checked-out ledger branch moves forward when it is clean and behind. The
   * landing's witness, when it is still being written, is written by the time this resolves (a
   * failure to write it is thrown, as `land` throws it otherwise).
   */
  async afterLanding(commit: string | null, parent?: string | null): Promise<string | undefined> {
    const witness = this.witnessWrite;
    this.witnessWrite = undefined;
    try {
      return await this.fastForwardAfterLanding(commit, parent);
    } finally {
      await witness;
    }
  }

  private async fastForwardAfterLanding(
    commit: string | null,
    parent?: string | null,
  ): Promise<string | undefined> {
    if (commit === null || this.options.fastForward === false) return undefined;
    try {
      const early = this.checkout === undefined ? undefined : await this.checkout.state;
      this.checkout = undefined;
      const pending = this.prepared;
      this.prepared = undefined;
      const prepared = pending?.commit === commit ? await pending.ready : undefined;
      if (pending !== undefined && prepared === undefined) void pending.ready.then((p) => p?.cancel());
      const r = await this.repo.fastForwardCheckedOut(
        this.branch,
        commit,
        parent ?? undefined,
        early === undefined ? undefined : Promise.resolve(early),
        prepared,
      );
      if (r === 'fast-forwarded')
        this.logger.info(`fast-forwarded your ${this.branch} to ${commit.slice(0, 12)}`);
      if (r === 'dirty' || r === 'diverged')
        this.logger.info(`left your ${this.branch} as it is (${r}); 'git pull' to see the entry`);
      if (r === 'too-large')
        this.logger.warn(
          `left your ${this.branch} as it is: the commits pushed since it hold a file over ${limits.dayFile.maxBytes} bytes, or more than ${otherLimits.ledgerReadBytes} in all (look before you 'git pull')`,
        );
      return r;
    } catch (error) {
      this.logger.warn(`could not fast-forward ${this.branch}: ${(error as Error).message}`);
      return 'failed';
    }
  }

  // ---- the queue ---------------------------------------------------------------------------

  /** The local queue file, item by item; a file that cannot be read as a whole is reported. */
  async readLocalQueue(): Promise<LocalQueue> {
    let bytes: Buffer;
    try {
      bytes = await readInputFile(this.queuePath, 'queue', { maxBytes: limits.queueFile.maxBytes });
    } catch (error) {
      if (isSlsaLedgerError(error) && error.code === 'INPUT_FILE_MISSING') return { items: [], invalid: [] };
      if (isSlsaLedgerError(error)) return { items: [], invalid: [], unreadable: error };
      throw error;
    }
    try {
      return parseQueueItems(bytes, this.queuePath);
    } catch (error) {
      if (isSlsaLedgerError(error)) return { items: [], invalid: [], unreadable: error };
      throw error;
    }
  }

  async writeLocalQueue(items: readonly QueueItem[], invalid: readonly InvalidQueueItem[]): Promise<void> {
    await writeFileAtomic(this.queuePath, serializeQueueWith(items, invalid));
  }

  /**
   * Queues a refused entry in the local file and, best-effort, on the queue branch. A signed entry
   * is queued as the state its statement signs, with the statement's bundle (`transition`).
   */
  async queueEntry(
    entry: LedgerEntry,
    refusal: Refusal,
    transition?: unknown,
    vsa?: unknown,
  ): Promise<QueueReceipt> {
    this.logger.warn(`not landed (${refusal.reason}); queueing the entry in ${this.queuePath}`);
    const item: QueueItem = {
      entry,
      // the reason may quote an answer that echoed a token (a refused pull request): redacted before
      // it is cut, since the queue branch is pushed to the remote (the local file is redacted too)
      reason: redactText(refusal.reason).slice(0, 4000),
      queued_at: this.now().toISOString(),
      attempts: refusal.attempts,
      ...(transition === undefined ? {} : { transition }),
      ...(transition === undefined || vsa === undefined ? {} : { vsa }),
    };
    const local = await this.readLocalQueue();
    let movedAside: string | undefined;
    if (local.unreadable !== undefined) {
      // never overwrite what cannot be read: move it aside, start a new queue
      movedAside = `${this.queuePath}.unreadable-${Date.now()}`;
      await rename(this.queuePath, movedAside);
      this.logger.warn(
        `the queue file could not be read (${local.unreadable.code}); moved it to ${movedAside}`,
      );
    }
    const queued = enqueue(local.items, item);
    await this.writeLocalQueue(queued, local.invalid);
    const branchPath = queueBranchPathFor(entry, this.repo.reportsDir);
    const pushed = await this.updateQueueBranch(
      (current) => new Map(current).set(branchPath, enqueue(current.get(branchPath) ?? [], item)),
      `provenance: queue ${entry.tag} (run ${entry.run_id}, ${entry.status})`,
    );
    return {
      path: this.queuePath,
      reason: item.reason,
      code: refusal.code,
      branch_pushed: pushed,
      size: queued.length + local.invalid.length,
      ...(movedAside === undefined ? {} : { moved_aside: movedAside }),
    };
  }

  /**
   * The queue files on the queue branch at `head`; an unreadable one is skipped with a warning.
   * `invalidByFile` keeps each file's invalid items, written back unchanged when the file is
   * rewritten (they never land, and are never dropped).
   */
  async readQueueBranch(): Promise<{
    files: Map<string, QueueItem[]>;
    invalid: InvalidQueueItem[];
    invalidByFile: Map<string, InvalidQueueItem[]>;
    head: string | undefined;
  }> {
    const head = await this.repo.fetch(QUEUE_BRANCH, { allowRewrite: true });
    const files = new Map<string, QueueItem[]>();
    const invalid: InvalidQueueItem[] = [];
    const invalidByFile = new Map<string, InvalidQueueItem[]>();
    if (head === undefined) return { files, invalid, invalidByFile, head };
    const listed = (await this.repo.listFiles(head, this.repo.reportsDir)).filter((p) =>
      p.endsWith('/manifest-queue.json'),
    );
    // a path with a control character (planted by whoever can push the branch) is skipped, never
    // read, so it cannot make the rest of the branch unreadable
    const paths = listed.filter((p) => !pathHasControlCharacter(p));
    if (paths.length < listed.length)
      this.logger.warn(
        `skipping ${listed.length - paths.length} file(s) on ${QUEUE_BRANCH} whose path holds a control character`,
      );
    const blobs = await this.repo.readFiles(head, paths);
    paths.forEach((path, i) => {
      const bytes = blobs[i];
      if (bytes === undefined) return;
      try {
        const parsed = parseQueueItems(bytes, `${QUEUE_BRANCH}:${path}`);
        files.set(path, parsed.items);
        invalid.push(...parsed.invalid);
        if (parsed.invalid.length > 0) invalidByFile.set(path, parsed.invalid);
      } catch (error) {
        this.logger.warn(`skipping ${QUEUE_BRANCH}:${path}: ${(error as Error).message}`);
      }
    });
    return { files, invalid, invalidByFile, head };
  }

  /**
   * Applies `change` to the queue files of the `provenance-queue` branch and pushes, best-effort:
   * returns false (and warns) when the branch cannot be updated.
   */
  async updateQueueBranch(
    change: (current: Map<string, QueueItem[]>) => Map<string, QueueItem[]>,
    message: string,
  ): Promise<boolean> {
    const random = this.options.random ?? Math.random;
    const sleep = this.options.sleep ?? defaultSleep;
    try {
      for (let attempt = 1; ; attempt++) {
        const { files: current, invalidByFile, head } = await this.readQueueBranch();
        const next = change(current);
        const files: CommitFile[] = [];
        for (const path of new Set([...current.keys(), ...next.keys()])) {
          // a file's invalid items stay in it, as the local queue file keeps its own
          const kept = invalidByFile.get(path) ?? [];
          const before = current.has(path) ? serializeQueueWith(current.get(path)!, kept) : undefined;
          const items = next.get(path) ?? [];
          const after = items.length === 0 && kept.length === 0 ? undefined : serializeQueueWith(items, kept);
          if (before === after) continue;
          files.push({ path, bytes: after === undefined ? null : Buffer.from(after) });
        }
        if (files.length === 0) return true;
        const commit = await this.repo.createCommit(head, files, `${message}\n`);
        const pushed = await this.repo.push(commit, QUEUE_BRANCH);
        if (pushed.kind === 'landed') return true;
        if (pushed.kind === 'refused') {
          this.logger.warn(`could not update the ${QUEUE_BRANCH} branch: ${pushed.reason}`);
          return false;
        }
        const verdict = decideRetry(retryPolicies.queueBranch, attempt, {
          retryable: true,
          random: random(),
        });
        if (verdict.kind === 'stop') {
          this.logger.warn(`could not update the ${QUEUE_BRANCH} branch: it kept moving`);
          return false;
        }
        await sleep(verdict.delayMs);
      }
    } catch (error) {
      this.logger.warn(`could not update the ${QUEUE_BRANCH} branch: ${(error as Error).message}`);
      return false;
    }
  }

  /** Removes landed entries from the queue branch (best-effort). */
  async dropFromQueueBranch(landed: readonly LedgerEntry[]): Promise<boolean> {
    return this.updateQueueBranch(
      (current) => new Map([...current].map(([p, q]) => [p, removeLanded(q, landed)])),
      `provenance: flush ${landed.length} landed entr${landed.length === 1 ? 'y' : 'ies'}`,
    );
  }
}
