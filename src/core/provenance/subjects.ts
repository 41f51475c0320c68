import { SlsaLedgerError } from '../../errors.js';
import { escapeUnprintable } from '../text/unprintable.js';
import type { Subject } from './statement.js';

/** Control characters (line breaks and tabs too), format characters (bidi overrides, zero-width), line and paragraph separators. */
const UNFIT_IN_NAME = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
/** The ledger's limit of a subject name (`provenance.subjects[].name`, docs/ledger.md). */
const MAX_SUBJECT_NAME = 1024;

/**
 * Why a subject name cannot go into provenance, or undefined when it can. A name is shown in every
 * verdict and recorded in the ledger, whose schema refuses control characters: a file named with
 * a line break forged a line of attest's output (`  <sha256>  app.tgz` then anything), one with
 * U+202E shows another name than it has, and one with ESC was signed although the ledger's schema
 * refuses it (`provenance.subjects[].name`).
 */
export function checkSubjectName(name: string): string | undefined {
  if (name.trim() === '') return 'an empty name';
  if (name.length > MAX_SUBJECT_NAME)
    return `a name of ${name.length} characters (at most ${MAX_SUBJECT_NAME})`;
  if (UNFIT_IN_NAME.test(name))
    return `the name '${escapeUnprintable(name)}' holds a control or invisible character`;
  if (!(name as string & { isWellFormed(): boolean }).isWellFormed()) {
    return `the name '${escapeUnprintable(name)}' is not well-formed unicode`;
  }
  return undefined;
}

/** sha256sum's escaped name (a line starting with `\`): `\\` is a backslash, `\n` a line feed, `\r` a carriage return. */
function unescapeName(name: string): string | undefined {
  let bad = false;
  const out = name.replace(/\\(.?)/gs, (_m, c: string) => {
    if (c === '\\') return '\\';
    if (c === 'n') return '\n';
    if (c === 'r') return '\r';
    bad = true;
    return '';
  });
  return bad ? undefined : out;
}

/**
 * Parses `sha256sum` output: `<64 hex>  <name>` (text mode) or `<64 hex> *<name>` (binary mode), one
 * per line; blank lines are skipped. Every bad line is reported at once (INPUT_INVALID, naming the file).
 */
export function parseSha256Sums(text: string, source: string): Subject[] {
  const subjects: Subject[] = [];
  const problems: string[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    if (raw.trim() === '') continue;
    const match = /^(\\?)([0-9a-fA-F]{64}) [ *](.+)$/.exec(raw);
    if (match === null) {
      problems.push(`line ${i + 1}: expected '<sha256>  <name>'`);
      continue;
    }
    // GNU sha256sum escapes a name holding a backslash or a line break and marks the line with `\`
    // (every group of the expression takes part in a match)
    const [, marked, digest, written] = match as unknown as readonly [string, string, string, string];
    const name = marked === '' ? written : unescapeName(written);
    if (name === undefined) {
      problems.push(`line ${i + 1}: an escaped name with an unknown escape`);
      continue;
    }
    const unfit = checkSubjectName(name);
    if (unfit !== undefined) {
      problems.push(`line ${i + 1}: ${unfit}`);
      continue;
    }
    subjects.push({ name, sha256: digest.toLowerCase() });
  }
  if (problems.length > 0) {
    throw new SlsaLedgerError(
      'INPUT_INVALID',
      `${source} is not in sha256sum format: ${problems.slice(0, 3).join('; ')}`,
      {
        details: { path: source, problems },
      },
    );
  }
  if (subjects.length === 0) {
    throw new SlsaLedgerError('INPUT_INVALID', `${source} lists no subjects`, { details: { path: source } });
  }
  return subjects;
}
