// The key index (issue 14, performance): where each (tag, run_id) lives, so `record` reads one
// index shard and one day file instead of every day file of the ledger. Layout, under the reports
// folder:
//   index/VERSION        "1\n" — the index exists and is kept by the writers
//   index/LAST           "<YYYY-MM-DD> <sha256>\n": the day file the last writer commit wrote and
//                        the SHA-256 of its bytes. Every writer commit rewrites it, so the index
//                        folder changes in every commit that keeps the index, updates included
//                        (which change no shard): a day file changed since the folder last changed
//                        was changed by a commit that did not keep the index.
//   index/<xx>.json      xx = the first two hex digits of SHA-256(tag as UTF-8); a JSON array of
//                        {"tag", "run_id", "day"} sorted like the ledger (tag in version order,
//                        then run_id), 2-space indent, final newline (canonical bytes)
// Every key of every day file is in exactly one shard, with the day of the file that holds it.
// Writers refresh the rows of day files changed by commits that did not touch the index (another
// tool, a hand edit); `check` verifies the whole index against the day files.
import { hash } from 'node:crypto';
import { compareEntries, insertSorted, sortEntries, type LedgerEntry } from './entry.js';

export const KEY_INDEX_VERSION = '1\n';

export interface KeyIndexRow {
  readonly tag: string;
  readonly run_id: number;
  /** YYYY-MM-DD: the day file holding the key */
  readonly day: string;
}

/** `xx` of `index/<xx>.json` for a tag. */
export function keyIndexShard(tag: string): string {
  // one-shot `hash` (Node ≥ 20.12): ~3× `createHash` for a tag, which `check` does for every entry
  return hash('sha256', tag, 'hex').slice(0, 2);
}

export function keyIndexDir(reportsDir: string): string {
  return `${reportsDir.replace(/\/+$/, '')}/index`;
}

export function keyIndexShardPath(reportsDir: string, shard: string): string {
  return `${keyIndexDir(reportsDir)}/${shard}.json`;
}

export function keyIndexVersionPath(reportsDir: string): string {
  return `${keyIndexDir(reportsDir)}/VERSION`;
}

export function keyIndexLastPath(reportsDir: string): string {
  return `${keyIndexDir(reportsDir)}/LAST`;
}

/** `index/LAST`'s bytes for a commit that writes day file `day` with bytes of SHA-256 `sha256`. */
export function keyIndexLastText(day: string, sha256: string): string {
  return `${day} ${sha256}\n`;
}

/** Whether `text` is an `index/LAST` as the writers write it (`check` audits it). */
export function isKeyIndexLastText(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2} [0-9a-f]{64}\n$/.test(text);
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/** Parses a shard; undefined when it is not a valid shard (the writer then rebuilds the index). */
export function parseKeyIndexShard(text: string): KeyIndexRow[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  const rows: KeyIndexRow[] = [];
  for (const r of value as unknown[]) {
    if (typeof r !== 'object' || r === null) return undefined;
    const { tag, run_id, day, ...rest } = r as Record<string, unknown>;
    if (Object.keys(rest).length > 0) return undefined;
    if (typeof tag !== 'string' || typeof day !== 'string' || !DAY_RE.test(day)) return undefined;
    if (typeof run_id !== 'number' || !Number.isSafeInteger(run_id) || run_id < 1) return undefined;
    rows.push({ tag, run_id, day });
  }
  return rows;
}

/** Canonical shard bytes. */
export function serializeKeyIndexShard(rows: readonly KeyIndexRow[]): string {
  return serializeOrderedShard(sortEntries(rows));
}

/**
 * Canonical shard bytes of rows already in shard order, as `refreshShard` and `buildKeyIndex`
 * give them (the writers' path: no second pass over a shard's tags).
 */
export function serializeOrderedShard(rows: readonly KeyIndexRow[]): string {
  return `${JSON.stringify(
    rows.map((r) => ({ tag: r.tag, run_id: r.run_id, day: r.day })),
    null,
    2,
  )}\n`;
}

/** The day a key lives in, per the shard's rows. */
export function lookupKey(rows: readonly KeyIndexRow[], tag: string, runId: number): string | undefined {
  return rows.find((r) => r.run_id === runId && r.tag === tag)?.day;
}

/** Shard order: the ledger's (tag in version order, then run_id), then the day. */
function compareRows(a: KeyIndexRow, b: KeyIndexRow): number {
  return compareEntries(a, b) || (a.day < b.day ? -1 : a.day > b.day ? 1 : 0);
}

