// Where signed transitions and VSAs live (docs/trust.md "Storage layout"): beside each day file,
// one append-only JSON Lines log per kind of document, stored in segments,
//   docs/reports/<day>/manifest.json          the entries (as before)
//   docs/reports/<day>/transitions.jsonl      segment 1 of the day's transitions: one Sigstore bundle per line
//   docs/reports/<day>/transitions.<n>.jsonl  segment n (2, 3, …): the log goes on here once segment n-1 is full
//   docs/reports/<day>/vsa.jsonl, vsa.<n>.jsonl   the same for the signed VSAs of verdicts
// A log is its segments in order. Only its last segment ever grows, by whole lines at its end; a
// writer appends exactly the lines of its commit, and starts segment n+1 once segment n holds
// `ledgerLogSegmentBytes` (or ends in an incomplete line), so no write reads or rewrites more than
// one segment, however many changes the day holds.
import { SlsaLedgerError } from '../../errors.js';
import { otherLimits } from '../input/limits.js';
import { parseCanonicalJson } from './canonical-json.js';

export const TRANSITIONS_FILE = 'transitions.jsonl';
export const VSA_FILE = 'vsa.jsonl';
const DAY_FILE = 'manifest.json';

function sibling(dayPath: string, name: string): string {
  if (!dayPath.endsWith(`/${DAY_FILE}`)) {
    throw new SlsaLedgerError('INTERNAL', `not a day file path: ${dayPath}`);
  }
  return `${dayPath.slice(0, -DAY_FILE.length)}${name}`;
}

/** `docs/reports/2025-11-24/manifest.json` → `docs/reports/2025-11-24/transitions.jsonl`. */
export function transitionsPathFor(dayPath: string): string {
  return sibling(dayPath, TRANSITIONS_FILE);
}

/** `docs/reports/2025-11-24/manifest.json` → `docs/reports/2025-11-24/vsa.jsonl`. */
export function vsaPathFor(dayPath: string): string {
  return sibling(dayPath, VSA_FILE);
}

export type LogKind = 'transitions' | 'vsa';

/** One segment of a day's log: its path, its number (1: `transitions.jsonl`) and its text. */
export interface LogSegment {
  readonly path: string;
  readonly n: number;
  /** undefined: present, but over its limit, so not read */
  readonly text: string | undefined;
  /** why it was not read, when the reader says more than "over the limits" (the finding's words) */
  readonly unread?: string;
}

/** A log as the audit takes it: one text (segment 1 alone), or its segments. */
export type LogInput = string | readonly LogSegment[] | undefined;

/**
 * Segment `n` of a day's log: 1 is `transitions.jsonl` (`vsa.jsonl`), n ≥ 2 `transitions.<n>.jsonl`.
 */
export function logSegmentPath(dayPath: string, kind: LogKind, n: number): string {
  if (!Number.isSafeInteger(n) || n < 1 || n > otherLimits.ledgerLogSegments) {
    throw new SlsaLedgerError('INTERNAL', `no log segment ${n}`);
  }
  return sibling(dayPath, n === 1 ? `${kind}.jsonl` : `${kind}.${n}.jsonl`);
}

const SEGMENT_NAME = /^(transitions|vsa)(?:\.([1-9][0-9]{0,5}))?\.jsonl$/;

/**
 * What a path is as a log segment: its day file, kind and number; undefined when it is not a
 * segment of ours (`transitions.1.jsonl`, `transitions.007.jsonl` and numbers over
 * `ledgerLogSegments` are not: segment 1 has one name only).
 */
export function logSegmentOf(
  path: string,
): { readonly day: string; readonly kind: LogKind; readonly n: number } | undefined {
  const slash = path.lastIndexOf('/');
  const m = SEGMENT_NAME.exec(path.slice(slash + 1));
  if (m === null || slash === -1) return undefined;
  const n = m[2] === undefined ? 1 : Number(m[2]);
  if (n === 1 && m[2] !== undefined) return undefined;
  if (n > otherLimits.ledgerLogSegments) return undefined;
  return { day: `${path.slice(0, slash + 1)}${DAY_FILE}`, kind: m[1] as LogKind, n };
}

/** The day file a log segment belongs to, or undefined when `path` is not a log of ours. */
export function dayPathOfLog(path: string): string | undefined {
  return logSegmentOf(path)?.day;
}

/** A log's segments in order (a text is segment 1). */
export function logSegments(dayPath: string, kind: LogKind, log: LogInput): readonly LogSegment[] {
  if (log === undefined) return [];
  if (typeof log === 'string') return [{ path: logSegmentPath(dayPath, kind, 1), n: 1, text: log }];
  return [...log].sort((a, b) => a.n - b.n);
}

/** The segment numbers a log lacks below its last one (a segment removed, or never written). */
export function missingSegments(segments: readonly LogSegment[]): number[] {
  const have = new Set(segments.map((s) => s.n));
  const last = Math.max(0, ...have);
  const missing: number[] = [];
  for (let n = 1; n < last && missing.length < 100; n++) if (!have.has(n)) missing.push(n);
  return missing;
}

/**
 * Where a writer appends to a day's log, given its last segment at the head it builds on (undefined:
 * the day has no log yet; `text` undefined: the segment is over the bound it was read within): that
 * segment while it holds less than `ledgerLogSegmentBytes` and ends in a whole line, else a new
 * segment after it (a pusher's planted segment, huge or cut short, is never appended to).
 */
