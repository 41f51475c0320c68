// `flush`: replay the local queue and the `provenance-queue` branch through the ledger engine,
// item by item: an invalid, conflicting or refused item is reported with its reason and stays in
// the queue; the others land (issue 13 item 3). Replays and out-of-order deliveries are harmless:
// the merge rule turns them into `unchanged` or `stale`.
import { canonicalEntry, type LedgerEntry } from '../core/ledger/entry.js';
import { escapeUnprintable } from '../core/text/unprintable.js';
import { mergeQueues, removeLanded, type QueueItem } from '../core/ledger/queue.js';
import {
  ConflictError,
  isSlsaLedgerError,
  SlsaLedgerError,
  ValidationError,
  VerificationError,
} from '../errors.js';
import { decideQueuedTransition } from '../core/ledger-trust/queue-gate.js';
import { signedDocumentOf, type SignedDocument } from '../core/ledger-trust/sign.js';
import type { LedgerTrust } from '../io/trust-policy-file.js';
import { LedgerEngine, QUEUE_BRANCH, type LedgerWriteOptions, type Refusal } from './ledger-engine.js';
import {
  landingSigner,
  LedgerTransitionSigner,
  queuedLandingSigner,
  type LedgerIdentity,
  type LedgerSigning,
} from './ledger-signing.js';
import { ledgerIdentity } from './ledger-signing.js';

export type FlushItemOutcome =
  | 'committed'
  | 'unchanged'
  | 'stale'
  | 'refused'
  | 'conflict'
  | 'invalid'
  | 'skipped'
  /** FLUSH_ENTRY_UNTRUSTED: its signed statement does not verify under the trust policy; left in place */
  | 'untrusted'
  /** FLUSH_NO_TRUST_POLICY: there is no trust policy to authenticate it with; left in place */
  | 'unauthenticated';

export interface FlushItemResult {
  readonly tag: string;
  readonly run_id: number;
  readonly outcome: FlushItemOutcome;
  readonly path?: string;
  readonly commit?: string | null;
  readonly reason?: string;
  /** the code behind a refusal or an invalid item */
  readonly code?: string;
}

export interface FlushResult {
  /** `flushed`: every queued entry landed; `empty`: nothing was queued; `queued`: some remain (exit 75) */
  readonly outcome: 'flushed' | 'empty' | 'queued';
  readonly items: readonly FlushItemResult[];
  readonly landed: number;
  readonly remaining: number;
  /** entries kept because they conflict with the ledger (exit 4 when nothing else remains) */
  readonly conflicts: number;
  /** items kept because they are not valid entries (exit 3 when nothing else remains) */
  readonly invalid: number;
  /** items kept because their signed statement does not verify under the policy (FLUSH_ENTRY_UNTRUSTED, exit 1) */
  readonly untrusted: number;
  /** items kept because there is no trust policy to authenticate them (FLUSH_NO_TRUST_POLICY, exit 2) */
  readonly unauthenticated: number;
  readonly queue_path: string;
  /** the queue branch could be read and updated */
  readonly queue_branch: boolean;
  /** the local queue file could not be read as a whole (left as it is) */
  readonly queue_file_error?: { readonly code: string; readonly message: string };
  readonly lock_wait_s: number;
  readonly local_branch?: string;
  readonly alert?: string;
}

export interface FlushOptions extends LedgerWriteOptions {
  /** how flush signs what it lands (re-signed changes); undefined: unsigned */
  readonly signing?: LedgerSigning;
  /**
   * the trust policy (docs/trust.md "The authenticated queue"): only items whose signed statement
   * verifies under it are landed; undefined: no policy, and no queued item lands
   * (`FLUSH_NO_TRUST_POLICY`) unless `allowUnauthenticated`
   */
  readonly trust?: LedgerTrust;
  /**
   * without a trust policy, replay every queued item unauthenticated, as flush did before signing
   * (dangerous: whoever can write the queue branch or the queue file gets entries landed by this
   * writer). Ignored when there is a policy: it never loosens the gate.
   */
  readonly allowUnauthenticated?: boolean;
}

const keyOf = (e: LedgerEntry): string => JSON.stringify(canonicalEntry(e));

