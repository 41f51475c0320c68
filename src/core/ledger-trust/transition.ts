// The signed entry transition (issue 14 item 2, DESIGN.md §7, docs/trust.md "Transition format"):
// every change `record`, `flush` and `validate --record` make to one ledger entry is an in-toto
// Statement v1 whose subject is the entry's canonical bytes after the change and whose predicate
// names the change: its kind, the digest of the state before it (a hash chain per entry), the
// state itself, who wrote it and where. Pure: builders and the canonical payload (the strict parser: transition-parse.ts).
import { createHash } from 'node:crypto';
import { SlsaLedgerError } from '../../errors.js';
import { canonicalEntry, entryProblems, type LedgerEntry } from '../ledger/entry.js';
import { IN_TOTO_STATEMENT_V1 } from '../provenance/statement.js';

export { IN_TOTO_PAYLOAD_TYPE } from '../provenance/dsse.js';

/** The predicate type of a ledger transition (ours; versioned by its last path segment). */
export const TRANSITION_PREDICATE_TYPE = 'https://slsa-ledger.dev/ledger-transition/v1';

/**
 * `record`: the first state of a key (no previous state); `update`: any later change by a writer of
 * runs (status, artifact, metrics, flags other than the verdict's); `verdict`: the security CI's
 * `validation` block and its `validated`/`validation-failed` flag, nothing else.
 */
export type TransitionKind = 'record' | 'update' | 'verdict';
export const transitionKinds: readonly TransitionKind[] = ['record', 'update', 'verdict'];

/** The key of an entry: (`tag`, `run_id`). */
export interface EntryKeyRef {
  readonly tag: string;
  readonly run_id: number;
}

/** The process that made the change (from the GitHub Actions context, or null fields elsewhere). */
export interface TransitionWriter {
  /** GITHUB_ACTOR, else the local user the CLI was told */
  readonly actor: string;
  /** GITHUB_RUN_ID of the writing workflow run (not the entry's run: `validate` writes verdicts for other runs) */
  readonly run_id: number | null;
  readonly run_attempt: number | null;
  /** GITHUB_WORKFLOW_REF: `OWNER/REPO/.github/workflows/x.yml@refs/heads/main` */
  readonly workflow_ref: string | null;
}

/** Where the entry lives: the ledger repository, its branch and the day file. */
export interface LedgerLocation {
  /**
   * `OWNER/NAME` on GitHub (and for a ledger on a local path: its last two parts); on any other host
   * `HOST/every/part/of/the/path`; the remote URL without credentials when it names no repository
   */
  readonly repository: string;
  readonly branch: string;
  /** the day file holding the entry, e.g. `docs/reports/2025-11-24/manifest.json` */
  readonly path: string;
}

const OWNER_NAME = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/**
 * Whether a statement signed for the ledger `signed` belongs to the ledger `here`. The branch is
 * exact, and so is the repository, except that an `OWNER/NAME` matches in any ASCII letter case:
 * GitHub's owner and repository names are case-insensitive, so a clone made as `acme/ledger`
 * audits what was written through `Acme/Ledger`. A host's path (`gitlab.example/group/name`)
 * stays exact.
 */
export function sameLedger(
  signed: Pick<LedgerLocation, 'repository' | 'branch'>,
  here: Pick<LedgerLocation, 'repository' | 'branch'>,
): boolean {
  if (signed.branch !== here.branch) return false;
  if (signed.repository === here.repository) return true;
  return (
    OWNER_NAME.test(signed.repository) &&
    OWNER_NAME.test(here.repository) &&
    signed.repository.toLowerCase() === here.repository.toLowerCase()
  );
}

export interface TransitionPredicate {
  readonly kind: TransitionKind;
  readonly entry: EntryKeyRef;
  /** SHA-256 of the canonical bytes of the state before this change; null for a record */
  readonly previous: { readonly sha256: string } | null;
  /** the entry after the change (its canonical bytes are the subject) */
  readonly state: LedgerEntry;
  readonly writer: TransitionWriter;
  /** when the writer signed, RFC 3339 UTC */
  readonly time: string;
  readonly ledger: LedgerLocation;
  /** verdicts: the SHA-256 of the VSA statement (DSSE payload bytes) stored beside the day file */
  readonly vsa?: { readonly sha256: string };
}

export interface TransitionStatement {
  readonly _type: typeof IN_TOTO_STATEMENT_V1;
  readonly subject: readonly [{ readonly name: string; readonly digest: { readonly sha256: string } }];
  readonly predicateType: typeof TRANSITION_PREDICATE_TYPE;
  readonly predicate: TransitionPredicate;
}

/**
 * The canonical bytes of ONE entry, which a transition's subject digests: the entry in canonical
 * key order (`canonicalEntry`), `JSON.stringify(entry, null, 2)` and a final `\n`, UTF-8. The same
 * entry always gives the same bytes (the serializer of the day files, applied to one entry).
 */
