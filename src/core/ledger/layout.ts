// What the writers write under the reports folder, and what they never write (`check`'s
// CHECK_UNEXPECTED_PATH). The ledger's own part of the folder is every day folder
// (`<YYYY-MM-DD>/`), the key index (`index/`), and every path whose name, compared without case,
// is one of the ledger's file names. There the writers write exactly:
//   <day>/manifest.json                       the day file (a real calendar day)
//   <day>/transitions[.<n>].jsonl, vsa[.<n>].jsonl   the day's signed logs (ledger-trust/storage)
//   index/VERSION, index/LAST, index/<xx>.json   the key index (key-index.ts)
// Anything else there is planted: no reader reads it and nothing audits its content, yet a person
// browsing the repository sees it, and a case variant (`Manifest.json` beside `manifest.json`)
// becomes the day file itself in a checkout on a case-insensitive file system (macOS, Windows),
// where git keeps only one of the two names. The rest of the folder (a README, a team's own
// reports in other folders) is not the ledger's and is left alone.
import { logSegmentOf } from '../ledger-trust/storage.js';
import { manifestDayOf } from './entry.js';
import { pathHasControlCharacter } from './location.js';

const DAY_SHAPE = /^\d{4}-\d{2}-\d{2}$/;
const SHARD = /^[0-9a-f]{2}\.json$/;
const INDEX_NAMES: ReadonlySet<string> = new Set(['VERSION', 'LAST']);
const INDEX_NAMES_FOLDED: ReadonlySet<string> = new Set([...INDEX_NAMES].map((n) => n.toLowerCase()));
/** Names of the ledger's files, lower-case; also the queue branch's, which the ledger never holds. */
const LEDGER_NAME = /^(?:manifest\.json|manifest-queue\.json|(?:transitions|vsa)(?:\.[0-9]+)?\.jsonl)$/;

/**
 * Why a path is one no writer writes in the ledger's part of the reports folder; undefined when a
 * writer writes it, or when it is outside the ledger's part. A path under a case variant of the
 * reports folder itself (`docs/Reports/…`) is judged as if under the folder, since that is where a
 * checkout on a case-insensitive file system puts it.
 */
export function unexpectedLedgerPath(path: string, reportsDir: string): string | undefined {
  const prefix = `${reportsDir.replace(/\/+$/, '')}/`;
  const head = path.slice(0, prefix.length);
  if (head.toLowerCase() !== prefix.toLowerCase()) return undefined;
  const parts = path.slice(prefix.length).split('/');
  const first = parts[0] ?? '';
  const last = parts[parts.length - 1] ?? '';
  const ours =
    DAY_SHAPE.test(first) ||
    first.toLowerCase() === 'index' ||
    LEDGER_NAME.test(last.toLowerCase()) ||
    pathHasControlCharacter(path);
  if (!ours) return undefined;
  if (head !== prefix)
    return `its folder differs only in case from the reports folder ${reportsDir}: a checkout on a case-insensitive file system (macOS, Windows) puts it among the ledger's files`;
  if (isWritten(parts, reportsDir)) return undefined;
  if (pathHasControlCharacter(path)) return 'its path holds a control character';
  if (
    parts.length === 2 &&
    DAY_SHAPE.test(first) &&
    manifestDayOf(`${prefix}${first}/manifest.json`, reportsDir) === undefined
  )
    return `${first} is not a calendar day: nothing under it is read or audited`;
  if (
    isWritten(
      parts.map((p) => p.toLowerCase()),
      reportsDir,
      true,
    )
  )
    return 'it differs only in case from a ledger file: a checkout on a case-insensitive file system (macOS, Windows) keeps one of the two, so the working tree can show this file in place of the real one';
  return 'no writer writes this path: it is neither read nor audited';
}

/** A path (as parts under the reports folder) a writer writes; `folded`: compared without case. */
function isWritten(parts: readonly string[], reportsDir: string, folded = false): boolean {
  if (parts.length !== 2) return false;
  const [folder = '', name = ''] = parts;
  if (folder === 'index') return (folded ? INDEX_NAMES_FOLDED : INDEX_NAMES).has(name) || SHARD.test(name);
  const path = `${reportsDir.replace(/\/+$/, '')}/${folder}/${name}`;
  if (manifestDayOf(path, reportsDir) !== undefined) return true;
  const log = logSegmentOf(path);
  return log !== undefined && manifestDayOf(log.day, reportsDir) !== undefined;
}

/**
 * The paths a tree listing names more than once, each once, in the listing's order. git writes one
 * entry per name in a tree (fsck's `duplicateEntries`), but `hash-object --literally` or a
 * hand-made tree object can hold two: `<commit>:<path>` then answers with the first, a checkout and
 * a map of the listing keep the second, so two readers of one commit would read two ledgers.
 */
export function pathsNamedTwice(paths: Iterable<string>): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const p of paths) {
    if (seen.has(p)) twice.add(p);
    else seen.add(p);
  }
  return [...twice];
}

/** Why a path named twice in one tree is a finding (`CHECK_UNEXPECTED_PATH`) and never read. */
export const NAMED_TWICE =
  'named twice in its tree (a tree no git command writes): git answers a read with the first entry, a checkout keeps the second, so neither copy is read as the ledger';
