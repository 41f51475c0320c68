// Signing the writers' changes (issue 14 item 2, docs/trust.md "Signing"): `record`, `flush` and
// `validate --record` prepare one `LedgerSigning` from their flags (`--sign sigstore`, `--sign-key
// FILE`, `--no-sign`) before anything is written, and the ledger engine calls `signLanding` — the
// one hook where a transition signer is called — after the merge rule changed an entry and before
// the commit: the day's logs with the new lines go into the same commit as the day file.
import type { MergeResult } from '../core/ledger/merge.js';
import { repositoryFromRemoteUrl } from '../core/ingest/repository.js';
import {
  decideSigningMode,
  signChange,
  signVsa,
  writerFromEnvironment,
  type BundleSigner,
  type SignedDocument,
  type LogTail,
  type SigningFlags,
} from '../core/ledger-trust/sign.js';
import { appendLogLines, appendTarget, logSegmentPath, type LogKind } from '../core/ledger-trust/storage.js';
import { entryDigest } from '../core/ledger-trust/transition.js';
import type { LedgerEntry } from '../core/ledger/entry.js';
import type { TransitionKind, TransitionWriter } from '../core/ledger-trust/transition.js';
import type { InTotoStatement } from '../core/verify/types.js';
import type { Clock } from '../core/ports.js';
import { otherLimits } from '../core/input/limits.js';
import { scrubCredentials } from '../io/git.js';
import type { CommitFile } from '../io/git-ledger-repo.js';
import type { LedgerChange, TransitionSigner } from './ledger-engine.js';
import { loadLedgerSigner } from '../io/ledger-signer.js';

/** How a writer signs, prepared once per command (the key is loaded and checked here). */
export interface LedgerSigning {
  /** `none` for `--no-sign`: changes are written unsigned */
  readonly mode: 'none' | 'key' | 'sigstore';
  readonly signer: BundleSigner | undefined;
  /** `record` and `flush` write records and updates; `validate --record` writes verdicts */
  readonly writer: 'record' | 'validate';
  /** who writes (the GitHub Actions run, else the local user) */
  readonly context: TransitionWriter;
  readonly clock: Clock;
}

export interface PrepareLedgerSigningOptions extends SigningFlags {
  readonly writer: 'record' | 'validate';
  /** the environment: GITHUB_ACTIONS, GITHUB_ACTOR…, the key passphrase, the OIDC request variables */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fulcioUrl?: string;
  readonly rekorUrl?: string;
  readonly clock?: Clock;
  /** the actor outside GitHub Actions (default: USER, else `slsa-ledger`) */
  readonly fallbackActor?: string;
  /** for the OIDC token request (tests) */
  readonly fetch?: typeof globalThis.fetch;
}

/**
 * Decides the signing mode and loads the signer, before the writer touches anything.
 * @throws `TRUST_SIGN_MODE_REQUIRED` (no flag outside GitHub Actions), `USAGE_INVALID_FLAG`,
 *   `INPUT_KEY_INVALID` and the INPUT_FILE_* codes for a bad `--sign-key`
 */
