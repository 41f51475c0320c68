// Signing a transition or a VSA (issue 14 items 2 and 3): the engine builds the statement, a
// `BundleSigner` (key file or Sigstore keyless, src/io/ledger-signer.ts) turns its payload into a
// Sigstore bundle, and the bundle becomes one line of the day's log. Also: which signing mode a
// writer uses, decided from its flags and environment.
import { SlsaLedgerError, UsageError } from '../../errors.js';
import type { MergeOutcome, MergeResult } from '../ledger/merge.js';
import type { InTotoStatement } from '../verify/types.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../provenance/dsse.js';
import { appendLogLines, logSegmentPath, serializeLogLine, type LogKind } from './storage.js';
import {
  buildTransitionStatement,
  serializeTransitionStatement,
  type TransitionKind,
  type TransitionStatement,
  type TransitionWriter,
} from './transition.js';
import { createHash } from 'node:crypto';

/** The SLSA Verification Summary Attestation predicate type. */
export const SLSA_VSA_V1 = 'https://slsa.dev/verification_summary/v1';

/**
 * Signs a DSSE payload and returns a Sigstore bundle v0.3 (JSON): key mode (public-key material
 * with the key id as hint) or keyless (Fulcio certificate, Rekor entry). The key or identity token
 * never leaves the adapter.
 */
export interface BundleSigner {
  readonly mode: 'key' | 'sigstore';
  /** key mode: the key id (hex SHA-256 of the SPKI DER); keyless: '' (the certificate names the signer) */
  readonly keyId: string;
  signDsse(payloadType: string, payload: Uint8Array): Promise<unknown>;
}

export interface SignedDocument {
  /** the Sigstore bundle */
  readonly bundle: unknown;
  /** the log line (compact JSON and `\n`) to append */
  readonly line: string;
  /** SHA-256 (hex) of the signed payload bytes: how a verdict names its VSA */
  readonly payloadSha256: string;
}

async function signStatement(payload: Uint8Array, signer: BundleSigner): Promise<SignedDocument> {
  const bundle = await signer.signDsse(IN_TOTO_PAYLOAD_TYPE, payload);
  return {
    bundle,
    line: serializeLogLine(bundle),
    payloadSha256: createHash('sha256').update(payload).digest('hex'),
  };
}

/** Signs a transition statement: the line goes to the last segment of the day's transitions log. */
export function signTransition(
  statement: TransitionStatement,
  signer: BundleSigner,
): Promise<SignedDocument> {
  return signStatement(serializeTransitionStatement(statement), signer);
}

/**
 * A stored bundle (a queued VSA) as a signed document again: its log line and the digest of its
 * DSSE payload. Undefined when it has no DSSE payload (flush's gate verified it before).
 */
export function signedDocumentOf(bundle: unknown): SignedDocument | undefined {
  const payload = (bundle as { dsseEnvelope?: { payload?: unknown } } | null)?.dsseEnvelope?.payload;
  if (typeof payload !== 'string') return undefined;
  return {
    bundle,
    line: serializeLogLine(bundle),
    payloadSha256: createHash('sha256').update(Buffer.from(payload, 'base64')).digest('hex'),
  };
}

/**
 * Signs a VSA statement (built by src/core/vsa) with the writer's signer: the line goes to
 * the day's vsa log, the bundle to `--vsa-out FILE`, and `payloadSha256` into the verdict's
 * transition (`vsaSha256`), which binds the two.
 * @throws SlsaLedgerError `TRUST_TRANSITION_INVALID` when the statement is not a VSA v1
 */
export function signVsa(statement: InTotoStatement, signer: BundleSigner): Promise<SignedDocument> {
  if (
    statement.predicateType !== SLSA_VSA_V1 ||
    !Array.isArray(statement.subject) ||
    statement.subject.length === 0
  ) {
    return Promise.reject(
      new SlsaLedgerError(
        'TRUST_TRANSITION_INVALID',
        `not a vsa: predicate type ${statement.predicateType}, expected ${SLSA_VSA_V1}`,
        {
          details: { predicateType: statement.predicateType },
        },
      ),
    );
  }
  return signStatement(Buffer.from(JSON.stringify(statement), 'utf8'), signer);
}

/**
 * The kind of a change the merge rule made: an inserted key is a `record`; an update is a
 * `verdict` when `validate --record` wrote it, else an `update`. Unchanged and stale merges
 * change nothing and are not signed (undefined).
 */
export function transitionKindFor(
  outcome: MergeOutcome,
  writer: 'record' | 'validate',
): TransitionKind | undefined {
  switch (outcome) {
    case 'inserted':
      return 'record';
    case 'updated':
      return writer === 'validate' ? 'verdict' : 'update';
    case 'unchanged':
    case 'stale':
      return undefined;
  }
}

/** How a writer signs, decided from its flags and environment. */
export type SigningMode =
  | { readonly kind: 'none' }
  | { readonly kind: 'key'; readonly keyPath: string }
  | { readonly kind: 'sigstore' };

export interface SigningFlags {
  /** `--sign sigstore` (the only value) */
  readonly sign?: string;
  /** `--sign-key FILE` */
  readonly signKey?: string;
  /** `--no-sign` */
  readonly noSign?: boolean;
}

/**
 * Decides the signing mode: `--sign-key FILE` signs with a key, `--sign sigstore` keylessly (the
 * default in GitHub Actions, where the workflow's OIDC identity is the signer), `--no-sign` only
 * when asked for. Anywhere else, no flag is a usage error: the ledger never goes unsigned by accident.
 * @throws UsageError `USAGE_INVALID_FLAG` (flags that contradict each other, an unknown `--sign` value),
 *   `TRUST_SIGN_MODE_REQUIRED` (no flag outside GitHub Actions)
 */
