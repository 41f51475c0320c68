// Where signed transitions and VSAs live (docs/trust.md "Storage layout"): beside each day file,
// one append-only JSON Lines log per kind of document,
//   docs/reports/<day>/manifest.json      the entries (as before)
//   docs/reports/<day>/transitions.jsonl  one Sigstore bundle per line: every signed change to an entry of that day file
//   docs/reports/<day>/vsa.jsonl          one Sigstore bundle per line: every signed VSA of a verdict on an entry of that file
// A log only ever grows by whole lines at its end; a writer appends exactly the lines of its commit.
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

/** The day file a log belongs to, or undefined when `path` is not a log of ours. */
export function dayPathOfLog(path: string): string | undefined {
  for (const name of [TRANSITIONS_FILE, VSA_FILE]) {
    if (path.endsWith(`/${name}`)) return `${path.slice(0, -name.length)}${DAY_FILE}`;
  }
  return undefined;
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
