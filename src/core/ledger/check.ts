// The ledger audit (DESIGN.md §4): findings over the day files at a commit and over the history of
// the commits that touched them. Pure: the app layer reads files and `git log`, this decides.
import { parseJson } from '../input/strict-json.js';
import { checkMergeRule } from '../ledger-trust/change-rules.js';
import { NAMED_TWICE, pathsNamedTwice, unexpectedLedgerPath } from './layout.js';
import { isSlsaLedgerError } from '../../errors.js';
import {
  DEFAULT_REPORTS_DIR,
  compareEntries,
  entryKey,
  entryProblems,
  manifestDayOf,
  serializeManifest,
  type LedgerEntry,
} from './entry.js';

export type FindingCode =
  | 'CHECK_MANIFEST_INVALID'
  | 'CHECK_SCHEMA_INVALID'
  | 'CHECK_FAILURE_REASON_MISSING'
  | 'CHECK_ORDER'
  | 'CHECK_NOT_CANONICAL'
  | 'CHECK_DUPLICATE_KEY'
  | 'CHECK_WRONG_DAY'
  | 'CHECK_TRAILERS_MISSING'
  | 'CHECK_TRAILERS_MISMATCH'
  | 'CHECK_HASH_MISMATCH'
  | 'CHECK_FOREIGN_RUN_CHANGED'
  | 'CHECK_UNSIGNED_COMMIT'
  | 'CHECK_HISTORY_BLOB_INVALID'
  | 'CHECK_MERGE_RULE_BROKEN'
  | 'CHECK_HISTORY_REWRITTEN'
  | 'CHECK_TIMESTAMP_FUTURE'
  | 'CHECK_INDEX_MISMATCH'
  | 'CHECK_UNEXPECTED_PATH';

/** Every finding code with one line on what it means (docs and `check --help`). */
export const findingCodes: Readonly<Record<FindingCode, string>> = {
  CHECK_MANIFEST_INVALID: 'a day file is not a json array',
  CHECK_SCHEMA_INVALID: 'an entry does not match the schema',
  CHECK_FAILURE_REASON_MISSING: "an entry with status 'failure' has no failure_reason",
  CHECK_ORDER: 'entries are not sorted by tag (version order), then run_id',
  CHECK_NOT_CANONICAL: 'the bytes differ from the canonical serialization of the same entries',
  CHECK_DUPLICATE_KEY: 'the same (tag, run_id) appears twice, in one file or across days',
  CHECK_WRONG_DAY: "an entry's timestamp is earlier than the day of the file holding it",
  CHECK_TRAILERS_MISSING: 'a commit touching the ledger lacks the provenance trailers',
  CHECK_TRAILERS_MISMATCH: "a commit's Manifest-Path trailer names a file it did not change",
  CHECK_HASH_MISMATCH: "a file's bytes differ from its last Manifest-Sha256 trailer (a hand edit)",
  CHECK_FOREIGN_RUN_CHANGED: 'a commit changed entries of a run other than the one its trailers name',
  CHECK_UNSIGNED_COMMIT: 'a commit touching the ledger has no valid signature (--require-signed)',
  CHECK_HISTORY_BLOB_INVALID:
    'a commit wrote a day file that is not a readable manifest: a symlink, over a limit, too deep, or not json (never read past the limit)',
  CHECK_MERGE_RULE_BROKEN:
    'a commit changed an entry in a way the merge rule forbids (sha, actor or release_url rewritten, timestamp moved back, history or a block dropped, an entry removed), whatever its trailers say',
  CHECK_HISTORY_REWRITTEN:
    'the audited head does not descend from the last head this clone verified (a force-push rewrote the history)',
  CHECK_TIMESTAMP_FUTURE:
    "an entry's timestamp (or validated_at) is further ahead of the clock than the skew allows: every later update of its run would be dropped as stale",
  CHECK_INDEX_MISMATCH:
    'the key index the writers trust does not list a run under the day file holding it: a writer would record the run again in another day file, past the merge rule',
  CHECK_UNEXPECTED_PATH:
    'a path in a day folder or the key index, or named like a ledger file, that no writer writes (a case variant such as Manifest.json, a file beside the day file, a folder that is no calendar day): never read nor audited, yet seen by people and, on a case-insensitive file system, in place of the real file',
};