export function appendTarget(
  dayPath: string,
  kind: LogKind,
  last: { readonly n: number; readonly size: number; readonly text: string | undefined } | undefined,
): { readonly path: string; readonly text: string | undefined } {
  if (last === undefined) return { path: logSegmentPath(dayPath, kind, 1), text: undefined };
  const { text } = last;
  if (
    text !== undefined &&
    last.size < otherLimits.ledgerLogSegmentBytes &&
    (text === '' || text.endsWith('\n'))
  ) {
    return { path: logSegmentPath(dayPath, kind, last.n), text };
  }
  return nextSegment(dayPath, kind, last.n);
}

/** The segment after `n` (refused past `ledgerLogSegments`: the day's log is full). */
export function nextSegment(
  dayPath: string,
  kind: LogKind,
  n: number,
): { readonly path: string; readonly text: undefined } {
  if (n >= otherLimits.ledgerLogSegments) {
    throw new SlsaLedgerError(
      'INPUT_TOO_LARGE',
      `the ${kind} log of ${dayPath} has ${n} segments, the limit; nothing more can be appended to it`,
      { details: { path: dayPath, segments: n, limit: otherLimits.ledgerLogSegments } },
    );
  }
  return { path: logSegmentPath(dayPath, kind, n + 1), text: undefined };
}

/** One line of a log: compact JSON of the bundle and `\n`. */
export function serializeLogLine(bundle: unknown): string {
  return `${JSON.stringify(bundle)}\n`;
}

/** The log after appending lines (the writer's only way to change a log). */
export function appendLogLines(existing: string | undefined, lines: readonly string[]): string {
  const base = existing ?? '';
  if (base !== '' && !base.endsWith('\n')) {
    throw new SlsaLedgerError('INTERNAL', 'cannot append to a log whose last line is incomplete');
  }
  for (const line of lines) {
    if (!line.endsWith('\n') || line.indexOf('\n') !== line.length - 1) {
      throw new SlsaLedgerError('INTERNAL', 'a log line is one line ending in \\n');
    }
  }
  return base + lines.join('');
}

/** A parsed line: its 1-based number, the exact text (without `\n`) and the parsed bundle. */
export interface LogLine {
  readonly line: number;
  readonly text: string;
  readonly bundle: unknown;
}

export interface LogProblem {
  /** 1-based line; 0 for the file as a whole */
  readonly line: number;
  readonly message: string;
}

export interface ParsedLog {
  readonly lines: readonly LogLine[];
  readonly problems: readonly LogProblem[];
}

/**
 * Parses a log: at most `ledgerLogBytes` and `ledgerLogLines` (docs/limits.md), every line strict,
 * bounded JSON (profile `transitionLine`), the last line complete. A bad line is a problem and the
 * others are still read: one bad line never hides the rest.
 */
export function parseLedgerLog(text: string, path: string): ParsedLog {
  const problems: LogProblem[] = [];
  const lines: LogLine[] = [];
  if (text.length > otherLimits.ledgerLogBytes) {
    return {
      lines,
      problems: [
        {
          line: 0,
          message: `${path} is ${text.length} characters, more than the limit of ${otherLimits.ledgerLogBytes}`,
        },
      ],
    };
  }
  let start = 0;
  let n = 0;
  while (start < text.length) {
    n += 1;
    if (n > otherLimits.ledgerLogLines) {
      problems.push({
        line: n,
        message: `${path} has more than ${otherLimits.ledgerLogLines} lines; the rest is not read`,
      });
      break;
    }
    const end = text.indexOf('\n', start);
    if (end === -1) {
      problems.push({ line: n, message: `${path} line ${n} is incomplete (no final newline)` });
      break;
    }
    const lineText = text.slice(start, end);
    start = end + 1;
    try {
      lines.push({
        line: n,
        text: lineText,
        bundle: parseCanonicalJson(lineText, 'transitionLine', `${path} line ${n}`),
      });
    } catch (error) {
      problems.push({ line: n, message: (error as Error).message });
    }
  }
  return { lines, problems };
}

export type AppendCheck =
  | { readonly ok: true; /** the appended text (whole lines) */ readonly appended: string }
  | { readonly ok: false; readonly reason: string };

/**
 * Whether `after` only appends whole lines to `before` (undefined: the file is absent). Removing
 * the file, changing or removing any byte of it, or leaving an incomplete last line is not.
 */
export function checkAppendOnly(before: string | undefined, after: string | undefined): AppendCheck {
  if (after === undefined) {
    return before === undefined || before === ''
      ? { ok: true, appended: '' }
      : { ok: false, reason: 'the log was deleted' };
  }
  const base = before ?? '';
  if (!after.startsWith(base)) {
    let at = 0;
    while (at < base.length && at < after.length && base.charCodeAt(at) === after.charCodeAt(at)) at++;
    const line = base.slice(0, at).split('\n').length;
    return { ok: false, reason: `line ${line} was changed or removed (the log must only grow at its end)` };
  }
  const appended = after.slice(base.length);
  if (appended !== '' && !appended.endsWith('\n'))
    return { ok: false, reason: 'the last line is incomplete' };
  if (base !== '' && !base.endsWith('\n') && appended !== '')
    return { ok: false, reason: 'a line was extended' };
  return { ok: true, appended };
}
