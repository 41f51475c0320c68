// Reads every day file of the ledger, from a work tree or from a commit, with its exact bytes and
// SHA-256 (the value `Manifest-Sha256` trailers carry). Used by record, check, validate and ingest.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_REPORTS_DIR, manifestDayOf, parseManifest, type LedgerEntry } from '../core/ledger/entry.js';
import { inputFileError } from './files.js';
import { listTree, readObjects } from './git.js';

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

/** Every day file's bytes in a work tree (`dir` is the repository root), sorted by path. */
export async function readRawLedgerFromDir(
  dir: string,
  options: LedgerReadOptions = {},
): Promise<RawLedgerFile[]> {
  const reportsDir = reportsDirOf(options);
  let days: string[];
  try {
    days = (await readdir(join(dir, reportsDir), { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return [];
    throw inputFileError(join(dir, reportsDir), 'ledger folder', error);
  }
  const files: RawLedgerFile[] = [];
  for (const day of days.sort()) {
    const path = `${reportsDir}/${day}/manifest.json`;
    if (manifestDayOf(path, reportsDir) === undefined) continue;
    let bytes: Buffer;
    try {
      bytes = await readFile(join(dir, path));
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') continue;
      throw inputFileError(join(dir, path), 'manifest', error);
    }
    files.push({ path, bytes, sha256: sha256Hex(bytes) });
  }
  return files;
}

/** Every day file's bytes at `commit` of the repository at `repoDir`, sorted by path. */
export async function readRawLedgerFromCommit(
  repoDir: string,
  commit: string,
  options: LedgerReadOptions = {},
): Promise<RawLedgerFile[]> {
  const reportsDir = reportsDirOf(options);
  const tree = (await listTree(repoDir, commit, reportsDir)).filter(
    (t) => t.type === 'blob' && manifestDayOf(t.path, reportsDir) !== undefined,
  );
  tree.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const blobs = await readObjects(
    repoDir,
    tree.map((t) => t.oid),
  );
  return tree.map((t, i) => {
    const bytes = blobs[i] ?? Buffer.alloc(0);
    return { path: t.path, bytes, sha256: sha256Hex(bytes) };
  });
}

/**
 * Parses raw day files.
 * @throws ValidationError `LEDGER_MANIFEST_INVALID` for the first file that is not a valid manifest
 */
export function parseLedgerFiles(files: readonly RawLedgerFile[]): LedgerFile[] {
  return files.map((f) => ({ ...f, entries: parseManifest(f.bytes.toString('utf8'), f.path) }));
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