export interface CheckFinding {
  readonly code: FindingCode;
  readonly message: string;
  readonly path?: string;
  readonly commit?: string;
  readonly tag?: string;
  readonly run_id?: number;
}

/** Why a blob was not read (a symlink in git, over the byte limit): a coded reason. */
export interface BlobRefusal {
  readonly code: string;
  readonly message: string;
}

/** A day file at the audited commit (`refused`: not read, `text` is empty). */
export interface ManifestSnapshot {
  readonly path: string;
  readonly text: string;
  readonly sha256: string;
  readonly refused?: BlobRefusal;
}

/**
 * A change a commit made to one day file (`before`/`after` undefined when absent; `afterRefused`
 * when the new blob was not read). `before` is only used for the first change of a path the audit
 * sees; later changes are compared with the last readable state of the path.
 */
export interface ManifestChange {
  readonly path: string;
  readonly before?: string;
  readonly after?: string;
  readonly afterSha256?: string;
  readonly afterRefused?: BlobRefusal;
}

/** A commit that touched the ledger, oldest first. */
export interface LedgerCommit {
  readonly commit: string;
  readonly subject: string;
  /** trailer key (as written) -> values */
  readonly trailers: Readonly<Record<string, readonly string[]>>;
  readonly changes: readonly ManifestChange[];
  /** `git verify-commit` passed; undefined when signatures are not checked */
  readonly signed?: boolean;
}

export interface CheckInput {
  readonly files: readonly ManifestSnapshot[];
  readonly commits: readonly LedgerCommit[];
  readonly reportsDir?: string;
  readonly requireSigned?: boolean;
  /** the checker's clock: entries further ahead than `skewS` seconds are CHECK_TIMESTAMP_FUTURE */
  readonly clock?: CheckClock;
}

/** The time `check` runs at and the clock-skew allowance (`ledger.clock_skew`, default 300 s). */
export interface CheckClock {
  readonly now: Date;
  readonly skewS: number;
}

export const TRAILERS = ['Provenance-Run-Id', 'Provenance-Tag', 'Manifest-Path', 'Manifest-Sha256'] as const;

function trailer(c: LedgerCommit, key: string): string | undefined {
  const k = Object.keys(c.trailers).find((t) => t.toLowerCase() === key.toLowerCase());
  const values = k === undefined ? undefined : c.trailers[k];
  return values?.[values.length - 1];
}

/** A day file's value within the day-file limits, or the coded reason it is not one. */
function parseDay(text: string, what: string): { value: unknown } | { error: string } {
  try {
    return { value: parseJson(text, 'dayFile', what) };
  } catch (error) {
    if (isSlsaLedgerError(error)) return { error: `${error.code}: ${error.message}` };
    throw error;
  }
}

/** Entries of a text, or undefined when it is not a JSON array (within the limits). */
function looseEntries(text: string | undefined): LedgerEntry[] | undefined {
  if (text === undefined) return [];
  const parsed = parseDay(text, 'day file');
  if ('error' in parsed) return undefined;
  const v = parsed.value;
  {
    if (!Array.isArray(v)) return undefined;
    return v.filter(
      (e): e is LedgerEntry =>
        typeof e === 'object' &&
        e !== null &&
        'tag' in e &&
        'run_id' in e &&
        typeof (e as LedgerEntry).tag === 'string',
    );
  }
}

function label(e: Pick<LedgerEntry, 'tag' | 'run_id'>): string {
  return `${e.tag} run ${e.run_id}`;
}

/**
 * Findings of one code listed per day file at most; the rest of that code in that file are counted
 * in one closing finding. A day file may hold 50,000 entries, each with several schema problems:
 * without a cap, a 100 KB push of `[{},{},…]` under twenty day paths gave `check` 7 million findings
 * (3 GB, then exit 70 while printing them).
 */
export const MAX_FINDINGS_PER_FILE_AND_CODE = 100;

/**
 * Paths (every path at the audited commit under the reports folder or a case variant of it) that
 * no writer writes in the ledger's part of the folder (core/ledger/layout.ts), or that the tree
 * names twice (anywhere in the folder: a reader and a checkout would disagree on it), at most
 * `MAX_FINDINGS_PER_FILE_AND_CODE` listed and the rest counted in one closing finding.
 */
