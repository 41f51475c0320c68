// Reads every day file of the ledger, from a work tree or from a commit, with its exact bytes and
// SHA-256 (the value `Manifest-Sha256` trailers carry). Used by record, check, validate and ingest.
// Every read is bounded (docs/limits.md): symlinks, FIFOs and devices are refused and never
// followed or opened for reading, sizes are checked before bytes are read (`git cat-file
// --batch-check` for blobs), and the text is checked by the strict parser before it is parsed.
import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { admitWithinBudget } from '../core/input/byte-budget.js';
import { limits, otherLimits } from '../core/input/limits.js';
import { parseCanonicalJson } from '../core/ledger-trust/canonical-json.js';
import {
  DEFAULT_REPORTS_DIR,
  manifestDayOf,
  manifestFromValue,
  type LedgerEntry,
} from '../core/ledger/entry.js';
import { SlsaLedgerError, ValidationError, isSlsaLedgerError, type ErrorCode } from '../errors.js';
import { inputFileError, readInputFile } from './files.js';
import { listTree, readObjects, runGit, type TreeEntry } from './git.js';

/** One day file, as stored: repo-relative `path` (with `/`), bytes and their SHA-256 (hex). */
export interface RawLedgerFile {
  readonly path: string;
  readonly bytes: Buffer;
  readonly sha256: string;
}

/** One day file, parsed. */
export interface LedgerFile extends RawLedgerFile {
  readonly entries: LedgerEntry[];
}