/**
 * The rows of `shard` after replacing those of `days` (re-read) with their entries, and setting
 * `set` (the key just written). A shard as the writers leave it is already in order: the new rows
 * are placed by binary search after one pass that checks the order, so a record into an old ledger
 * (hundreds of rows a shard) compares tags a few hundred times, not a sort's thousands (issue 14:
 * V8 optimised `compareTags` in every such record, ~50 ms of compiling). Anything else is sorted;
 * the result is the same either way: the stable sort of the kept rows followed by the new ones.
 */
export function refreshShard(
  rows: readonly KeyIndexRow[],
  shard: string,
  days: ReadonlyMap<string, readonly Pick<LedgerEntry, 'tag' | 'run_id'>[]>,
  set?: KeyIndexRow,
): KeyIndexRow[] {
  const out = rows.filter(
    (r) => !days.has(r.day) && !(set !== undefined && r.tag === set.tag && r.run_id === set.run_id),
  );
  const added: KeyIndexRow[] = [];
  for (const [day, entries] of days) {
    for (const e of entries)
      if (keyIndexShard(e.tag) === shard) added.push({ tag: e.tag, run_id: e.run_id, day });
  }
  if (set !== undefined && keyIndexShard(set.tag) === shard) added.push(set);
  let inOrder = true;
  for (let i = 1; i < out.length && inOrder; i++) inOrder = compareRows(out[i - 1]!, out[i]!) <= 0;
  let placed: KeyIndexRow[];
  if (inOrder && added.length <= 16)
    placed = added.reduce((rows, r) => insertSorted(rows, r, compareRows), out);
  else placed = [...out, ...added].sort(compareRows);
  // one row per key (a duplicate key across days is a `check` finding; the first day wins here)
  const seen = new Set<string>();
  return placed.filter((r) => {
    const k = `${r.tag}\u0000${r.run_id}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Every shard of a full index built from all day files (`day` -> entries). */
export function buildKeyIndex(
  days: ReadonlyMap<string, readonly Pick<LedgerEntry, 'tag' | 'run_id'>[]>,
): Map<string, KeyIndexRow[]> {
  const shards = new Map<string, KeyIndexRow[]>();
  for (const [day, entries] of days) {
    for (const e of entries) {
      const s = keyIndexShard(e.tag);
      shards.set(s, [...(shards.get(s) ?? []), { tag: e.tag, run_id: e.run_id, day }]);
    }
  }
  for (const [s, rows] of shards) shards.set(s, refreshShard(rows, s, new Map()));
  return shards;
}

/** A key the index the writers would trust does not list where its day file holds it. */
export interface KeyIndexProblem {
  readonly tag: string;
  readonly run_id: number;
  /** the day file holding the key */
  readonly day: string;
  /** the day the shard names instead (undefined: the shard does not list the key) */
  readonly indexed?: string;
}

/**
 * Where the key index disagrees with the day files, as a writer would act on it
 * (`loadForMerge`): every key of a day file must be listed under that day in its shard, else a
 * writer that updates the run with a timestamp of another day does not find it and records it
 * again there as a new run, past the merge rule (a pusher who edits only the index makes an honest
 * writer do it). `shards`: each present shard's rows, or `unreadable` (the writers then read every
 * day file, so nothing there can mislead them); a shard absent lists nothing. A key held by more
 * than one day file is `CHECK_DUPLICATE_KEY`'s business: it is not reported here.
 */
export function checkKeyIndex(
  days: ReadonlyMap<string, readonly Pick<LedgerEntry, 'tag' | 'run_id'>[]>,
  shards: ReadonlyMap<string, readonly KeyIndexRow[] | 'unreadable'>,
): KeyIndexProblem[] {
  const holders = new Map<string, Set<string>>();
  for (const [day, entries] of days) {
    for (const e of entries) {
      const k = `${e.tag}\u0000${e.run_id}`;
      holders.set(k, (holders.get(k) ?? new Set()).add(day));
    }
  }
  const problems: KeyIndexProblem[] = [];
  for (const [day, entries] of days) {
    for (const e of entries) {
      const rows = shards.get(keyIndexShard(e.tag)) ?? [];
      if (rows === 'unreadable') continue;
      const indexed = lookupKey(rows, e.tag, e.run_id);
      if (indexed === day) continue;
      if (indexed !== undefined && holders.get(`${e.tag}\u0000${e.run_id}`)?.has(indexed) === true) continue;
      problems.push({ tag: e.tag, run_id: e.run_id, day, ...(indexed === undefined ? {} : { indexed }) });
    }
  }
  return problems;
}