export function findUnexpectedPaths(
  paths: readonly string[],
  reportsDir = DEFAULT_REPORTS_DIR,
): CheckFinding[] {
  const out: CheckFinding[] = [];
  const findings = cappedFindings(out, reportsDir);
  const twice = new Set(pathsNamedTwice(paths));
  for (const path of [...new Set(paths)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    const why = twice.has(path) ? NAMED_TWICE : unexpectedLedgerPath(path, reportsDir);
    if (why !== undefined) findings.push({ code: 'CHECK_UNEXPECTED_PATH', path, message: why });
  }
  findings.close();
  return out;
}

/** Findings over the day files themselves: schema, order, canonical bytes, duplicates, day. */
export function findManifestProblems(
  files: readonly ManifestSnapshot[],
  reportsDir = DEFAULT_REPORTS_DIR,
  clock?: CheckClock,
  /**
   * filled with the entries of each day file the writers read (a JSON array of valid entries at
   * `<reportsDir>/<day>/manifest.json`), by day: what the key index is checked against
   */
  readableDays?: Map<string, readonly LedgerEntry[]>,
): CheckFinding[] {
  const all: CheckFinding[] = [];
  const seen = new Map<string, string>();
  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    const findings = cappedFindings(all, file.path);
    checkOneFile(file, findings, seen, reportsDir, clock, readableDays);
    findings.close();
  }
  return all;
}

/**
 * A sink for the findings of one file (or of one commit's change of it) that keeps the first
 * `MAX_FINDINGS_PER_FILE_AND_CODE` of each code and counts the rest in one closing finding.
 */
function cappedFindings(
  out: CheckFinding[],
  path: string,
  commit?: string,
): { push: (f: CheckFinding) => void; close: () => void } {
  const counts = new Map<FindingCode, number>();
  return {
    push(f) {
      const n = (counts.get(f.code) ?? 0) + 1;
      counts.set(f.code, n);
      if (n <= MAX_FINDINGS_PER_FILE_AND_CODE) out.push(f);
    },
    close() {
      for (const [code, n] of counts) {
        if (n <= MAX_FINDINGS_PER_FILE_AND_CODE) continue;
        out.push({
          code,
          path,
          ...(commit === undefined ? {} : { commit }),
          message: `and ${n - MAX_FINDINGS_PER_FILE_AND_CODE} more ${code} findings in ${code === 'CHECK_UNEXPECTED_PATH' ? 'this folder' : commit === undefined ? 'this file' : `this change of the file by ${commit.slice(0, 12)}`} (${n} in all; the first ${MAX_FINDINGS_PER_FILE_AND_CODE} are listed)`,
        });
      }
    },
  };
}

