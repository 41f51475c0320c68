// `record`: merge one entry into the git ledger, commit at the fetched remote head, push; retry a
// non-fast-forward push with backoff and jitter; queue the entry when the push is refused.
import { createHash } from 'node:crypto';
import { isAbsolute, join } from 'node:path';
import { parseEntry, type LedgerEntry } from '../core/ledger/entry.js';
import { applyMergeRule, type MergeOutcome } from '../core/ledger/merge.js';
import {
  enqueue,
  parseQueue,
  queueBranchPathFor,
  serializeQueue,
  type QueueItem,
} from '../core/ledger/queue.js';
import { silentLogger, type Clock, type Logger } from '../core/ports.js';
import { isSlsaLedgerError } from '../errors.js';
import {
  directPushPublisher,
  GitLedgerRepo,
  type CommitFile,
  type Publisher,
} from '../io/git-ledger-repo.js';
import { defaultLockPath, withLock } from '../io/lock.js';
import { resolveLedgerLocation, type ResolvedLedgerLocation } from '../io/ledger-location.js';
import type { LedgerConfigSection } from '../core/ledger/location.js';
import { readQueueFile, writeQueueFile } from '../io/queue-file.js';
import type { SignedDocument } from '../core/ledger-trust/sign.js';
import { ledgerIdentity, landingSigner, type LandingSigner, type LedgerSigning } from './ledger-signing.js';

export const DEFAULT_QUEUE_PATH = 'out/provenance/queued-manifest.json';
export const QUEUE_BRANCH = 'provenance-queue';

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
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** randomness for jitter, in [0, 1) */
  readonly random?: () => number;
  /** how changes are signed (docs/trust.md; from `prepareLedgerSigning`); undefined: unsigned */
  readonly signing?: LedgerSigning;
}

export interface RecordOptions extends LedgerWriteOptions {
  /** the entry: validated here, so raw JSON values are fine */
  readonly entry: unknown;
  /** `validate --record`: the verdict's signed VSA, bound by its transition and stored in `vsa.jsonl` */
  readonly vsa?: SignedDocument;
}

export type RecordOutcome = 'committed' | 'unchanged' | 'stale' | 'queued';

export interface RecordResult {
  readonly outcome: RecordOutcome;
  /** for `committed`: whether the key was new or updated */
  readonly merge?: Extract<MergeOutcome, 'inserted' | 'updated'>;
  readonly tag: string;
  readonly run_id: number;
  readonly status: LedgerEntry['status'];
  /** the day file that holds the entry */
  readonly path: string;
  /** the commit that landed (`committed`) or the remote head that already held it; null when queued */
  readonly commit: string | null;
  /** SHA-256 of the day file after the change (or as it is) */
  readonly manifest_sha256: string | null;
  readonly attempts: number;
  readonly lock_wait_s: number;
  readonly remote: string;
  readonly branch: string;
  readonly queue?: {
    readonly path: string;
    readonly reason: string;
    /** the entry also reached the `provenance-queue` branch */
    readonly branch_pushed: boolean;
    readonly size: number;
  };
}

export const systemClock: Clock = { now: () => new Date() };

export interface Landing {
  readonly kind: 'done';
  readonly outcome: Exclude<RecordOutcome, 'queued'>;
  readonly merge?: Extract<MergeOutcome, 'inserted' | 'updated'>;
  readonly path: string;
  readonly commit: string | null;
  readonly sha256: string | null;
  readonly attempts: number;
}

export interface Refusal {
  readonly kind: 'refused';
  readonly reason: string;
  readonly attempts: number;
  /** the signed transition of the last attempt and the state it signs: queued in place of the entry */
  readonly transition?: { readonly bundle: unknown; readonly entry: LedgerEntry };
}

