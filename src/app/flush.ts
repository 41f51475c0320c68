// `flush`: replay the local queue and the `provenance-queue` branch through the merge rule and
// remove only the entries that landed. Replays and out-of-order deliveries are harmless: the
// merge rule turns them into `unchanged` or `stale`.
import { canonicalEntry, type LedgerEntry } from '../core/ledger/entry.js';
import { mergeQueues, removeLanded, type QueueItem } from '../core/ledger/queue.js';
import { silentLogger } from '../core/ports.js';
import { isSlsaLedgerError } from '../errors.js';
import { decideQueuedTransition } from '../core/ledger-trust/queue-gate.js';
import { directPushPublisher } from '../io/git-ledger-repo.js';
import type { LedgerTrust } from '../io/trust-policy-file.js';
import { ledgerIdentity, landingSigner, queuedLandingSigner, type LandingSigner } from './ledger-signing.js';
import { withLock } from '../io/lock.js';
import { readQueueFile, writeQueueFile } from '../io/queue-file.js';
import {
  lockPathFor,
  openLedger,
  landEntry,
  queuePathIn,
  QUEUE_BRANCH,
  readQueueBranchAt,
  updateQueueBranch,
  type LedgerWriteOptions,
} from './record.js';

export type FlushItemOutcome =
  | 'committed'
  | 'unchanged'
  | 'stale'
  | 'refused'
  | 'conflict'
  | 'skipped'
  /** FLUSH_ENTRY_UNTRUSTED: its signed statement does not verify under the trust policy; left in place */
  | 'untrusted';

export interface FlushItemResult {
  readonly tag: string;
  readonly run_id: number;
  readonly outcome: FlushItemOutcome;
  readonly path?: string;
  readonly commit?: string | null;
  readonly reason?: string;
  /** `untrusted`: FLUSH_ENTRY_UNTRUSTED */
  readonly code?: 'FLUSH_ENTRY_UNTRUSTED';
}

export interface FlushResult {
  /** `flushed`: every queued entry landed; `empty`: nothing was queued; `queued`: some remain (exit 75) */
  readonly outcome: 'flushed' | 'empty' | 'queued';
  readonly items: readonly FlushItemResult[];
  readonly landed: number;
  readonly remaining: number;
  /** entries kept because they conflict with the ledger (exit 4 when nothing else remains) */
  readonly conflicts: number;
  /** entries kept because their signed statement does not verify under the policy (FLUSH_ENTRY_UNTRUSTED, exit 1) */
  readonly untrusted: number;
  readonly queue_path: string;
  /** the queue branch could be read and updated */
  readonly queue_branch: boolean;
  readonly lock_wait_s: number;
}

export interface FlushOptions extends LedgerWriteOptions {
  /**
   * the trust policy (docs/trust.md "The authenticated queue"): only items whose signed statement
   * verifies under it are landed; undefined: no policy, every item is replayed (unauthenticated)
   */
  readonly trust?: LedgerTrust;
}

/**
 * Replays queued entries; removes only those that landed (committed, or already in the ledger).
 * @throws `LEDGER_REPO_INVALID`, `LEDGER_QUEUE_INVALID`, `LEDGER_LOCK_TIMEOUT`, `LEDGER_GIT_FAILED`
 */