function checkOneFile(
  file: ManifestSnapshot,
  findings: { push: (f: CheckFinding) => void },
  seen: Map<string, string>,
  reportsDir: string,
  clock: CheckClock | undefined,
  readableDays?: Map<string, readonly LedgerEntry[]>,
): void {
  if (file.refused !== undefined) {
    findings.push({
      code: 'CHECK_MANIFEST_INVALID',
      path: file.path,
      message: `not read: ${file.refused.code}: ${file.refused.message}`,
    });
    return;
  }
  const parsed = parseDay(file.text, `day file ${file.path}`);
  if ('error' in parsed) {
    findings.push({
      code: 'CHECK_MANIFEST_INVALID',
      path: file.path,
      message: `not a readable day file: ${parsed.error}`,
    });
    return;
  }
  const value = parsed.value;
  if (!Array.isArray(value)) {
    findings.push({
      code: 'CHECK_MANIFEST_INVALID',
      path: file.path,
      message: 'not a json array of entries',
    });
    return;
  }
  const valid: LedgerEntry[] = [];
  value.forEach((raw: unknown, index) => {
    const problems = entryProblems(raw);
    const id =
      typeof raw === 'object' && raw !== null && 'tag' in raw && 'run_id' in raw
        ? { tag: String((raw as LedgerEntry).tag), run_id: Number((raw as LedgerEntry).run_id) }
        : {};
    for (const p of problems) {
      findings.push({
        code: p.path === 'failure_reason' ? 'CHECK_FAILURE_REASON_MISSING' : 'CHECK_SCHEMA_INVALID',
        path: file.path,
        ...id,
        message: `entry ${index}: ${p.message}`,
      });
    }
    if (problems.length === 0) valid.push(raw as LedgerEntry);
  });
  const day = manifestDayOf(file.path, reportsDir);
  // a day file with an invalid entry is one the writers skip (a warning) and never index
  if (day !== undefined && valid.length === value.length) readableDays?.set(day, valid);
  for (const e of valid) {
    const key = entryKey(e);
    const other = seen.get(key);
    if (other !== undefined) {
      findings.push({
        code: 'CHECK_DUPLICATE_KEY',
        path: file.path,
        tag: e.tag,
        run_id: e.run_id,
        message: `${label(e)} is also in ${other}`,
      });
    } else seen.set(key, file.path);
    const ahead =
      clock === undefined
        ? undefined
        : [e.timestamp, e.validation?.validated_at].find(
            (t) => t !== undefined && Date.parse(t) > clock.now.getTime() + clock.skewS * 1000,
          );
    if (ahead !== undefined) {
      findings.push({
        code: 'CHECK_TIMESTAMP_FUTURE',
        path: file.path,
        tag: e.tag,
        run_id: e.run_id,
        message: `${label(e)} has time ${ahead}, more than ${clock!.skewS} s ahead of the clock (${clock!.now.toISOString()}): every later update of the run would be dropped as stale`,
      });
    }
    if (day !== undefined && e.timestamp.slice(0, 10) < day) {
      findings.push({
        code: 'CHECK_WRONG_DAY',
        path: file.path,
        tag: e.tag,
        run_id: e.run_id,
        message: `${label(e)} has timestamp ${e.timestamp}, before the file's day ${day}`,
      });
    }
  }
  if (valid.length !== value.length) return; // order and bytes only mean something for a valid file
  const outOfOrder = valid.findIndex((e, i) => i > 0 && compareEntries(valid[i - 1]!, e) > 0);
  if (outOfOrder !== -1) {
    findings.push({
      code: 'CHECK_ORDER',
      path: file.path,
      tag: valid[outOfOrder]!.tag,
      run_id: valid[outOfOrder]!.run_id,
      message: `${label(valid[outOfOrder]!)} comes after ${label(valid[outOfOrder - 1]!)}`,
    });
  } else if (serializeManifest(valid) !== file.text) {
    findings.push({
      code: 'CHECK_NOT_CANONICAL',
      path: file.path,
      message: 'bytes are not the canonical serialization',
    });
  }
}

/**
 * The last readable state of one day file: key -> entry (loose: maybe schema-invalid), its text and
 * the last schema-valid state of that entry in this file's history (`undefined`: not yet known, the
 * entry itself when it is valid; `null`: none). The merge rule is checked against that last valid
 * state, so a schema-invalid intermediate state of an entry hides no rewrite.
 */
interface DayEntry {
  readonly entry: LedgerEntry;
  readonly text: string;
  readonly lastValid?: LedgerEntry | null;
}
type DayState = Map<string, DayEntry>;

function lastValidOf(d: DayEntry): LedgerEntry | undefined {
  if (d.lastValid !== undefined) return d.lastValid ?? undefined;
  return entryProblems(d.entry).length === 0 ? d.entry : undefined;
}

function dayState(entries: readonly LedgerEntry[]): DayState {
  return new Map(entries.map((e) => [entryKey(e), { entry: e, text: JSON.stringify(e) }]));
}

/**
 * The history audit, one commit at a time (oldest first), so a caller can read the history in
 * chunks and memory stays bounded by the ledger's size, not its age. Each change is compared with
 * the last readable state of its path: a commit that writes a file that is not JSON (or breaks a
 * limit) is a finding, and the next readable state is compared with the one before it, so an
 * unreadable intermediate state hides nothing. The merge rule is applied to every change of an
 * existing entry, whatever the trailers say.
 */
export class HistoryAudit {
  private readonly findings: CheckFinding[] = [];
  private readonly lastTrailerHash = new Map<string, { sha256: string; commit: string }>();
  private readonly lastToucher = new Map<string, { commit: string }>();
  private readonly states = new Map<string, DayState>();
  private commits = 0;