export interface LandContext {
  readonly repo: GitLedgerRepo;
  readonly branch: string;
  readonly maxAttempts: number;
  readonly publisher: Publisher;
  readonly backoffMs: number;
  readonly random: () => number;
  readonly logger: Logger;
  /** the transition-signing hook (docs/trust.md), called after each merge that changes an entry; undefined: unsigned */
  readonly sign?: LandingSigner;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The commit message of a record: subject and the trailers `check` audits. */
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

/**
 * Lands one entry: fetch, merge at the fetched head, commit, publish; a non-fast-forward answer
 * is retried from a fresh fetch. Throws LEDGER_CONFLICT / LEDGER_MANIFEST_INVALID; a refused
 * push, exhausted attempts or an unreachable remote come back as a Refusal.
 */
export async function landEntry(
  ctx: LandContext,
  entry: LedgerEntry,
  lockWaitS: number | undefined,
): Promise<Landing | Refusal> {
  let attempts = 0;
  let transition: { bundle: unknown; entry: LedgerEntry } | undefined;
  const sign = async (merge: ReturnType<typeof applyMergeRule>, head: string | undefined) =>
    ctx.sign === undefined
      ? undefined
      : ctx.sign(merge, async (path) => (await ctx.repo.readFiles(head, [path]))[0]?.toString('utf8'));
  for (;;) {
    attempts += 1;
    let head: string | undefined;
    try {
      head = await ctx.repo.fetch(ctx.branch);
    } catch (error) {
      if (isSlsaLedgerError(error) && error.code === 'LEDGER_REMOTE_UNAVAILABLE') {
        // the queued entry carries a statement signed against the last head this clone saw
        if (transition === undefined && ctx.sign !== undefined) {
          try {
            const known = await ctx.repo.lastFetchedHead(ctx.branch);
            const merge = applyMergeRule(await ctx.repo.readLedger(known), entry, {
              reportsDir: ctx.repo.reportsDir,
              ...(lockWaitS === undefined ? {} : { lockWaitS }),
            });
            const signed = await sign(merge, known);
            transition = signed === undefined ? undefined : { bundle: signed.bundle, entry: merge.entry };
          } catch (signError) {
            if (isSlsaLedgerError(signError) && signError.code === 'SIGN_FAILED') throw signError;
            // a conflict at the old head is flush's to find; the item is queued unsigned
          }
        }
        return {
          kind: 'refused',
          reason: error.message,
          attempts,
          ...(transition === undefined ? {} : { transition }),
        };
      }
      throw error;
    }
    const files = await ctx.repo.readLedger(head);
    const merge = applyMergeRule(files, entry, {
      reportsDir: ctx.repo.reportsDir,
      ...(lockWaitS === undefined ? {} : { lockWaitS }),
    });
    if (merge.outcome === 'unchanged' || merge.outcome === 'stale') {
      const file = files.find((f) => f.path === merge.path);
      return {
        kind: 'done',
        outcome: merge.outcome,
        path: merge.path,
        commit: head ?? null,
        sha256: file?.sha256 ?? null,
        attempts,
      };
    }
    const changed = merge.files[0]!;
    const bytes = Buffer.from(changed.text, 'utf8');
    const sha256 = sha256Hex(bytes);
    const signed = await sign(merge, head);
    transition = signed === undefined ? undefined : { bundle: signed.bundle, entry: merge.entry };
    const files2: CommitFile[] = [{ path: changed.path, bytes }, ...(signed?.files ?? [])];
    const commit = await ctx.repo.createCommit(
      head,
      files2,
      recordMessage(merge.entry, changed.path, sha256),
    );
    const published = await ctx.publisher.publish({
      repo: ctx.repo,
      commit,
      parent: head,
      branch: ctx.branch,
      tag: entry.tag,
      runId: entry.run_id,
      manifestPath: changed.path,
    });
    switch (published.kind) {
      case 'landed':
        return {
          kind: 'done',
          outcome: 'committed',
          merge: merge.outcome,
          path: changed.path,
          commit,
          sha256,
          attempts,
        };
      case 'refused':
        return {
          kind: 'refused',
          reason: published.reason,
          attempts,
          ...(transition === undefined ? {} : { transition }),
        };
      case 'non-fast-forward': {
        if (attempts >= ctx.maxAttempts) {
          return {
            kind: 'refused',
            reason: `out of attempts: ${ctx.branch} kept moving (${attempts} tries)`,
            attempts,
            ...(transition === undefined ? {} : { transition }),
          };
        }
        const base = ctx.backoffMs * 2 ** (attempts - 1);
        const delay = Math.min(base, 5_000) * (0.5 + ctx.random());
        ctx.logger.info(
          `${ctx.branch} moved on the remote; retrying in ${Math.round(delay)} ms (attempt ${attempts + 1}/${ctx.maxAttempts})`,
        );
        await sleep(delay);
        break;
      }
    }
  }
}

/**
 * Applies `change` to the queue files of the `provenance-queue` branch and pushes, best-effort:
 * returns false (and warns) when the branch cannot be updated.
 */
export async function updateQueueBranch(
  repo: GitLedgerRepo,
  change: (current: Map<string, QueueItem[]>) => Map<string, QueueItem[]>,
  message: string,
  logger: Logger,
): Promise<boolean> {
  try {
    for (let attempt = 1; attempt <= 4; attempt++) {
      const head = await repo.fetch(QUEUE_BRANCH);
      const current = await readQueueBranchAt(repo, head);
      const next = change(current);
      const files: CommitFile[] = [];
      for (const path of new Set([...current.keys(), ...next.keys()])) {
        const before = current.has(path) ? serializeQueue(current.get(path)!) : undefined;
        const items = next.get(path) ?? [];
        const after = items.length === 0 ? undefined : serializeQueue(items);
        if (before === after) continue;
        files.push({ path, bytes: after === undefined ? null : Buffer.from(after) });
      }
      if (files.length === 0) return true;
      const commit = await repo.createCommit(head, files, `${message}\n`);
      const pushed = await repo.push(commit, QUEUE_BRANCH);
      if (pushed.kind === 'landed') return true;
      if (pushed.kind === 'refused') {
        logger.warn(`could not update the ${QUEUE_BRANCH} branch: ${pushed.reason}`);
        return false;
      }
      await sleep(50 * attempt + Math.floor(Math.random() * 50));
    }
    logger.warn(`could not update the ${QUEUE_BRANCH} branch: it kept moving`);
    return false;
  } catch (error) {
    logger.warn(`could not update the ${QUEUE_BRANCH} branch: ${(error as Error).message}`);
    return false;
  }
}

/** The queue files on the queue branch at `head`; an unreadable file is skipped with its path. */
export async function readQueueBranchAt(
  repo: GitLedgerRepo,
  head: string | undefined,
): Promise<Map<string, QueueItem[]>> {
  const paths = (await repo.listFiles(head, repo.reportsDir)).filter((p) =>
    p.endsWith('/manifest-queue.json'),
  );
  const blobs = await repo.readFiles(head, paths);
  const out = new Map<string, QueueItem[]>();
  paths.forEach((path, i) => {
    const bytes = blobs[i];
    if (bytes === undefined) return;
    try {
      out.set(path, parseQueue(bytes.toString('utf8'), `${QUEUE_BRANCH}:${path}`));
    } catch {
      // a broken queue file on the branch is left alone; the local queue still holds its entries
    }
  });
  return out;
}

export function queuePathIn(repoRoot: string, queuePath: string | undefined): string {
  const p = queuePath ?? DEFAULT_QUEUE_PATH;
  return isAbsolute(p) ? p : join(repoRoot, p);
}

export function lockPathFor(repo: GitLedgerRepo, branch: string, options: LedgerWriteOptions): string {
  const key = `${repo.remoteUrl}\n${branch}`;
  return (
    options.lockPath ??
    (options.lockDir === undefined ? defaultLockPath(key) : defaultLockPath(key, options.lockDir))
  );
}

/**
 * Resolves where the ledger is (flags, `.slsa-ledger.yml` `ledger:`, the remote's default branch)
 * and opens the clone. @throws `LEDGER_REPO_INVALID`, `CONFIG_INVALID`, `LEDGER_REMOTE_UNAVAILABLE`
 */
export async function openLedger(
  options: LedgerWriteOptions,
): Promise<{ repo: GitLedgerRepo; location: ResolvedLedgerLocation }> {
  const repoDir = options.repoDir ?? '.';
  const location = await resolveLedgerLocation({
    repoDir,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.config === undefined ? {} : { config: options.config }),
    flags: { remote: options.remote, branch: options.branch, reportsDir: options.reportsDir },
  });
  const repo = await GitLedgerRepo.open({
    repoDir,
    remote: location.remote,
    reportsDir: location.reportsDir,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  return { repo, location };
}

/** The engine's signing hook for a writer's options (none when unsigned). */
export function signHook(
  signing: LedgerSigning | undefined,
  repo: GitLedgerRepo,
  branch: string,
  vsa?: SignedDocument,
): { sign?: LandingSigner } {
  const sign = landingSigner(signing, ledgerIdentity(repo.remoteUrl, branch), vsa);
  return sign === undefined ? {} : { sign };
}

/**
 * Records one entry in the git ledger.
 * @throws `LEDGER_ENTRY_INVALID` (exit 3, nothing changed), `LEDGER_REPO_INVALID` (exit 2),
 *   `LEDGER_CONFLICT` (exit 4), `LEDGER_MANIFEST_INVALID`, `LEDGER_LOCK_TIMEOUT`, `LEDGER_GIT_FAILED`
 * @returns outcome `committed`, `unchanged`, `stale` or `queued` (the CLI exits 75 for `queued`)
 */
export async function recordEntry(options: RecordOptions): Promise<RecordResult> {
  const entry = parseEntry(options.entry);
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const { repo, location } = await openLedger(options);
  const branch = location.branch;
  const queuePath = queuePathIn(repo.root, options.queuePath);
  const lockPath = lockPathFor(repo, branch, options);
  return withLock(
    lockPath,
    {
      ...(options.lockTimeoutMs === undefined ? {} : { timeoutMs: options.lockTimeoutMs }),
      onWait: (holder) => logger.info(`waiting for the ledger lock (held by ${holder})`),
    },
    async (lock) => {
      const lockWaitS = Math.round(lock.waitedS * 1000) / 1000;
      logger.info(
        `recording ${entry.tag} run ${entry.run_id} (${entry.status}) into ${repo.remote}/${branch}`,
      );
      const landing = await landEntry(
        {
          repo,
          branch,
          maxAttempts: options.maxAttempts ?? 5,
          publisher: options.publisher ?? directPushPublisher,
          backoffMs: options.backoffMs ?? 200,
          random: options.random ?? Math.random,
          logger,
          ...signHook(options.signing, repo, branch, options.vsa),
        },
        entry,
        lockWaitS,
      );
      const base = {
        tag: entry.tag,
        run_id: entry.run_id,
        status: entry.status,
        attempts: landing.attempts,
        lock_wait_s: lockWaitS,
        remote: repo.remote,
        branch,
      };
      if (landing.kind === 'done') {
        return {
          outcome: landing.outcome,
          ...(landing.merge === undefined ? {} : { merge: landing.merge }),
          ...base,
          path: landing.path,
          commit: landing.commit,
          manifest_sha256: landing.sha256,
        };
      }
      logger.warn(`push refused (${landing.reason}); queueing the entry in ${queuePath}`);
      // a signed item queues the state its statement signs (the merge rule's result), so flush can verify it
      const item: QueueItem = {
        entry: landing.transition?.entry ?? entry,
        reason: landing.reason,
        queued_at: clock.now().toISOString(),
        attempts: landing.attempts,
        ...(landing.transition === undefined ? {} : { transition: landing.transition.bundle }),
      };
      const queued = enqueue(await readQueueFile(queuePath), item);
      await writeQueueFile(queuePath, queued);
      const branchPath = queueBranchPathFor(entry, repo.reportsDir);
      const pushed = await updateQueueBranch(
        repo,
        (current) => new Map(current).set(branchPath, enqueue(current.get(branchPath) ?? [], item)),
        `provenance: queue ${entry.tag} (run ${entry.run_id}, ${entry.status})`,
        logger,
      );
      return {
        outcome: 'queued',
        ...base,
        path: branchPath.replace(/manifest-queue\.json$/, 'manifest.json'),
        commit: null,
        manifest_sha256: null,
        queue: { path: queuePath, reason: landing.reason, branch_pushed: pushed, size: queued.length },
      };
    },
  );
}
