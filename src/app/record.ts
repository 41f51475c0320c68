// `record`: merge one entry into the git ledger through the ledger engine (fetch, merge at the
// fetched head, commit, push, retry); queue the entry when it cannot land.
import { checkEntryUrls, parseEntry, type LedgerEntry } from '../core/ledger/entry.js';
import type { MergeOutcome } from '../core/ledger/merge.js';
import {
  LedgerEngine,
  type DayFileWarning,
  type LedgerWriteOptions,
  type QueueReceipt,
} from './ledger-engine.js';
import type { SignedDocument } from '../core/ledger-trust/sign.js';
import { ledgerTransitionSigner, type LedgerSigning } from './ledger-signing.js';
import { redactText } from '../io/redaction.js';

export {
  DEFAULT_QUEUE_PATH,
  QUEUE_BRANCH,
  recordMessage,
  sha256Hex,
  systemClock,
  type LedgerWriteOptions,
} from './ledger-engine.js';

export interface RecordOptions extends LedgerWriteOptions {
  /** the entry: validated here, so raw JSON values are fine */
  readonly entry: unknown;
  /** how the change is signed (docs/trust.md; `prepareLedgerSigning`); undefined: unsigned */
  readonly signing?: LedgerSigning;
  /** `validate --record`: the verdict's signed VSA, bound by its transition and stored in `vsa.jsonl` */
  readonly vsa?: SignedDocument;
  /**
   * `validate --record`: the entry's urls are the ones of the ledger entry it validated, not new
   * ones, so a url an older ledger already holds (a signed query the rule now refuses) is carried
   * back as it is; every other caller's urls are checked (`LEDGER_URL_CREDENTIAL`)
   */
  readonly urlsFromLedger?: boolean;
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
  /** SHA-256 of the day file after the change (`committed`), else null */
  readonly manifest_sha256: string | null;
  readonly attempts: number;
  readonly lock_wait_s: number;
  readonly remote: string;
  readonly branch: string;
  /** day files of other days that could not be read (skipped; `check` reports them) */
  readonly warnings?: readonly DayFileWarning[];
  /** what happened to the checked-out ledger branch (read-after-write) */
  readonly local_branch?: string;
  /** an alert raised (e.g. `ledger-history-rewritten`) */
  readonly alert?: string;
  readonly queue?: QueueReceipt;
}

/**
 * Records one entry in the git ledger.
 * @throws `LEDGER_ENTRY_INVALID`, `LEDGER_URL_CREDENTIAL` (exit 3, nothing changed), `LEDGER_REPO_INVALID` (exit 2),
 *   `LEDGER_CONFLICT` (exit 4), `LEDGER_LOCK_TIMEOUT`, `LEDGER_GIT_FAILED`
 * @returns outcome `committed`, `unchanged`, `stale` or `queued` (the CLI exits 75 for `queued`)
 */
export async function recordEntry(options: RecordOptions): Promise<RecordResult> {
  // a url that would publish a credential is refused before anything (the queue branch is pushed too)
  if (options.urlsFromLedger !== true) checkEntryUrls(options.entry);
  const entry = parseEntry(redactFreeText(options.entry));
  const signer = ledgerTransitionSigner(options.signing, options.vsa);
  const engine = await LedgerEngine.open({
    ...options,
    ...(signer === undefined ? {} : { transitionSigner: signer }),
  });
  try {
    return await engine.withLock(async (lockWaitS) => {
      engine.logger.info(
        `recording ${entry.tag} run ${entry.run_id} (${entry.status}) into ${engine.repo.remote}/${engine.branch}`,
      );
      const landing = await engine.land(entry, lockWaitS, true);
      const base = {
        tag: entry.tag,
        run_id: entry.run_id,
        status: entry.status,
        attempts: landing.attempts,
        lock_wait_s: lockWaitS,
        remote: engine.repo.remote,
        branch: engine.branch,
        ...(engine.warnings.length === 0 ? {} : { warnings: [...engine.warnings] }),
      };
      if (landing.kind === 'done') {
        const local =
          landing.outcome === 'committed'
            ? await engine.afterLanding(landing.commit, landing.parent)
            : undefined;
        return {
          outcome: landing.outcome,
          ...(landing.merge === undefined ? {} : { merge: landing.merge }),
          ...base,
          path: landing.path,
          commit: landing.commit,
          manifest_sha256: landing.sha256,
          ...(local === undefined ? {} : { local_branch: local }),
        };
      }
      // refused before a merge was signed (the remote unreachable, a rewritten history): sign the
      // change at the last head this clone saw, so the entry is never queued unsigned
      if (
        signer !== undefined &&
        signer.last === undefined &&
        (landing.code === 'LEDGER_REMOTE_UNAVAILABLE' || landing.code === 'LEDGER_HISTORY_REWRITTEN')
      ) {
        await engine.signAtLastSeenHead(entry);
      }
      // a signed entry is queued as the state its statement signs, with the bundle (flush verifies it)
      // and, for a verdict, the VSA its statement binds (flush appends it to vsa.jsonl)
      const queue = await engine.queueEntry(
        signer?.last?.entry ?? entry,
        landing,
        signer?.last?.bundle,
        signer?.last === undefined ? undefined : options.vsa?.bundle,
      );
      return {
        outcome: 'queued',
        ...base,
        path: pathOfDay(engine, entry),
        commit: null,
        manifest_sha256: null,
        ...(landing.code === 'LEDGER_HISTORY_REWRITTEN' ? { alert: 'ledger-history-rewritten' } : {}),
        queue,
      };
    });
  } finally {
    engine.close();
  }
}

/**
 * The entry with its free text (`failure_reason`, `validation.reason`) redacted as all output is:
 * a reason quotes what failed (a git error, a log line), which may hold a token or a URL password,
 * and the ledger is pushed to every clone. Redacted before the entry is signed, committed or
 * queued; the structured fields are checked by the schema, never rewritten.
 */
function redactFreeText(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const raw = value as Record<string, unknown>;
  const out: Record<string, unknown> = { ...raw };
  if (typeof raw.failure_reason === 'string') out.failure_reason = redactText(raw.failure_reason);
  const validation = raw.validation as Record<string, unknown> | null | undefined;
  if (typeof validation === 'object' && validation !== null && typeof validation.reason === 'string') {
    out.validation = { ...validation, reason: redactText(validation.reason) };
  }
  const changed =
    out.failure_reason !== raw.failure_reason ||
    (out.validation as Record<string, unknown> | undefined)?.reason !== validation?.reason;
  return changed ? out : value;
}

function pathOfDay(engine: LedgerEngine, entry: LedgerEntry): string {
  return `${engine.repo.reportsDir}/${entry.timestamp.slice(0, 10)}/manifest.json`;
}