  constructor(private readonly requireSigned = false) {}

  get count(): number {
    return this.commits;
  }

  add(c: LedgerCommit): void {
    this.commits += 1;
    const findings = this.findings;
    const short = c.commit.slice(0, 12);
    const missing = TRAILERS.filter((t) => trailer(c, t) === undefined);
    if (this.requireSigned && c.signed !== true) {
      findings.push({
        code: 'CHECK_UNSIGNED_COMMIT',
        commit: c.commit,
        message: `commit ${short} (${c.subject}) is not signed by a trusted key`,
      });
    }
    let named: { tag: string; runId: number; path: string } | undefined;
    if (missing.length > 0) {
      findings.push({
        code: 'CHECK_TRAILERS_MISSING',
        commit: c.commit,
        ...(c.changes[0] === undefined ? {} : { path: c.changes[0].path }),
        message: `commit ${short} (${c.subject}) changes the ledger without ${missing.join(', ')}`,
      });
    } else {
      const path = trailer(c, 'Manifest-Path')!;
      const sha256 = trailer(c, 'Manifest-Sha256')!;
      const runText = trailer(c, 'Provenance-Run-Id')!;
      // exact: a run id is digits only, a tag is compared byte for byte (never trimmed)
      const runId = /^[1-9][0-9]{0,15}$/.test(runText) ? Number(runText) : Number.NaN;
      named = { tag: trailer(c, 'Provenance-Tag')!, runId, path };
      const own = c.changes.find((ch) => ch.path === path);
      if (own === undefined) {
        findings.push({
          code: 'CHECK_TRAILERS_MISMATCH',
          commit: c.commit,
          path,
          message: `commit ${short} names Manifest-Path ${path} but does not change it`,
        });
      } else if (own.afterRefused === undefined && own.afterSha256 !== sha256) {
        findings.push({
          code: 'CHECK_HASH_MISMATCH',
          commit: c.commit,
          path,
          message: `commit ${short} says Manifest-Sha256 ${sha256.slice(0, 12)}… but the file it wrote hashes to ${(own.afterSha256 ?? 'nothing').slice(0, 12)}…`,
        });
      }
      if (own !== undefined) this.lastTrailerHash.set(path, { sha256, commit: c.commit });
    }
    for (const ch of c.changes) {
      this.lastToucher.set(ch.path, { commit: c.commit });
      this.change(c, ch, named);
    }
  }

  private change(
    c: LedgerCommit,
    ch: ManifestChange,
    named: { tag: string; runId: number; path: string } | undefined,
  ): void {
    const short = c.commit.slice(0, 12);
    let previous = this.states.get(ch.path);
    if (previous === undefined && ch.before !== undefined) {
      const before = looseEntries(ch.before);
      if (before !== undefined) previous = dayState(before);
    }
    let next: DayState;
    if (ch.afterRefused !== undefined) {
      this.findings.push({
        code: 'CHECK_HISTORY_BLOB_INVALID',
        commit: c.commit,
        path: ch.path,
        message: `commit ${short} wrote ${ch.path}, not read: ${ch.afterRefused.code}: ${ch.afterRefused.message}`,
      });
      return; // the last readable state stays the one to compare with
    }
    if (ch.after === undefined) {
      next = new Map();
    } else {
      const parsed = parseDay(ch.after, `day file ${ch.path}`);
      const list =
        'error' in parsed ? undefined : Array.isArray(parsed.value) ? looseList(parsed.value) : undefined;
      if (list === undefined) {
        this.findings.push({
          code: 'CHECK_HISTORY_BLOB_INVALID',
          commit: c.commit,
          path: ch.path,
          message: `commit ${short} wrote ${ch.path}, which is not a day file: ${'error' in parsed ? parsed.error : 'not a json array'}`,
        });
        return;
      }
      next = dayState(list);
    }
    const before: DayState = previous ?? new Map<string, DayEntry>();
    const keys = new Set([...before.keys(), ...next.keys()]);
    const findings = cappedFindings(this.findings, ch.path, c.commit);
    for (const k of keys) {
      const a = before.get(k);
      const b = next.get(k);
      if (a !== undefined && b !== undefined && a.text === b.text) {
        next.set(k, a); // unchanged: keeps what is known of its last valid state
        continue;
      }
      const e = (b ?? a)!.entry;
      if (named !== undefined && !(e.tag === named.tag && e.run_id === named.runId)) {
        findings.push({
          code: 'CHECK_FOREIGN_RUN_CHANGED',
          commit: c.commit,
          path: ch.path,
          tag: e.tag,
          run_id: e.run_id,
          message: `commit ${short} records ${named.tag} run ${named.runId} but also changes ${label(e)}`,
        });
      }
      // a new key keeps `lastValid` unknown (the entry itself when valid): no schema walk per insert
      const valid = a === undefined || b === undefined ? undefined : entryProblems(b.entry).length === 0;
      const last = a === undefined ? undefined : lastValidOf(a);
      if (a !== undefined && b !== undefined)
        next.set(k, { ...b, lastValid: valid === true ? b.entry : (last ?? null) });
      const broken = mergeRuleBroken(a?.entry, b?.entry, last, valid === true);
      if (broken !== undefined) {
        findings.push({
          code: 'CHECK_MERGE_RULE_BROKEN',
          commit: c.commit,
          path: ch.path,
          tag: e.tag,
          run_id: e.run_id,
          message: `commit ${short} changes ${label(e)}: ${broken}`,
        });
      }
    }
    findings.close();
    this.states.set(ch.path, next);
  }

