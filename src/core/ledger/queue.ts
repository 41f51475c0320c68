// Queue transitions (DESIGN.md §4): entries whose push was refused wait here until `flush` lands
// them. Pure: the file adapter writes atomically; flush removes only what landed.
import { isSlsaLedgerError, ValidationError } from '../../errors.js';
import { parseJson } from '../input/strict-json.js';
import {
  canonicalEntry,
  checkPlainText,
  checkTimestamp,
  compareEntries,
  DEFAULT_REPORTS_DIR,
  entryProblems,
  manifestPathFor,
  type EntryProblem,
  type LedgerEntry,
} from './entry.js';
import { compareTimestamps } from './merge.js';

export interface QueueItem {
  readonly entry: LedgerEntry;
  /** why it was queued, e.g. the hook's message */
  readonly reason: string;
  readonly queued_at: string;
  /** push attempts made so far */
  readonly attempts: number;
  /** the Sigstore bundle of the entry's signed transition (docs/trust.md); flush's queue gate verifies it */
  readonly transition?: unknown;
  /** a verdict's signed VSA (Sigstore bundle) that its transition binds; flush appends it to `vsa.jsonl` */
  readonly vsa?: unknown;
}

function sameEntry(a: LedgerEntry, b: LedgerEntry): boolean {
  return JSON.stringify(canonicalEntry(a)) === JSON.stringify(canonicalEntry(b));
}

/** Replay order: older entries first, so an update never lands before its insert. */
export function compareQueueItems(a: QueueItem, b: QueueItem): number {
  return (
    compareTimestamps(a.entry.timestamp, b.entry.timestamp) ||
    compareTimestamps(a.queued_at, b.queued_at) ||
    compareEntries(a.entry, b.entry)
  );
}

function canonicalItem(item: QueueItem): QueueItem {
  return {
    entry: canonicalEntry(item.entry),
    reason: item.reason,
    queued_at: item.queued_at,
    attempts: item.attempts,
    ...(item.transition === undefined ? {} : { transition: item.transition }),
    ...(item.vsa === undefined ? {} : { vsa: item.vsa }),
  };
}

/** Adds an item; an identical entry already queued keeps its place and takes the new reason. */
export function enqueue(items: readonly QueueItem[], item: QueueItem): QueueItem[] {
  const i = items.findIndex((q) => sameEntry(q.entry, item.entry));
  if (i === -1) return [...items, canonicalItem(item)].sort(compareQueueItems);
  return items.map((q, j) => {
    if (j !== i) return q;
    const merged = { ...q, reason: item.reason, attempts: q.attempts + item.attempts };
    if (item.transition === undefined) return merged;
    // a new signature replaces the old one, with the VSA it binds (or none)
    const { vsa: _old, ...rest } = merged;
    return {
      ...rest,
      transition: item.transition,
      ...(item.vsa === undefined ? {} : { vsa: item.vsa }),
    };
  });
}

/** The union of two queues (local file and queue branch), identical entries once. */
export function mergeQueues(a: readonly QueueItem[], b: readonly QueueItem[]): QueueItem[] {
  let out = [...a];
  for (const item of b) {
    if (!out.some((q) => sameEntry(q.entry, item.entry))) out = [...out, canonicalItem(item)];
  }
  return out.sort(compareQueueItems);
}

/** The queue without the entries that landed (compared by their full content). */
export function removeLanded(items: readonly QueueItem[], landed: readonly LedgerEntry[]): QueueItem[] {
  return items.filter((q) => !landed.some((e) => sameEntry(q.entry, e)));
}

/** Canonical queue bytes: a JSON array, 2-space indent, final newline. */
export function serializeQueue(items: readonly QueueItem[]): string {
  return `${JSON.stringify([...items].map(canonicalItem).sort(compareQueueItems), null, 2)}\n`;
}

/** A queued item that does not pass the schema: kept as it is, reported, never landed. */
export interface InvalidQueueItem {
  readonly index: number;
  /** the item as found in the file (written back unchanged) */
  readonly raw: unknown;
  readonly problems: readonly EntryProblem[];
  /** the entry's key, when it has one that can be shown */
  readonly tag?: string;
  readonly run_id?: number;
}

export interface ParsedQueue {
  readonly items: QueueItem[];
  readonly invalid: InvalidQueueItem[];
}