export async function flushQueue(options: FlushOptions = {}): Promise<FlushResult> {
  const logger = options.logger ?? silentLogger;
  const { repo, location } = await openLedger(options);
  const branch = location.branch;
  const queuePath = queuePathIn(repo.root, options.queuePath);
  return withLock(
    lockPathFor(repo, branch, options),
    {
      ...(options.lockTimeoutMs === undefined ? {} : { timeoutMs: options.lockTimeoutMs }),
      onWait: (holder) => logger.info(`waiting for the ledger lock (held by ${holder})`),
    },
    async (lock) => {
      const lockWaitS = Math.round(lock.waitedS * 1000) / 1000;
      const local = await readQueueFile(queuePath);
      let branchItems: QueueItem[] = [];
      let branchOk = true;
      try {
        const head = await repo.fetch(QUEUE_BRANCH);
        branchItems = [...(await readQueueBranchAt(repo, head)).values()].flat();
      } catch (error) {
        branchOk = false;
        logger.warn(`cannot read the ${QUEUE_BRANCH} branch: ${(error as Error).message}`);
      }
      const all = mergeQueues(local, branchItems);
      if (all.length === 0) {
        return {
          outcome: 'empty',
          items: [],
          landed: 0,
          remaining: 0,
          conflicts: 0,
          untrusted: 0,
          queue_path: queuePath,
          queue_branch: branchOk,
          lock_wait_s: lockWaitS,
        };
      }
      logger.info(
        `flushing ${all.length} queued entr${all.length === 1 ? 'y' : 'ies'} into ${repo.remote}/${branch}`,
      );
      const ctx = {
        repo,
        branch,
        maxAttempts: options.maxAttempts ?? 5,
        publisher: options.publisher ?? directPushPublisher,
        backoffMs: options.backoffMs ?? 200,
        random: options.random ?? Math.random,
        logger,
      };
      const identity = ledgerIdentity(repo.remoteUrl, branch);
      const ownSigner = (writer: 'record' | 'validate'): LandingSigner | undefined =>
        options.signing === undefined ? undefined : landingSigner({ ...options.signing, writer }, identity);
      if (options.trust === undefined)
        logger.warn(
          'no trust policy (trust: in .slsa-ledger.yml or --trust-key): queued entries are not authenticated',
        );
      const items: FlushItemResult[] = [];
      const landed: LedgerEntry[] = [];
      const attemptsByEntry = new Map<string, number>();
      let refused = false;
      for (const [i, item] of all.entries()) {
        const id = { tag: item.entry.tag, run_id: item.entry.run_id };
        logger.progress('flush', i, all.length);
        if (refused) {
          items.push({ ...id, outcome: 'skipped', reason: 'the remote refused an earlier entry' });
          continue;
        }
        try {
          let toLand = item.entry;
          let sign = ownSigner('record');
          if (options.trust !== undefined) {
            // the queue gate: decide at the fetched head what this item may do
            const head = await repo.fetch(branch);
            const current = (await repo.readLedger(head))
              .map((f) => ({
                path: f.path,
                entry: f.entries.find((e) => e.tag === id.tag && e.run_id === id.run_id),
              }))
              .find((c) => c.entry !== undefined) as { path: string; entry: LedgerEntry } | undefined;
            const decision = decideQueuedTransition({
              item,
              current,
              policy: options.trust.policy,
              material: options.trust.material,
              location: identity,
              reportsDir: repo.reportsDir,
            });
            if (decision.kind === 'untrusted') {
              logger.warn(`${decision.code}: ${decision.reason}`);
              items.push({ ...id, outcome: 'untrusted', code: decision.code, reason: decision.reason });
              continue;
            }
            if (decision.kind === 'conflict') {
              items.push({ ...id, outcome: 'conflict', reason: decision.error.message });
              continue;
            }
            if (decision.kind === 'landed') {
              landed.push(item.entry);
              items.push({
                ...id,
                outcome: decision.outcome,
                path: current?.path ?? '',
                commit: head ?? null,
              });
              continue;
            }
            toLand = decision.entry;
            const writer = decision.transitionKind === 'verdict' ? 'validate' : 'record';
            sign =
              decision.kind === 'land'
                ? queuedLandingSigner(
                    decision.line,
                    {
                      entry: decision.entry,
                      previous: current?.entry ?? null,
                      kind: decision.transitionKind,
                    },
                    ownSigner(writer),
                  )
                : ownSigner(writer);
          }
          const r = await landEntry({ ...ctx, ...(sign === undefined ? {} : { sign }) }, toLand, lockWaitS);
          if (r.kind === 'done') {
            landed.push(item.entry);
            items.push({ ...id, outcome: r.outcome, path: r.path, commit: r.commit });
          } else {
            refused = true;
            attemptsByEntry.set(JSON.stringify(canonicalEntry(item.entry)), r.attempts);
            items.push({ ...id, outcome: 'refused', reason: r.reason });
          }
        } catch (error) {
          if (isSlsaLedgerError(error) && error.code === 'LEDGER_CONFLICT') {
            items.push({ ...id, outcome: 'conflict', reason: error.message });
            continue;
          }
          throw error;
        }
      }
      logger.progressDone('flush');

      // local queue: only what landed goes; refused items count their attempts
      const remainingLocal = removeLanded(local, landed).map((q) => {
        const extra = attemptsByEntry.get(JSON.stringify(canonicalEntry(q.entry)));
        return extra === undefined ? q : { ...q, attempts: q.attempts + extra };
      });
      if (landed.length > 0 || attemptsByEntry.size > 0) await writeQueueFile(queuePath, remainingLocal);
      if (landed.length > 0 && branchOk) {
        branchOk = await updateQueueBranch(
          repo,
          (current) => new Map([...current].map(([p, q]) => [p, removeLanded(q, landed)])),
          `provenance: flush ${landed.length} landed entr${landed.length === 1 ? 'y' : 'ies'}`,
          logger,
        );
      }
      const remaining = all.length - landed.length;
      const conflicts = items.filter((i) => i.outcome === 'conflict').length;
      const untrusted = items.filter((i) => i.outcome === 'untrusted').length;
      return {
        outcome: remaining === 0 ? 'flushed' : 'queued',
        items,
        landed: landed.length,
        remaining,
        conflicts,
        untrusted,
        queue_path: queuePath,
        queue_branch: branchOk,
        lock_wait_s: lockWaitS,
      };
    },
  );
}
