// The merge rule of the ledger (DESIGN.md §4): key (tag, run_id) looked up across every day file.
import { ConflictError } from '../../errors.js';
import {
  canonicalEntry,
  compareEntries,
  insertSorted,
  DEFAULT_REPORTS_DIR,
  isMarkedCanonical,
  manifestPathFor,
  markCanonical,
  serializeManifest,
  type EntryMetrics,
  type GovernanceHistoryItem,
  type LedgerEntry,
} from './entry.js';

/** One day file, parsed. */
export interface ManifestDay {
  readonly path: string;
  readonly entries: readonly LedgerEntry[];
}

export type MergeOutcome = 'inserted' | 'updated' | 'unchanged' | 'stale';

/** A day file the merge rewrote: its new entries and canonical text. */
export interface ChangedManifest {
  readonly path: string;
  readonly entries: readonly LedgerEntry[];
  readonly text: string;
}

export interface MergeResult {
  readonly outcome: MergeOutcome;
  /** the day file that holds (or would hold) the key */
  readonly path: string;
  /** the entry as the ledger holds it after the merge */
  readonly entry: LedgerEntry;
  /** the entry before the merge, when the key existed */
  readonly previous?: LedgerEntry;
  /** files to write: one for inserted/updated, none for unchanged/stale */
  readonly files: readonly ChangedManifest[];
}

export interface MergeOptions {
  readonly reportsDir?: string;
  /** seconds the writer waited for the local lock; stored in `metrics.lock_wait_s` when the entry changes */
  readonly lockWaitS?: number;
}

/** The flags a verdict sets (`validation.status` passed / failed). */
export const verdictFlags: readonly string[] = ['validated', 'validation-failed'];

/** Fields that identify a run: a different value for the same key is a conflict. */
export const identityFields = ['sha', 'actor', 'release_url'] as const;

function instant(timestamp: string): number {
  return Date.parse(timestamp);
}