function checkItem(raw: unknown, index: number): QueueItem | EntryProblem[] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return [
      { index, path: '', message: 'a queue item must be an object {entry, reason, queued_at, attempts}' },
    ];
  }
  const { entry, reason, queued_at, attempts, transition, vsa, ...rest } = raw as Record<string, unknown>;
  const found: EntryProblem[] = entryProblems(entry).map((p) => ({
    index,
    path: p.path === '' ? 'entry' : `entry.${p.path}`,
    message: p.message,
  }));
  const r = checkPlainText(reason, 'reason');
  if (r !== undefined) found.push({ index, path: 'reason', message: r });
  const q = checkTimestamp(queued_at, 'queued_at');
  if (q !== undefined) found.push({ index, path: 'queued_at', message: q });
  if (typeof attempts !== 'number' || !Number.isSafeInteger(attempts) || attempts < 0) {
    found.push({ index, path: 'attempts', message: 'attempts must be a whole number of at least 0' });
  }
  // the bundle is verified by flush's queue gate (docs/trust.md); here only its shape
  if (
    transition !== undefined &&
    (typeof transition !== 'object' || transition === null || Array.isArray(transition))
  )
    found.push({ index, path: 'transition', message: 'transition must be a sigstore bundle (an object)' });
  if (vsa !== undefined && (typeof vsa !== 'object' || vsa === null || Array.isArray(vsa)))
    found.push({ index, path: 'vsa', message: 'vsa must be a sigstore bundle (an object)' });
  if (vsa !== undefined && transition === undefined)
    found.push({ index, path: 'vsa', message: 'a vsa comes only with the transition that binds it' });
  for (const k of Object.keys(rest)) found.push({ index, path: k, message: `unknown field '${k}'` });
  if (found.length > 0) return found;
  return {
    entry: canonicalEntry(entry as LedgerEntry),
    reason: reason as string,
    queued_at: queued_at as string,
    attempts: attempts as number,
    ...(transition === undefined ? {} : { transition }),
    ...(vsa === undefined ? {} : { vsa }),
  };
}

/**
 * Parses a queue file within the `queueFile` limits, item by item: valid items and the invalid
 * ones (reported and kept, never landed) apart.
 * @throws ValidationError `LEDGER_QUEUE_INVALID` when the file as a whole is not a queue (not
 *   JSON, over a limit, not an array); `details.cause_code` names the INPUT_* code
 */
export function parseQueueItems(input: string | Uint8Array, path: string): ParsedQueue {
  let value: unknown;
  try {
    value = parseJson(input, 'queueFile', `queue ${path}`);
  } catch (error) {
    const code = isSlsaLedgerError(error) ? error.code : 'INPUT_JSON_MALFORMED';
    throw new ValidationError('LEDGER_QUEUE_INVALID', `queue ${path}: ${(error as Error).message}`, {
      cause: error,
      details: { path, cause_code: code },
    });
  }
  if (!Array.isArray(value)) {
    throw new ValidationError('LEDGER_QUEUE_INVALID', `queue ${path} must be a json array`, {
      details: { path },
    });
  }
  const items: QueueItem[] = [];
  const invalid: InvalidQueueItem[] = [];
  value.forEach((raw: unknown, index) => {
    const got = checkItem(raw, index);
    if (Array.isArray(got)) {
      const e = (raw as { entry?: { tag?: unknown; run_id?: unknown } } | null)?.entry;
      invalid.push({
        index,
        raw,
        problems: got,
        ...(typeof e?.tag === 'string' ? { tag: e.tag.slice(0, 255) } : {}),
        ...(typeof e?.run_id === 'number' ? { run_id: e.run_id } : {}),
      });
    } else items.push(got);
  });
  return { items: items.sort(compareQueueItems), invalid };
}

/**
 * Parses a queue file (`[{entry, reason, queued_at, attempts}]`) that must be valid throughout.
 * @throws ValidationError `LEDGER_QUEUE_INVALID` with `details.problems`
 */
export function parseQueue(text: string | Uint8Array, path: string): QueueItem[] {
  const { items, invalid } = parseQueueItems(text, path);
  if (invalid.length > 0) {
    const problems = invalid.flatMap((i) => i.problems);
    throw new ValidationError(
      'LEDGER_QUEUE_INVALID',
      `queue ${path} item ${problems[0]!.index ?? 0}: ${problems[0]!.message}`,
      { details: { path, problems } },
    );
  }
  return items;
}

/** Queue bytes: the valid items in canonical order, then the invalid ones exactly as they were. */
export function serializeQueueWith(
  items: readonly QueueItem[],
  invalid: readonly InvalidQueueItem[],
): string {
  if (invalid.length === 0) return serializeQueue(items);
  const all: unknown[] = [
    ...[...items].map(canonicalItem).sort(compareQueueItems),
    ...invalid.map((i) => i.raw),
  ];
  return `${JSON.stringify(all, null, 2)}\n`;
}

/** Where the queue branch keeps an entry: `docs/reports/<date>/manifest-queue.json`. */
export function queueBranchPathFor(
  entry: Pick<LedgerEntry, 'timestamp'>,
  reportsDir = DEFAULT_REPORTS_DIR,
): string {
  return manifestPathFor(entry, reportsDir).replace(/manifest\.json$/, 'manifest-queue.json');
}

/** Groups items by their queue branch file. */
export function groupByQueueFile(
  items: readonly QueueItem[],
  reportsDir = DEFAULT_REPORTS_DIR,
): Map<string, QueueItem[]> {
  const out = new Map<string, QueueItem[]>();
  for (const item of items) {
    const path = queueBranchPathFor(item.entry, reportsDir);
    out.set(path, [...(out.get(path) ?? []), item]);
  }
  return out;
}