/**
 * What a flush that left items behind means, reported as `ingest` reports a partial failure (an
 * error carrying the whole result in `details.result`), so `--json` never says `ok: true` with a
 * failing exit code. Undefined when nothing remains, or when what remains waits for a retry
 * (refused or skipped items, a queue file that cannot be read: exit 75, as `record`'s queued entry).
 * Otherwise the worst kind that remains: items kept for want of a trust policy
 * (`FLUSH_NO_TRUST_POLICY`, exit 2, whatever else), untrusted (`FLUSH_ENTRY_UNTRUSTED`, exit 1),
 * conflicting (`LEDGER_CONFLICT`, exit 4), invalid (`LEDGER_QUEUE_INVALID` or `LEDGER_ENTRY_INVALID`, exit 3).
 */
export function flushRemainderError(result: FlushResult): SlsaLedgerError | undefined {
  if (result.outcome !== 'queued') return undefined;
  // no retry lands an item for want of a policy: that is said even beside an unreadable queue file
  const noPolicy = result.unauthenticated > 0;
  if (!noPolicy && result.queue_file_error !== undefined) return undefined;
  if (result.items.some((i) => i.outcome === 'refused' || i.outcome === 'skipped')) return undefined;
  const first = (outcome: FlushItemOutcome): string => {
    const item = result.items.find((i) => i.outcome === outcome);
    return item === undefined
      ? ''
      : ` (first: ${escapeUnprintable(item.tag)} run ${item.run_id}: ${escapeUnprintable(item.reason ?? outcome)})`;
  };
  const left = `${result.landed} landed, ${result.remaining} remain in the queue`;
  const details = { result };
  if (noPolicy)
    return new SlsaLedgerError(
      'FLUSH_NO_TRUST_POLICY',
      `${result.unauthenticated} queued item(s) were not landed: there is no trust policy to authenticate them (add trust: to .slsa-ledger.yml or pass --trust-key PUB; --allow-unauthenticated lands them unchecked)${first('unauthenticated')}; ${left}`,
      { details },
    );
  if (result.untrusted > 0)
    return new VerificationError(
      'FLUSH_ENTRY_UNTRUSTED',
      `${result.untrusted} queued item(s) are not signed as the trust policy requires and were not landed${first('untrusted')}; ${left}`,
      { details },
    );
  if (result.conflicts > 0)
    return new ConflictError(
      'LEDGER_CONFLICT',
      `${result.conflicts} queued item(s) conflict with the ledger${first('conflict')}; ${left}`,
      { details },
    );
  if (result.invalid > 0) {
    const code = result.items.some((i) => i.outcome === 'invalid' && i.code === 'LEDGER_ENTRY_INVALID')
      ? 'LEDGER_ENTRY_INVALID'
      : 'LEDGER_QUEUE_INVALID';
    return new ValidationError(
      code,
      `${result.invalid} queued item(s) are not valid entries${first('invalid')}; ${left}`,
      { details },
    );
  }
  return undefined;
}

/**
 * Replays queued entries; removes only those that landed (committed, or already in the ledger).
 * @throws `LEDGER_REPO_INVALID`, `LEDGER_LOCK_TIMEOUT`, `LEDGER_GIT_FAILED`
 */