export interface LedgerReadOptions {
  /** the reports folder, relative to the repository root (default `docs/reports`) */
  readonly reportsDir?: string;
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function reportsDirOf(options: LedgerReadOptions): string {
  return (options.reportsDir ?? DEFAULT_REPORTS_DIR).replace(/^\.\//, '').replace(/\/+$/, '');
}

/** A day file that was not read: a symlink, FIFO or device, over a limit, or unreadable. */
export interface RefusedLedgerFile {
  readonly path: string;
  readonly code: ErrorCode;
  readonly message: string;
}

/** The day files read and the ones refused, each sorted by path. */
export interface BoundedLedgerRead {
  readonly files: RawLedgerFile[];
  readonly refused: RefusedLedgerFile[];
}

const DAY_FILE_MAX_BYTES = limits.dayFile.maxBytes;

function refusal(path: string, error: unknown): RefusedLedgerFile {
  if (isSlsaLedgerError(error)) return { path, code: error.code, message: error.message };
  return { path, code: 'INPUT_FILE_UNREADABLE', message: `cannot read ${path}: ${(error as Error).message}` };
}

/**
 * Every day file of a work tree (`dir` is the repository root), bounded: the reports folder and
 * each day folder must be real directories (a symlink is refused, never followed), and each
 * `manifest.json` is opened with `O_NOFOLLOW | O_NONBLOCK` and must be a regular file within the
 * day-file byte limit (docs/limits.md). Refusals are returned, one per file, never thrown.
 * @throws `INPUT_FILE_NOT_REGULAR` when the reports folder itself is not a directory
 */
export async function readLedgerDirBounded(
  dir: string,
  options: LedgerReadOptions = {},
): Promise<BoundedLedgerRead> {
  const reportsDir = reportsDirOf(options);
  const top = join(dir, reportsDir);
  try {
    const info = await lstat(top);
    if (!info.isDirectory()) {
      throw new SlsaLedgerError(
        'INPUT_FILE_NOT_REGULAR',
        `ledger folder ${top} is ${info.isSymbolicLink() ? 'a symbolic link' : 'not a directory'}: not followed`,
        { details: { path: top } },
      );
    }
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return { files: [], refused: [] };
    if (isSlsaLedgerError(error)) throw error;
    throw inputFileError(top, 'ledger folder', error);
  }
  let days: Dirent[];
  try {
    days = await readdir(top, { withFileTypes: true });
  } catch (error) {
    throw inputFileError(top, 'ledger folder', error);
  }
  const files: RawLedgerFile[] = [];
  const refused: RefusedLedgerFile[] = [];
  let total = 0; // bytes read so far: files past `ledgerReadBytes` together are refused unread
  for (const day of days.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = `${reportsDir}/${day.name}/manifest.json`;
    if (manifestDayOf(path, reportsDir) === undefined) continue;
    if (!day.isDirectory()) {
      if (day.isSymbolicLink()) {
        refused.push({
          path,
          code: 'INPUT_FILE_NOT_REGULAR',
          message: `day folder ${reportsDir}/${day.name} is a symbolic link: not followed`,
        });
      }
      continue;
    }
    try {
      const left = otherLimits.ledgerReadBytes - total;
      const bytes = await readInputFile(join(dir, path), 'day file', {
        maxBytes: Math.min(DAY_FILE_MAX_BYTES, left),
      });
      total += bytes.length;
      files.push({ path, bytes, sha256: sha256Hex(bytes) });
    } catch (error) {
      if (isSlsaLedgerError(error) && error.code === 'INPUT_FILE_MISSING') continue;
      const overTotal =
        isSlsaLedgerError(error) &&
        error.code === 'INPUT_TOO_LARGE' &&
        total + DAY_FILE_MAX_BYTES > otherLimits.ledgerReadBytes;
      refused.push(
        overTotal
          ? {
              path,
              code: 'INPUT_TOO_LARGE',
              message: `day file ${path} not read: the day files before it hold ${total} bytes, and all together may hold at most ${otherLimits.ledgerReadBytes}`,
            }
          : refusal(path, error),
      );
    }
  }
  return { files, refused };
}

/**
 * Every day file's bytes in a work tree (`dir` is the repository root), sorted by path.
 * @throws the first refusal of `readLedgerDirBounded` (`INPUT_FILE_NOT_REGULAR`, `INPUT_TOO_LARGE`,
 *   `INPUT_FILE_UNREADABLE`)
 */
export async function readRawLedgerFromDir(
  dir: string,
  options: LedgerReadOptions = {},
): Promise<RawLedgerFile[]> {
  const read = await readLedgerDirBounded(dir, options);
  throwFirst(read.refused);
  return read.files;
}

function throwFirst(refused: readonly RefusedLedgerFile[]): void {
  const first = refused[0];
  if (first !== undefined) {
    throw new SlsaLedgerError(first.code, first.message, { details: { path: first.path } });
  }
}

/** A blob named in a tree or a diff: its id and git mode. */
export interface BlobRef {
  readonly oid: string;
  readonly mode: string;
  /** names the blob in messages */
  readonly what: string;
}

export type BlobRead =
  | { readonly kind: 'ok'; readonly bytes: Buffer }
  | { readonly kind: 'refused'; readonly code: ErrorCode; readonly message: string };

/** Git modes of regular files; 120000 (symlink) and 160000 (submodule) are refused, never read. */
const REGULAR_MODES = new Set(['100644', '100755', '100664']);

/** `git cat-file --batch-check` of object ids: type and size, without reading the contents. */
export async function objectSizes(
  cwd: string,
  oids: readonly string[],
): Promise<Map<string, { type: string; size: number }>> {
  const unique = [...new Set(oids)].filter((o) => /^[0-9a-f]{40,64}$/.test(o));
  const out = new Map<string, { type: string; size: number }>();
  if (unique.length === 0) return out;
  const { stdout } = await runGit(['cat-file', '--batch-check'], { cwd, input: `${unique.join('\n')}\n` });
  for (const line of stdout.toString('utf8').split('\n')) {
    const [oid = '', type = '', size = ''] = line.split(' ');
    if (type === 'missing' || size === '') continue;
    out.set(oid, { type, size: Number(size) });
  }
  return out;
}

/** Bytes a `git cat-file --batch` call may return at once (several blobs within the day-file limit). */
const BATCH_BYTES = 64 * 1024 * 1024;

/**
 * Reads blobs within `maxBytes` each and `totalBytes` together: the mode must be a regular file's (a
 * symlink's target is never read, so it cannot leak into a message), the sizes are checked with
 * `--batch-check` before anything is read (past the total, the largest are refused:
 * `admitWithinBudget`), and the reads go in batches of at most 64 MiB. Each blob is `ok` or
 * `refused`, in order.
 */
export async function readBlobsBounded(
  cwd: string,
  refs: readonly BlobRef[],
  maxBytes: number = DAY_FILE_MAX_BYTES,
  totalBytes: number = otherLimits.ledgerReadBytes,
): Promise<BlobRead[]> {
  const results: (BlobRead | undefined)[] = refs.map(() => undefined);
  const sizes = await objectSizes(
    cwd,
    refs.filter((r) => REGULAR_MODES.has(r.mode)).map((r) => r.oid),
  );
  let wanted: { index: number; oid: string; size: number }[] = [];
  refs.forEach((ref, index) => {
    if (!REGULAR_MODES.has(ref.mode)) {
      const kind =
        ref.mode === '120000'
          ? 'a symbolic link'
          : ref.mode === '160000'
            ? 'a submodule'
            : ref.mode === '040000'
              ? 'a directory'
              : `of git mode ${ref.mode.replace(/[^0-7]/g, '').slice(0, 6)}`;
      results[index] = {
        kind: 'refused',
        code: 'INPUT_FILE_NOT_REGULAR',
        message: `${ref.what} is ${kind} in git, not a regular file: not followed`,
      };
      return;
    }
    const info = sizes.get(ref.oid);
    if (info === undefined || info.type !== 'blob') {
      results[index] = {
        kind: 'refused',
        code: 'INPUT_FILE_UNREADABLE',
        message: `${ref.what} (${ref.oid.slice(0, 12)}) is not a blob of this repository`,
      };
      return;
    }
    if (info.size > maxBytes) {
      results[index] = {
        kind: 'refused',
        code: 'INPUT_TOO_LARGE',
        message: `${ref.what} is ${info.size} bytes, more than the limit of ${maxBytes}: not read`,
      };
      return;
    }
    wanted.push({ index, oid: ref.oid, size: info.size });
  });
  const admitted = admitWithinBudget(
    wanted.map((w) => w.size),
    totalBytes,
  );
  if (admitted.includes(false)) {
    const sum = wanted.reduce((n, w) => n + w.size, 0);
    wanted.forEach((w, i) => {
      if (admitted[i] === true) return;
      results[w.index] = {
        kind: 'refused',
        code: 'INPUT_TOO_LARGE',
        message: `${refs[w.index]!.what} (${w.size} bytes) not read: the day files of this read hold ${sum} bytes together, more than the limit of ${totalBytes} (the smallest are read first)`,
      };
    });
    wanted = wanted.filter((_, i) => admitted[i] === true);
  }
  let at = 0;
  while (at < wanted.length) {
    let total = 0;
    let end = at;
    while (end < wanted.length && (end === at || total + wanted[end]!.size <= BATCH_BYTES)) {
      total += wanted[end]!.size;
      end += 1;
    }
    const chunk = wanted.slice(at, end);
    const blobs = await readObjects(
      cwd,
      chunk.map((w) => w.oid),
    );
    chunk.forEach((w, i) => {
      const bytes = blobs[i];
      results[w.index] =
        bytes === undefined
          ? {
              kind: 'refused',
              code: 'INPUT_FILE_UNREADABLE',
              message: `${refs[w.index]!.what} could not be read`,
            }
          : { kind: 'ok', bytes };
    });
    at = end;
  }
  return results.map((r) => r!);
}

/**
 * Every day file at `commit`, bounded: regular files only (a symlink in the tree is refused, its
 * target never read), each within the day-file byte limit before it is read. Sorted by path.
 */
export async function readLedgerAtCommit(
  repoDir: string,
  commit: string,
  options: LedgerReadOptions & {
    readonly only?: ReadonlySet<string>;
    /** the listing of the reports folder at `commit`, when the caller has it */
    readonly listing?: readonly TreeEntry[];
  } = {},
): Promise<BoundedLedgerRead> {
  const reportsDir = reportsDirOf(options);
  const tree = (options.listing ?? (await listTree(repoDir, commit, reportsDir))).filter(
    (t) =>
      t.type !== 'tree' &&
      manifestDayOf(t.path, reportsDir) !== undefined &&
      (options.only === undefined || options.only.has(t.path)),
  );
  tree.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const reads = await readBlobsBounded(
    repoDir,
    tree.map((t) => ({ oid: t.oid, mode: t.mode, what: `day file ${t.path}` })),
  );
  const files: RawLedgerFile[] = [];
  const refused: RefusedLedgerFile[] = [];
  tree.forEach((t, i) => {
    const r = reads[i]!;
    if (r.kind === 'ok') files.push({ path: t.path, bytes: r.bytes, sha256: sha256Hex(r.bytes) });
    else refused.push({ path: t.path, code: r.code, message: r.message });
  });
  return { files, refused };
}

/**
 * Every day file's bytes at `commit` of the repository at `repoDir`, sorted by path.
 * @throws the first refusal of `readLedgerAtCommit` (`INPUT_FILE_NOT_REGULAR`, `INPUT_TOO_LARGE`)
 */
export async function readRawLedgerFromCommit(
  repoDir: string,
  commit: string,
  options: LedgerReadOptions = {},
): Promise<RawLedgerFile[]> {
  const read = await readLedgerAtCommit(repoDir, commit, options);
  throwFirst(read.refused);
  return read.files;
}

/**
 * The JSON value of a day file within the day-file limits (bytes, depth, string and array lengths,
 * duplicate and case-variant keys). A canonical file (the bytes the writers write) is parsed by
 * `JSON.parse` and proved canonical by re-serialising it, which no text with a duplicate key
 * survives; any other text goes through the strict scanner, which decides and words the error
 * (`parseCanonicalJson`: ~3× faster than scanning every file).
 * @throws `INPUT_TOO_LARGE`, `INPUT_LIMIT_EXCEEDED`, `INPUT_JSON_DUPLICATE_KEY`, `INPUT_JSON_MALFORMED`
 */
export function dayFileValue(file: Pick<RawLedgerFile, 'path' | 'bytes'>): unknown {
  return parseCanonicalJson(file.bytes, 'dayFile', `day file ${file.path}`);
}

/**
 * Parses raw day files.
 * @throws ValidationError `LEDGER_MANIFEST_INVALID` for the first file that is not a valid manifest
 */
export function parseLedgerFiles(files: readonly RawLedgerFile[]): LedgerFile[] {
  return files.map((f) => ({ ...f, entries: parseDayFileStrict(f) }));
}

/**
 * Parses one day file with the full strict parser (every day-file limit, duplicate keys refused),
 * then against the entry schema: the readers' parse (`check`, `ingest`, `validate --repo`). The
 * writers use `parseDayFileStrict` of entry.ts, cheaper and enough for the files they rewrite.
 * @throws ValidationError `LEDGER_MANIFEST_INVALID` (a limit broken, not JSON, or a bad entry)
 */
export function parseDayFileStrict(file: Pick<RawLedgerFile, 'path' | 'bytes'>): LedgerEntry[] {
  let value: unknown;
  try {
    value = dayFileValue(file);
  } catch (error) {
    if (!isSlsaLedgerError(error)) throw error;
    throw new ValidationError('LEDGER_MANIFEST_INVALID', `manifest ${file.path}: ${error.message}`, {
      cause: error,
      details: { path: file.path, reason: error.code, problems: [{ path: '', message: error.message }] },
    });
  }
  return manifestFromValue(value, file.path);
}

/**
 * Reads and parses every manifest of the ledger in a clone's work tree.
 * @throws `LEDGER_MANIFEST_INVALID`, `INPUT_FILE_UNREADABLE`
 */
export async function readLedgerFromDir(dir: string, options: LedgerReadOptions = {}): Promise<LedgerFile[]> {
  return parseLedgerFiles(await readRawLedgerFromDir(dir, options));
}

/**
 * Reads and parses every manifest of the ledger at a commit (`git ls-tree` + `git cat-file`).
 * @throws `LEDGER_MANIFEST_INVALID`, `LEDGER_GIT_FAILED`
 */
export async function readLedgerFromCommit(
  repoDir: string,
  commit: string,
  options: LedgerReadOptions = {},
): Promise<LedgerFile[]> {
  return parseLedgerFiles(await readRawLedgerFromCommit(repoDir, commit, options));
}