  /** The findings so far plus those of the head's files against the last trailers. */
  finish(files: readonly ManifestSnapshot[]): CheckFinding[] {
    const findings = [...this.findings];
    for (const file of files) {
      if (file.refused !== undefined) continue; // reported as CHECK_MANIFEST_INVALID
      const last = this.lastTrailerHash.get(file.path);
      const toucher = this.lastToucher.get(file.path);
      if (last === undefined) {
        findings.push({
          code: 'CHECK_HASH_MISMATCH',
          path: file.path,
          ...(toucher === undefined ? {} : { commit: toucher.commit }),
          message: `no commit with a Manifest-Sha256 trailer ever wrote ${file.path}`,
        });
      } else if (last.sha256 !== file.sha256) {
        findings.push({
          code: 'CHECK_HASH_MISMATCH',
          path: file.path,
          commit: toucher?.commit ?? last.commit,
          message: `bytes hash to ${file.sha256.slice(0, 12)}…, not ${last.sha256.slice(0, 12)}… of the last Manifest-Sha256 trailer (commit ${last.commit.slice(0, 12)}): edited by hand`,
        });
      }
    }
    return findings;
  }
}

function looseList(v: unknown[]): LedgerEntry[] {
  return v.filter(
    (e): e is LedgerEntry =>
      typeof e === 'object' &&
      e !== null &&
      'tag' in e &&
      'run_id' in e &&
      typeof (e as LedgerEntry).tag === 'string',
  );
}

/**
 * Why `a` -> `b` (same key) breaks the merge rule, or undefined. Schema problems are reported at the
 * head; a schema-valid `b` is compared with `lastValid`, the last schema-valid state of the entry
 * (`a` itself, or the state before `a` and any other schema-invalid states).
 */
function mergeRuleBroken(
  a: LedgerEntry | undefined,
  b: LedgerEntry | undefined,
  lastValid: LedgerEntry | undefined,
  bValid: boolean,
): string | undefined {
  if (a === undefined) return undefined; // a new key
  if (b === undefined) return 'the entry was removed: the merge rule never removes an entry';
  if (lastValid === undefined || !bValid) return undefined;
  const broken = checkMergeRule(lastValid, b)?.message;
  if (broken === undefined || lastValid === a) return broken;
  return `${broken} (compared with its last schema-valid state: a schema-invalid state in between hides nothing)`;
}

/** Findings over the history: trailers, Manifest-Sha256 per commit and at the head, foreign runs, the merge rule, signatures. */
export function findHistoryProblems(input: CheckInput): CheckFinding[] {
  const audit = new HistoryAudit(input.requireSigned === true);
  for (const c of input.commits) audit.add(c);
  return audit.finish(input.files);
}

/** Every finding of the audit, files first, then history. */
export function checkLedgerFindings(input: CheckInput): CheckFinding[] {
  return [...findManifestProblems(input.files, input.reportsDir, input.clock), ...findHistoryProblems(input)];
}