export async function flushQueue(options: FlushOptions = {}): Promise<FlushResult> {
  // flush's own signer, swapped per item by the queue gate
  const own = (writer: 'record' | 'validate', vsa?: SignedDocument) => (ledger: LedgerIdentity) =>
    options.signing === undefined ? undefined : landingSigner({ ...options.signing, writer }, ledger, vsa);
  const signer = new LedgerTransitionSigner(own('record'));
  const engine = await LedgerEngine.open({ ...options, transitionSigner: signer });
  const logger = engine.logger;
  // Without a policy nothing can tell a queued item its writer signed from one anyone pushed to the
  // queue branch. The local queue file is no better: it lives in the working tree, where a checkout
  // (of the repository, or of the ledger branch as the shipped validate job reads it) can bring one,
  // `record` carries every item it finds there into the queue it writes, and the shipped workflows
  // hand it from job to job as an artifact. So no queued item lands without a policy unless the
  // caller opts out.
  const unauthenticated = options.trust === undefined && options.allowUnauthenticated !== true;
  if (options.trust === undefined && options.allowUnauthenticated === true)
    logger.warn(
      '--allow-unauthenticated: no trust policy, so queued entries are landed without authentication (anyone who can write the queue branch or the queue file can get an entry landed)',
    );
  if (options.trust !== undefined && options.allowUnauthenticated === true)
    logger.warn('--allow-unauthenticated is ignored: the trust policy gates every queued entry');
  try {
    return await engine.withLock(async (lockWaitS) => {
      const local = await engine.readLocalQueue();
      if (local.unreadable !== undefined)
        logger.warn(
          `the queue file ${engine.queuePath} cannot be read; left as it is: ${local.unreadable.message}`,
        );
      let branchItems: QueueItem[] = [];
      let branchInvalid: typeof local.invalid = [];
      let branchOk = true;
      try {
        const b = await engine.readQueueBranch();
        branchItems = [...b.files.values()].flat();
        branchInvalid = b.invalid;
      } catch (error) {
        // nothing queued here and the remote cannot be reached: say so (exit 5), never "empty"
        if (
          isSlsaLedgerError(error) &&
          error.code === 'LEDGER_REMOTE_UNAVAILABLE' &&
          local.items.length === 0 &&
          local.invalid.length === 0
        )
          throw error;
        branchOk = false;
        logger.warn(`cannot read the ${QUEUE_BRANCH} branch: ${(error as Error).message}`);
      }
      const items: FlushItemResult[] = [];
      for (const bad of [...local.invalid, ...branchInvalid]) {
        items.push({
          tag: bad.tag ?? '?',
          run_id: bad.run_id ?? 0,
          outcome: 'invalid',
          code: 'LEDGER_QUEUE_INVALID',
          reason: bad.problems
            .map((p) => p.message)
            .join('; ')
            .slice(0, 1000),
        });
      }
      const all = mergeQueues(local.items, branchItems);
      const fileError =
        local.unreadable === undefined
          ? {}
          : { queue_file_error: { code: local.unreadable.code, message: local.unreadable.message } };
      if (all.length === 0 && items.length === 0) {
        return {
          outcome: local.unreadable === undefined ? 'empty' : 'queued',
          items: [],
          landed: 0,
          remaining: 0,
          conflicts: 0,
          invalid: 0,
          untrusted: 0,
          unauthenticated: 0,
          queue_path: engine.queuePath,
          queue_branch: branchOk,
          lock_wait_s: lockWaitS,
          ...fileError,
        };
      }
      logger.info(
        `flushing ${all.length} queued entr${all.length === 1 ? 'y' : 'ies'} into ${engine.repo.remote}/${engine.branch}`,
      );
      // Without a policy nothing lands, but the witness still watches the remote: a rewritten history
      // is reported as it is with a policy (LEDGER_HISTORY_REWRITTEN, exit 75), not hidden behind
      // FLUSH_NO_TRUST_POLICY. Any other fetch failure changes nothing here: no retry lands these.
      if (unauthenticated && all.length > 0) {
        try {
          await engine.fetchHead();
        } catch (error) {
          if (isSlsaLedgerError(error) && error.code === 'LEDGER_HISTORY_REWRITTEN') {
            await engine.alertRewrite(error.message);
            throw error;
          }
          logger.debug(`fetch before the unauthenticated report failed: ${(error as Error).message}`);
        }
      }
      const landed: LedgerEntry[] = [];
      const attemptsByEntry = new Map<string, number>();
      let stop: string | undefined;
      let alert: string | undefined;
      let lastCommit: string | null = null;
      for (const [i, item] of all.entries()) {
        const id = { tag: item.entry.tag, run_id: item.entry.run_id };
        logger.progress('flush', i, all.length);
        if (stop !== undefined) {
          items.push({ ...id, outcome: 'skipped', reason: stop });
          continue;
        }
        // a refused item stays and counts its attempts; when the remote as a whole cannot take
        // anything now (unreachable, or its history rewritten) the rest wait, untried
        const refuse = (r: Refusal): void => {
          attemptsByEntry.set(keyOf(item.entry), r.attempts);
          items.push({ ...id, outcome: 'refused', reason: r.reason, code: r.code });
          if (r.code === 'LEDGER_REMOTE_UNAVAILABLE' || r.code === 'LEDGER_HISTORY_REWRITTEN') {
            stop =
              r.code === 'LEDGER_HISTORY_REWRITTEN'
                ? 'the ledger history was rewritten'
                : 'the remote is unavailable';
            if (r.code === 'LEDGER_HISTORY_REWRITTEN') alert = 'ledger-history-rewritten';
          }
        };
        if (unauthenticated) {
          items.push({
            ...id,
            outcome: 'unauthenticated',
            code: 'FLUSH_NO_TRUST_POLICY',
            reason:
              'no trust policy (trust: in .slsa-ledger.yml, or --trust-key) to authenticate it: left in the queue',
          });
          continue;
        }
        try {
          let toLand = item.entry;
          signer.sign = own('record');
          if (options.trust !== undefined) {
            // the queue gate: at the fetched head, what may this item do? The fetch refuses as
            // `land` does (an unreachable remote, a rewritten history and its alert), never throws
            const fetched = await engine.fetchHeadForWrite(item.entry, 1);
            if (fetched.kind === 'refused') {
              refuse(fetched);
              continue;
            }
            const head = fetched.head;
            const { days } = await engine.readDays(head);
            let current: { path: string; entry: LedgerEntry } | undefined;
            for (const d of days) {
              const e = d.entries.find((x) => x.tag === id.tag && x.run_id === id.run_id);
              if (e !== undefined) current = { path: d.path, entry: e };
            }
            const identity = ledgerIdentity(engine.repo.remoteUrl, engine.branch);
            const decision = decideQueuedTransition({
              item,
              current,
              policy: options.trust.policy,
              material: options.trust.material,
              location: identity,
              reportsDir: engine.repo.reportsDir,
            });
            if (decision.kind === 'untrusted') {
              logger.warn(`${decision.code}: ${decision.reason}`);
              items.push({ ...id, outcome: 'untrusted', code: decision.code, reason: decision.reason });
              continue;
            }
            if (decision.kind === 'conflict') {
              items.push({
                ...id,
                outcome: 'conflict',
                reason: decision.error.message,
                code: 'LEDGER_CONFLICT',
              });
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
            // a verdict's VSA goes to vsa.jsonl with it, bound again if flush signs the change itself
            const vsa = item.vsa === undefined ? undefined : signedDocumentOf(item.vsa);
            signer.sign =
              decision.kind === 'land'
                ? (ledger) =>
                    queuedLandingSigner(
                      decision.line,
                      {
                        entry: decision.entry,
                        previous: current?.entry ?? null,
                        kind: decision.transitionKind,
                      },
                      own(writer, writer === 'validate' ? vsa : undefined)(ledger),
                      decision.vsaLine,
                    )
                : own(writer, decision.vsa === undefined ? undefined : vsa);
          }
          const r = await engine.land(toLand, lockWaitS);
          if (r.kind === 'done') {
            landed.push(item.entry);
            if (r.outcome === 'committed') lastCommit = r.commit;
            items.push({ ...id, outcome: r.outcome, path: r.path, commit: r.commit });
            continue;
          }
          refuse(r);
        } catch (error) {
          if (isSlsaLedgerError(error) && error.code === 'LEDGER_CONFLICT') {
            items.push({ ...id, outcome: 'conflict', reason: error.message, code: error.code });
            continue;
          }
          if (isSlsaLedgerError(error) && error.code === 'LEDGER_ENTRY_INVALID') {
            items.push({ ...id, outcome: 'invalid', reason: error.message, code: error.code });
            continue;
          }
          throw error;
        }
      }
      logger.progressDone('flush');

      // local queue: only what landed goes; refused items count their attempts; invalid ones stay as they were
      if (local.unreadable === undefined && (landed.length > 0 || attemptsByEntry.size > 0)) {
        const remainingLocal = removeLanded(local.items, landed).map((q) => {
          const extra = attemptsByEntry.get(keyOf(q.entry));
          return extra === undefined ? q : { ...q, attempts: q.attempts + extra };
        });
        await engine.writeLocalQueue(remainingLocal, local.invalid);
      }
      if (landed.length > 0 && branchOk) branchOk = await engine.dropFromQueueBranch(landed);
      const localBranch = await engine.afterLanding(lastCommit);
      const remaining = all.length - landed.length + local.invalid.length + branchInvalid.length;
      return {
        outcome: remaining === 0 && local.unreadable === undefined ? 'flushed' : 'queued',
        items,
        landed: landed.length,
        remaining,
        conflicts: items.filter((x) => x.outcome === 'conflict').length,
        invalid: items.filter((x) => x.outcome === 'invalid').length,
        untrusted: items.filter((x) => x.outcome === 'untrusted').length,
        unauthenticated: items.filter((x) => x.outcome === 'unauthenticated').length,
        queue_path: engine.queuePath,
        queue_branch: branchOk,
        lock_wait_s: lockWaitS,
        ...fileError,
        ...(localBranch === undefined ? {} : { local_branch: localBranch }),
        ...(alert === undefined ? {} : { alert }),
      };
    });
  } finally {
    engine.close();
  }
}