export function canonicalEntryText(entry: LedgerEntry): string {
  return `${JSON.stringify(canonicalEntry(entry), null, 2)}\n`;
}

/** Lower-case hex SHA-256 of `canonicalEntryText(entry)`. */
export function entryDigest(entry: LedgerEntry): string {
  return createHash('sha256').update(canonicalEntryText(entry), 'utf8').digest('hex');
}

/** The subject name of a transition: `<tag>#<run_id>` (a run id has no `#`, so the last one splits). */
export function transitionSubjectName(key: EntryKeyRef): string {
  return `${key.tag}#${key.run_id}`;
}

export interface BuildTransitionOptions {
  readonly kind: TransitionKind;
  /** the entry before the change; null for a record */
  readonly previous: LedgerEntry | null;
  /** the entry after the change, as the writer stores it */
  readonly state: LedgerEntry;
  readonly writer: TransitionWriter;
  readonly time: Date;
  readonly ledger: LedgerLocation;
  /** verdicts only: SHA-256 (hex) of the signed VSA statement's payload bytes */
  readonly vsaSha256?: string;
}

export function transitionInvalid(
  message: string,
  problems: readonly string[],
  source?: string,
): SlsaLedgerError {
  return new SlsaLedgerError(
    'TRUST_TRANSITION_INVALID',
    source === undefined ? message : `${source}: ${message}`,
    {
      details: { ...(source === undefined ? {} : { source }), problems },
    },
  );
}

/**
 * Builds the statement for one change. The kind must fit the previous state (a record has none,
 * an update or verdict has one), the previous state must have the same key, and only a verdict
 * carries a VSA digest.
 * @throws SlsaLedgerError `TRUST_TRANSITION_INVALID` (a caller's bug: the engine passes these)
 */
export function buildTransitionStatement(options: BuildTransitionOptions): TransitionStatement {
  const state = canonicalEntry(options.state);
  const key = { tag: state.tag, run_id: state.run_id };
  const predicate: TransitionPredicate = {
    kind: options.kind,
    entry: key,
    previous: options.previous === null ? null : { sha256: entryDigest(options.previous) },
    state,
    writer: {
      actor: options.writer.actor,
      run_id: options.writer.run_id,
      run_attempt: options.writer.run_attempt,
      workflow_ref: options.writer.workflow_ref,
    },
    time: options.time.toISOString(),
    ledger: {
      repository: options.ledger.repository,
      branch: options.ledger.branch,
      path: options.ledger.path,
    },
    ...(options.vsaSha256 === undefined ? {} : { vsa: { sha256: options.vsaSha256 } }),
  };
  const statement: TransitionStatement = {
    _type: IN_TOTO_STATEMENT_V1,
    subject: [{ name: transitionSubjectName(key), digest: { sha256: entryDigest(state) } }],
    predicateType: TRANSITION_PREDICATE_TYPE,
    predicate,
  };
  const problems = statementProblems(statement, options.previous);
  if (problems.length > 0) throw transitionInvalid(`cannot build the transition: ${problems[0]!}`, problems);
  return statement;
}

/** The DSSE payload: compact JSON of the statement in the key order the builder gives. */
export function serializeTransitionStatement(statement: TransitionStatement): Uint8Array {
  return Buffer.from(JSON.stringify(statement), 'utf8');
}

/** What is wrong with a statement (empty: nothing); the builder and the parser both check it. */
export function statementProblems(statement: TransitionStatement, previous?: LedgerEntry | null): string[] {
  const problems: string[] = [];
  const p = statement.predicate;
  const stateProblems = entryProblems(p.state);
  for (const sp of stateProblems) problems.push(`predicate.state.${sp.path}: ${sp.message}`);
  if (stateProblems.length > 0) return problems;
  if (p.state.tag !== p.entry.tag || p.state.run_id !== p.entry.run_id) {
    problems.push('predicate.state is another entry than predicate.entry');
  }
  const subject = statement.subject[0];
  if (subject.name !== transitionSubjectName(p.entry)) {
    problems.push(`subject name must be ${transitionSubjectName(p.entry)}`);
  }
  if (subject.digest.sha256 !== entryDigest(p.state)) {
    problems.push('subject digest is not the sha-256 of the canonical bytes of predicate.state');
  }
  if ((p.kind === 'record') !== (p.previous === null)) {
    problems.push(
      p.kind === 'record'
        ? 'a record has no previous state'
        : `a${p.kind === 'update' ? 'n' : ''} ${p.kind} needs the previous state`,
    );
  }
  if (p.vsa !== undefined && p.kind !== 'verdict') problems.push('only a verdict names a vsa');
  if (
    previous !== undefined &&
    previous !== null &&
    (previous.tag !== p.entry.tag || previous.run_id !== p.entry.run_id)
  ) {
    problems.push('the previous state is another entry');
  }
  return problems;
}