/** Compares two RFC 3339 UTC timestamps as instants (fractions beyond milliseconds by text). */
export function compareTimestamps(a: string, b: string): number {
  const d = instant(a) - instant(b);
  if (d !== 0) return d;
  const fa = (/\.(\d+)Z$/.exec(a)?.[1] ?? '').padEnd(9, '0');
  const fb = (/\.(\d+)Z$/.exec(b)?.[1] ?? '').padEnd(9, '0');
  return fa < fb ? -1 : fa > fb ? 1 : 0;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function withLockWait(entry: LedgerEntry, lockWaitS: number | undefined): LedgerEntry {
  if (lockWaitS === undefined) return entry;
  const metrics: EntryMetrics = { ...entry.metrics, lock_wait_s: Math.round(lockWaitS * 1000) / 1000 };
  return canonicalEntry({ ...entry, metrics });
}

function conflictsOf(
  existing: LedgerEntry,
  incoming: LedgerEntry,
): { field: string; existing: unknown; incoming: unknown }[] {
  const out: { field: string; existing: unknown; incoming: unknown }[] = [];
  for (const field of identityFields) {
    const a = existing[field];
    const b = incoming[field];
    // a release_url may be filled in later, never changed
    if (field === 'release_url' && (a === undefined || b === undefined)) continue;
    if (a !== b) out.push({ field, existing: a, incoming: b });
  }
  return out;
}

/** The stored entry after an update of `existing` by a newer-or-equal `incoming`. */
export function updateEntry(existing: LedgerEntry, incoming: LedgerEntry): LedgerEntry {
  // A verdict only moves forward. `validate` writes its verdict with the entry's own timestamp, so
  // the timestamp cannot order two verdicts: `validated_at` does. An incoming validation older
  // than the stored one (an old signed verdict replayed through the queue branch, or the loser of
  // two validate runs) is ignored, and so is the verdict flag it came with: without this, a
  // superseded `passed` verdict would roll a newer `failed` one back.
  const olderVerdict =
    incoming.validation !== undefined &&
    existing.validation !== undefined &&
    compareTimestamps(incoming.validation.validated_at, existing.validation.validated_at) < 0;
  const flag =
    olderVerdict && incoming.governance_flag !== undefined && verdictFlags.includes(incoming.governance_flag)
      ? existing.governance_flag
      : (incoming.governance_flag ?? existing.governance_flag);
  let history: readonly GovernanceHistoryItem[] | undefined = existing.governance_history;
  if (existing.governance_flag !== undefined && flag !== existing.governance_flag) {
    history = [
      ...(history ?? []),
      { flag: existing.governance_flag, timestamp: existing.timestamp, run_id: existing.run_id },
    ];
  }
  const metrics =
    existing.metrics === undefined && incoming.metrics === undefined
      ? undefined
      : { ...existing.metrics, ...incoming.metrics };
  const updated: LedgerEntry = {
    run_id: existing.run_id,
    tag: existing.tag,
    sha: existing.sha,
    artifact_url: incoming.artifact_url,
    actor: existing.actor,
    timestamp: incoming.timestamp,
    status: incoming.status,
    ...(flag === undefined ? {} : { governance_flag: flag }),
    ...((existing.release_url ?? incoming.release_url)
      ? { release_url: (existing.release_url ?? incoming.release_url) as string }
      : {}),
    ...(incoming.failure_reason === undefined ? {} : { failure_reason: incoming.failure_reason }),
    ...(history === undefined ? {} : { governance_history: history }),
    ...((incoming.provenance ?? existing.provenance)
      ? { provenance: (incoming.provenance ?? existing.provenance)! }
      : {}),
    ...((olderVerdict ? existing.validation : (incoming.validation ?? existing.validation))
      ? { validation: (olderVerdict ? existing.validation : (incoming.validation ?? existing.validation))! }
      : {}),
    ...(metrics === undefined ? {} : { metrics }),
  };
  return canonicalEntry(updated);
}

/**
 * Applies the merge rule: a new key is inserted in order into the day file of its timestamp; an
 * older timestamp is stale; otherwise the entry is updated in the file that already holds it.
 * @throws ConflictError `LEDGER_CONFLICT` when `sha`, `actor` or `release_url` differ for the key
 */
export function applyMergeRule(
  days: readonly ManifestDay[],
  incoming: LedgerEntry,
  options: MergeOptions = {},
): MergeResult {
  let found: { day: ManifestDay; index: number } | undefined;
  for (const day of days) {
    // compares the key's parts: building entryKey() for every entry of every day allocates
    const index = day.entries.findIndex((e) => e.run_id === incoming.run_id && e.tag === incoming.tag);
    if (index !== -1) {
      found = { day, index };
      break;
    }
  }
  const clean = canonicalEntry(incoming);

  if (found === undefined) {
    const path = manifestPathFor(clean, options.reportsDir ?? DEFAULT_REPORTS_DIR);
    const entry = withLockWait(clean, options.lockWaitS);
    const day = days.find((d) => d.path === path);
    // the entry is canonical: a list of canonical entries stays one (the serialiser skips its walk)
    const entries = keepMark(day?.entries ?? [], insertSorted(day?.entries ?? [], entry, compareEntries));
    return { outcome: 'inserted', path, entry, files: [{ path, entries, text: serializeManifest(entries) }] };
  }

  const { day, index } = found;
  const existing = day.entries[index]!;
  const conflicts = conflictsOf(existing, clean);
  if (conflicts.length > 0) {
    throw new ConflictError(
      'LEDGER_CONFLICT',
      `${incoming.tag} run ${incoming.run_id} is already in ${day.path} with a different ${conflicts.map((c) => c.field).join(', ')}`,
      { details: { tag: incoming.tag, run_id: incoming.run_id, path: day.path, conflicts } },
    );
  }
  if (compareTimestamps(clean.timestamp, existing.timestamp) < 0) {
    return { outcome: 'stale', path: day.path, entry: existing, previous: existing, files: [] };
  }
  const merged = updateEntry(existing, clean);
  if (same(merged, canonicalEntry(existing))) {
    return { outcome: 'unchanged', path: day.path, entry: existing, previous: existing, files: [] };
  }
  const entry = withLockWait(merged, options.lockWaitS);
  const entries = keepMark(
    day.entries,
    day.entries.map((e, i) => (i === index ? entry : e)),
  );
  return {
    outcome: 'updated',
    path: day.path,
    entry,
    previous: existing,
    files: [{ path: day.path, entries, text: serializeManifest(entries) }],
  };
}

/** `next` (old entries plus one canonical entry) is marked canonical when `old` was (or was empty). */
function keepMark(old: readonly LedgerEntry[], next: LedgerEntry[]): readonly LedgerEntry[] {
  return old.length === 0 || isMarkedCanonical(old) ? markCanonical(next) : next;
}