export async function prepareLedgerSigning(options: PrepareLedgerSigningOptions): Promise<LedgerSigning> {
  const { env } = options;
  const mode = decideSigningMode(
    {
      ...(options.sign === undefined ? {} : { sign: options.sign }),
      ...(options.signKey === undefined ? {} : { signKey: options.signKey }),
      ...(options.noSign === undefined ? {} : { noSign: options.noSign }),
    },
    { githubActions: env.GITHUB_ACTIONS === 'true' },
  );
  const signer = await loadLedgerSigner({
    mode,
    env,
    ...(options.fulcioUrl === undefined ? {} : { fulcioUrl: options.fulcioUrl }),
    ...(options.rekorUrl === undefined ? {} : { rekorUrl: options.rekorUrl }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
  const fallback =
    options.fallbackActor ?? (env.USER !== undefined && env.USER !== '' ? env.USER : 'slsa-ledger');
  return {
    mode: mode.kind,
    signer,
    writer: options.writer,
    context: writerFromEnvironment(env, fallback),
    clock: options.clock ?? { now: () => new Date() },
  };
}

/** The ledger a statement is signed for: `owner/name` when the remote names one, else the remote URL without credentials. */
export interface LedgerIdentity {
  readonly repository: string;
  readonly branch: string;
}

/** Hosts whose repositories are GitHub's (`ssh.github.com`: SSH over port 443). */
const GITHUB_HOSTS: ReadonlySet<string> = new Set(['github.com', 'www.github.com', 'ssh.github.com']);

/**
 * The ledger a statement is signed for (docs/trust.md): the writer and the checker compute it the
 * same way, from the remote's URL and the branch. On GitHub `OWNER/NAME` (its https and ssh remotes
 * give the same); on any other host the host and the whole path (`gitlab.example/group/sub/name`:
 * a project of the same `OWNER/NAME` on another host, or in another group, is another ledger); a
 * local path its last two parts; a URL that names no repository, itself without credentials.
 */
export function ledgerIdentity(remoteUrl: string, branch: string): LedgerIdentity {
  const named = repositoryFromRemoteUrl(remoteUrl);
  if (named === undefined) return { repository: scrubCredentials(remoteUrl.trim()), branch };
  if (named.host === null || GITHUB_HOSTS.has(named.host)) return { repository: named.repository, branch };
  return {
    repository: named.url === null ? scrubCredentials(remoteUrl.trim()) : named.url.slice('https://'.length),
    branch,
  };
}

export interface SignLandingInput {
  /** what the merge rule did at the head the commit is built on */
  readonly merge: Pick<MergeResult, 'outcome' | 'path' | 'entry' | 'previous'>;
  readonly ledger: LedgerIdentity;
  /** where to append to the day's logs at that head */
  readonly tail: LogTails;
  /** a verdict's signed VSA (from `signLedgerVsa`), bound by the transition and appended to `vsa.jsonl` */
  readonly vsa?: SignedDocument;
  /** overrides the signing's writer (flush re-signing a queued verdict signs a verdict) */
  readonly writer?: 'record' | 'validate';
}

export interface SignedLanding {
  readonly kind: TransitionKind;
  /** the logs with the new lines: write them in the same commit as the day file */
  readonly files: readonly CommitFile[];
  /** the transition's bundle: queued with the entry when the push is refused */
  readonly bundle: unknown;
}

/**
 * The engine's hook: signs the change a merge made. Undefined when nothing is signed (`--no-sign`,
 * or the merge changed nothing).
 */
export async function signLanding(
  signing: LedgerSigning | undefined,
  input: SignLandingInput,
): Promise<SignedLanding | undefined> {
  if (signing?.signer === undefined) return undefined;
  const { merge } = input;
  if (merge.outcome !== 'inserted' && merge.outcome !== 'updated') return undefined;
  const log = await input.tail(merge.path, 'transitions');
  const vsaLog = input.vsa === undefined ? undefined : await input.tail(merge.path, 'vsa');
  const signed = await signChange({
    merge,
    writer: input.writer ?? signing.writer,
    context: signing.context,
    time: signing.clock.now(),
    ledger: input.ledger,
    signer: signing.signer,
    log,
    ...(input.vsa === undefined ? {} : { vsa: input.vsa, vsaLog }),
  });
  if (signed === undefined) return undefined;
  return {
    kind: signed.kind,
    bundle: signed.bundle,
    files: Object.entries(signed.files).map(([path, text]) => ({ path, bytes: Buffer.from(text, 'utf8') })),
  };
}

/** Signs a verdict's VSA with the writer's signer (undefined with `--no-sign`). */
export async function signLedgerVsa(
  signing: LedgerSigning | undefined,
  statement: InTotoStatement,
): Promise<SignedDocument | undefined> {
  if (signing?.signer === undefined) return undefined;
  return signVsa(statement, signing.signer);
}

/**
 * The hook the ledger engine calls after the merge rule changed an entry, before the commit: the
 * logs to add to the commit and the bundle to queue. Undefined: the change is written unsigned.
 */
export type LandingSigner = (
  merge: Pick<MergeResult, 'outcome' | 'path' | 'entry' | 'previous'>,
  tail: LogTails,
) => Promise<SignedLanding | undefined>;

/**
 * The segment of a day's log (`transitions` or `vsa`) a change appends to at the head it is built
 * on, with that segment's text (undefined: a new segment): docs/trust.md "Storage layout".
 */
export type LogTails = (dayPath: string, kind: LogKind) => Promise<LogTail>;

/** The engine's hook for a writer: signs every change with `signing` (a verdict also binds `vsa`). */
export function landingSigner(
  signing: LedgerSigning | undefined,
  ledger: LedgerIdentity,
  vsa?: SignedDocument,
): LandingSigner | undefined {
  if (signing?.signer === undefined) return undefined;
  return (merge, tail) =>
    signLanding(signing, { merge, ledger, tail, ...(vsa === undefined ? {} : { vsa }) });
}

/**
 * flush's hook for a queued item the queue gate allowed to land as signed: when the merge at the
 * landing head makes exactly the signed change (same state, same previous state), the queued bundle
 * is appended to the log unchanged; otherwise the head moved since the gate looked, and the change
 * is signed by flush's own signer (`fallback`, undefined: written unsigned).
 */
export function queuedLandingSigner(
  line: string,
  signed: {
    readonly entry: LedgerEntry;
    readonly previous: LedgerEntry | null;
    readonly kind: TransitionKind;
  },
  fallback: LandingSigner | undefined,
  /** a verdict's VSA line, appended to the day's `vsa.jsonl` in the same commit */
  vsaLine?: string,
): LandingSigner {
  const want = entryDigest(signed.entry);
  const wantPrevious = signed.previous === null ? null : entryDigest(signed.previous);
  return async (merge, tail) => {
    const previous = merge.previous === undefined ? null : entryDigest(merge.previous);
    if (
      (merge.outcome === 'inserted' || merge.outcome === 'updated') &&
      entryDigest(merge.entry) === want &&
      previous === wantPrevious
    ) {
      const log = await tail(merge.path, 'transitions');
      const files: CommitFile[] = [
        { path: log.path, bytes: Buffer.from(appendLogLines(log.text, [line]), 'utf8') },
      ];
      if (vsaLine !== undefined) {
        const vsaLog = await tail(merge.path, 'vsa');
        files.push({
          path: vsaLog.path,
          bytes: Buffer.from(appendLogLines(vsaLog.text, [vsaLine]), 'utf8'),
        });
      }
      return { kind: signed.kind, files, bundle: JSON.parse(line) as unknown };
    }
    return fallback === undefined ? undefined : fallback(merge, tail);
  };
}

/**
 * The engine's `TransitionSigner` over a `LandingSigner`: the statement is signed for the ledger the
 * engine writes (`ledgerIdentity(remote url, branch)`), and the last signed change is kept so a
 * refused entry is queued as the state its statement signs, with the bundle.
 */
export class LedgerTransitionSigner implements TransitionSigner {
  /** the last change signed (undefined when the last one was not signed) */
  last: { readonly bundle: unknown; readonly entry: LedgerEntry } | undefined;

  constructor(
    /** the hook for a change in a given ledger; swapped per item by flush */
    public sign: ((ledger: LedgerIdentity) => LandingSigner | undefined) | undefined,
    /** keyless signing (Fulcio, Rekor): see `TransitionSigner.remote` */
    readonly remote = false,
  ) {}

  async filesFor(change: LedgerChange): Promise<readonly CommitFile[]> {
    this.last = undefined;
    const sign = this.sign?.(ledgerIdentity(change.repo.remoteUrl, change.branch));
    if (sign === undefined) return [];
    const signed = await sign(change.merge, (dayPath, kind) => logTailAt(change, dayPath, kind));
    if (signed === undefined) return [];
    this.last = { bundle: signed.bundle, entry: change.merge.entry };
    return signed.files;
  }
}

/**
 * Where a change appends to a day's log at the commit it is built on: the last segment while it is
 * under `ledgerLogSegmentBytes` and ends in a whole line, else a new one (docs/trust.md "Storage
 * layout"). Only the names of the segments are listed (from the day folder's tree) and at most
 * the last one is read, so a day of thousands of signed changes costs a write what a day of one
 * does, and a log planted by a pusher (a huge segment, a last line cut short) is never read whole:
 * the writer goes on in a new segment, and `check` reports what is wrong with the old one.
 */
async function logTailAt(change: LedgerChange, dayPath: string, kind: LogKind): Promise<LogTail> {
  const numbers = await change.repo.logSegmentNumbers(change.parent, dayPath, kind);
  if (numbers.length === 0) return appendTarget(dayPath, kind, undefined);
  const n = Math.max(...numbers);
  // read within twice the segment bound: a segment a writer just filled is read (and not appended
  // to); only a bigger one (planted, or a log from before segments) is refused from its header
  const blob = await change.repo.readFileWithin(
    change.parent,
    logSegmentPath(dayPath, kind, n),
    2 * otherLimits.ledgerLogSegmentBytes,
  );
  return appendTarget(dayPath, kind, {
    n,
    size: blob?.size ?? 0,
    text: blob?.bytes?.toString('utf8'),
  });
}

/** A writer's transition signer (undefined when it does not sign: `--no-sign`). */
export function ledgerTransitionSigner(
  signing: LedgerSigning | undefined,
  vsa?: SignedDocument,
): LedgerTransitionSigner | undefined {
  if (signing?.signer === undefined) return undefined;
  return new LedgerTransitionSigner(
    (ledger) => landingSigner(signing, ledger, vsa),
    signing.mode === 'sigstore',
  );
}
