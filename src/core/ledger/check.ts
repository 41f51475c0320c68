// The ledger audit (DESIGN.md §4): findings over the day files at a commit and over the history of
// the commits that touched them. Pure: the app layer reads files and `git log`, this decides.
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
  | 'CHECK_UNSIGNED_COMMIT';

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
};

export interface CheckFinding {
  readonly code: FindingCode;
  readonly message: string;
  readonly path?: string;
  readonly commit?: string;
  readonly tag?: string;
  readonly run_id?: number;
}

/** A day file at the audited commit. */
export interface ManifestSnapshot {
  readonly path: string;
  readonly text: string;
  readonly sha256: string;
}

/** A change a commit made to one day file (`before`/`after` undefined when absent). */
export interface ManifestChange {
  readonly path: string;
  readonly before?: string;
  readonly after?: string;
  readonly afterSha256?: string;
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
}

export const TRAILERS = ['Provenance-Run-Id', 'Provenance-Tag', 'Manifest-Path', 'Manifest-Sha256'] as const;

function trailer(c: LedgerCommit, key: string): string | undefined {
  const k = Object.keys(c.trailers).find((t) => t.toLowerCase() === key.toLowerCase());
  const values = k === undefined ? undefined : c.trailers[k];
  return values?.[values.length - 1];
}

/** Entries of a text, or undefined when it is not a JSON array of objects. */
function looseEntries(text: string | undefined): LedgerEntry[] | undefined {
  if (text === undefined) return [];
  try {
    const v = JSON.parse(text) as unknown;
    if (!Array.isArray(v)) return undefined;
    return v.filter(
      (e): e is LedgerEntry =>
        typeof e === 'object' &&
        e !== null &&
        'tag' in e &&
        'run_id' in e &&
        typeof (e as LedgerEntry).tag === 'string',
    );
  } catch {
    return undefined;
  }
}

function label(e: Pick<LedgerEntry, 'tag' | 'run_id'>): string {
  return `${e.tag} run ${e.run_id}`;
}

/** Findings over the day files themselves: schema, order, canonical bytes, duplicates, day. */
export function findManifestProblems(
  files: readonly ManifestSnapshot[],
  reportsDir = DEFAULT_REPORTS_DIR,
): CheckFinding[] {
  const findings: CheckFinding[] = [];
  const seen = new Map<string, string>();
  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    let value: unknown;
    try {
      value = JSON.parse(file.text) as unknown;
    } catch (error) {
      findings.push({
        code: 'CHECK_MANIFEST_INVALID',
        path: file.path,
        message: `not valid json: ${(error as Error).message}`,
      });
      continue;
    }
    if (!Array.isArray(value)) {
      findings.push({
        code: 'CHECK_MANIFEST_INVALID',
        path: file.path,
        message: 'not a json array of entries',
      });
      continue;
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
    if (valid.length !== value.length) continue; // order and bytes only mean something for a valid file
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
  return findings;
}

function changedKeys(
  before: string | undefined,
  after: string | undefined,
): Pick<LedgerEntry, 'tag' | 'run_id'>[] | undefined {
  const a = looseEntries(before);
  const b = looseEntries(after);
  if (a === undefined || b === undefined) return undefined;
  const index = (list: LedgerEntry[]): Map<string, string> =>
    new Map(list.map((e) => [entryKey(e), JSON.stringify(e)]));
  const ia = index(a);
  const ib = index(b);
  const out: Pick<LedgerEntry, 'tag' | 'run_id'>[] = [];
  for (const e of [...a, ...b]) {
    const k = entryKey(e);
    if (ia.get(k) !== ib.get(k) && !out.some((o) => entryKey(o) === k))
      out.push({ tag: e.tag, run_id: e.run_id });
  }
  return out;
}

/** Findings over the history: trailers, Manifest-Sha256 per commit and at the head, foreign runs, signatures. */
export function findHistoryProblems(input: CheckInput): CheckFinding[] {
  const findings: CheckFinding[] = [];
  const lastTrailerHash = new Map<string, { sha256: string; commit: string }>();
  const lastToucher = new Map<string, { commit: string; trailered: boolean }>();
  for (const c of input.commits) {
    const short = c.commit.slice(0, 12);
    const missing = TRAILERS.filter((t) => trailer(c, t) === undefined);
    if (input.requireSigned === true && c.signed !== true) {
      findings.push({
        code: 'CHECK_UNSIGNED_COMMIT',
        commit: c.commit,
        message: `commit ${short} (${c.subject}) is not signed by a trusted key`,
      });
    }
    if (missing.length > 0) {
      findings.push({
        code: 'CHECK_TRAILERS_MISSING',
        commit: c.commit,
        ...(c.changes[0] === undefined ? {} : { path: c.changes[0].path }),
        message: `commit ${short} (${c.subject}) changes the ledger without ${missing.join(', ')}`,
      });
      for (const ch of c.changes) lastToucher.set(ch.path, { commit: c.commit, trailered: false });
      continue;
    }
    const path = trailer(c, 'Manifest-Path')!;
    const sha256 = trailer(c, 'Manifest-Sha256')!;
    const tag = trailer(c, 'Provenance-Tag')!;
    const runId = Number(trailer(c, 'Provenance-Run-Id'));
    const own = c.changes.find((ch) => ch.path === path);
    if (own === undefined) {
      findings.push({
        code: 'CHECK_TRAILERS_MISMATCH',
        commit: c.commit,
        path,
        message: `commit ${short} names Manifest-Path ${path} but does not change it`,
      });
    } else if (own.afterSha256 !== sha256) {
      findings.push({
        code: 'CHECK_HASH_MISMATCH',
        commit: c.commit,
        path,
        message: `commit ${short} says Manifest-Sha256 ${sha256.slice(0, 12)}… but the file it wrote hashes to ${(own.afterSha256 ?? 'nothing').slice(0, 12)}…`,
      });
    }
    for (const ch of c.changes) {
      lastToucher.set(ch.path, { commit: c.commit, trailered: ch.path === path });
      if (ch.path === path) lastTrailerHash.set(path, { sha256, commit: c.commit });
      const keys = changedKeys(ch.before, ch.after);
      for (const k of keys ?? []) {
        if (k.tag === tag && k.run_id === runId) continue;
        findings.push({
          code: 'CHECK_FOREIGN_RUN_CHANGED',
          commit: c.commit,
          path: ch.path,
          tag: k.tag,
          run_id: k.run_id,
          message: `commit ${short} records ${tag} run ${runId} but also changes ${label(k)}`,
        });
      }
    }
  }
  for (const file of input.files) {
    const last = lastTrailerHash.get(file.path);
    if (last === undefined) {
      findings.push({
        code: 'CHECK_HASH_MISMATCH',
        path: file.path,
        ...(lastToucher.get(file.path) === undefined ? {} : { commit: lastToucher.get(file.path)!.commit }),
        message: `no commit with a Manifest-Sha256 trailer ever wrote ${file.path}`,
      });
    } else if (last.sha256 !== file.sha256) {
      const toucher = lastToucher.get(file.path);
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

/** Every finding of the audit, files first, then history. */
export function checkLedgerFindings(input: CheckInput): CheckFinding[] {
  return [...findManifestProblems(input.files, input.reportsDir), ...findHistoryProblems(input)];
}