export function decideSigningMode(
  flags: SigningFlags,
  environment: { readonly githubActions: boolean },
): SigningMode {
  const given = [flags.sign !== undefined, flags.signKey !== undefined, flags.noSign === true].filter(
    Boolean,
  ).length;
  if (given > 1) {
    throw new UsageError(
      'USAGE_INVALID_FLAG',
      'choose one of --sign sigstore, --sign-key FILE and --no-sign',
      {
        details: { flags: ['sign', 'sign-key', 'no-sign'] },
      },
    );
  }
  if (flags.sign !== undefined && flags.sign !== 'sigstore') {
    throw new UsageError(
      'USAGE_INVALID_FLAG',
      `--sign takes 'sigstore', got '${flags.sign}' (for a key file use --sign-key FILE)`,
      {
        details: { flag: 'sign', value: flags.sign },
      },
    );
  }
  if (flags.signKey !== undefined) {
    if (flags.signKey === '')
      throw new UsageError('USAGE_INVALID_FLAG', '--sign-key needs a file', {
        details: { flag: 'sign-key' },
      });
    return { kind: 'key', keyPath: flags.signKey };
  }
  if (flags.sign === 'sigstore') return { kind: 'sigstore' };
  if (flags.noSign === true) return { kind: 'none' };
  if (environment.githubActions) return { kind: 'sigstore' };
  throw new UsageError(
    'TRUST_SIGN_MODE_REQUIRED',
    'every change to the ledger is signed: pass --sign-key FILE (make one with slsa-ledger keygen), --sign sigstore, or --no-sign to opt out',
    { details: { flags: ['sign', 'sign-key', 'no-sign'] } },
  );
}

/** The writer of a change, from the GitHub Actions environment (null fields elsewhere). */
export function writerFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  fallbackActor: string,
): TransitionWriter {
  const int = (v: string | undefined): number | null => {
    if (v === undefined || !/^[1-9]\d{0,15}$/.test(v)) return null;
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : null;
  };
  const actor = env.GITHUB_ACTOR !== undefined && env.GITHUB_ACTOR !== '' ? env.GITHUB_ACTOR : fallbackActor;
  const ref = env.GITHUB_WORKFLOW_REF;
  return {
    actor,
    run_id: int(env.GITHUB_RUN_ID),
    run_attempt: int(env.GITHUB_RUN_ATTEMPT),
    workflow_ref: ref !== undefined && ref !== '' ? ref : null,
  };
}

export interface SignChangeOptions {
  /** what the merge rule did (`applyMergeRule`'s result: outcome, path, entry, previous) */
  readonly merge: Pick<MergeResult, 'outcome' | 'path' | 'entry' | 'previous'>;
  /** `record` and `flush` write records and updates; `validate --record` writes verdicts */
  readonly writer: 'record' | 'validate';
  readonly context: TransitionWriter;
  readonly time: Date;
  readonly ledger: { readonly repository: string; readonly branch: string };
  readonly signer: BundleSigner;
  /**
   * where the transition goes: the day's transitions segment to append to at the head the change is
   * built on (`appendTarget`), with its text (undefined: a new segment); a text alone is segment 1
   */
  readonly log: LogTail | string | undefined;
  /** verdicts: the signed VSA (from `signVsa`) to bind */
  readonly vsa?: SignedDocument;
  /** the day's vsa segment to append to at that head */
  readonly vsaLog?: LogTail | string | undefined;
}

/** The segment of a day's log a writer appends to, and its text at the head (undefined: new). */
export interface LogTail {
  readonly path: string;
  readonly text: string | undefined;
}

function tailOf(dayPath: string, kind: LogKind, log: LogTail | string | undefined): LogTail {
  return typeof log === 'object' ? log : { path: logSegmentPath(dayPath, kind, 1), text: log };
}

export interface SignedChange {
  readonly kind: TransitionKind;
  readonly statement: TransitionStatement;
  readonly line: string;
  readonly bundle: unknown;
  /** the files to write in the same commit as the day file: the logs with their new lines */
  readonly files: Readonly<Record<string, string>>;
}

/**
 * Signs the change a merge made, for the engine: the transition statement, its bundle, and the day's
 * logs with the new lines appended (the transition, and the VSA for a verdict). Undefined when the
 * merge changed nothing (`unchanged`, `stale`): nothing is signed and nothing written.
 */
export async function signChange(options: SignChangeOptions): Promise<SignedChange | undefined> {
  const kind = transitionKindFor(options.merge.outcome, options.writer);
  if (kind === undefined) return undefined;
  const statement = buildTransitionStatement({
    kind,
    previous: options.merge.previous ?? null,
    state: options.merge.entry,
    writer: options.context,
    time: options.time,
    ledger: { ...options.ledger, path: options.merge.path },
    ...(options.vsa === undefined ? {} : { vsaSha256: options.vsa.payloadSha256 }),
  });
  const signed = await signTransition(statement, options.signer);
  const log = tailOf(options.merge.path, 'transitions', options.log);
  const files: Record<string, string> = { [log.path]: appendLogLines(log.text, [signed.line]) };
  if (options.vsa !== undefined) {
    const vsaLog = tailOf(options.merge.path, 'vsa', options.vsaLog);
    files[vsaLog.path] = appendLogLines(vsaLog.text, [options.vsa.line]);
  }
  return { kind, statement, line: signed.line, bundle: signed.bundle, files };
}
