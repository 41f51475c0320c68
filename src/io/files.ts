import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { lstat, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { limits as jsonLimits, type JsonLimits, type JsonLimitsName } from '../core/input/limits.js';
import { parseJson } from '../core/input/strict-json.js';
import { SlsaLedgerError } from '../errors.js';
import { redactFileData } from './redaction.js';

/** Default byte limit of `readInputFile` when the caller names none (docs/limits.md). */
export const DEFAULT_MAX_INPUT_BYTES = 64 * 1024 * 1024;

/**
 * Writes a file atomically: a temporary file in the same directory, fsync, rename, fsync of the
 * directory. A crash leaves either the old bytes or the new ones, never a truncated file. Only a
 * regular file (or nothing) at `path` is replaced: the rename would put a regular file in place of
 * a device (`--out /dev/null` as root), a FIFO, a socket, a directory or a symbolic link
 * (`/dev/stdout`), so those are refused and left as they are (`lstat`, not following a link).
 * @throws SlsaLedgerError `INPUT_FILE_NOT_REGULAR` (exit 3) for such a path; `OUTPUT_WRITE_FAILED`
 *   (a folder on the way that is a file, no permission, a read-only or full file system), each
 *   naming the path
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  mode = 0o644,
  /** a symbolic link at `path` is replaced (the link, never what it names): `init --force`, which vetted it */
  options: { readonly replaceSymlink?: boolean } = {},
): Promise<void> {
  // secrets never reach a file: text is redacted as the CLI's output is (src/io/redaction.ts)
  data = redactFileData(data);
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const info = await lstat(path).catch((error: unknown) => {
    if ((error as { code?: string }).code === 'ENOENT') return undefined;
    throw writeFailed(path, error);
  });
  if (info !== undefined && !info.isFile() && !(options.replaceSymlink === true && info.isSymbolicLink())) {
    throw new SlsaLedgerError(
      'INPUT_FILE_NOT_REGULAR',
      `output ${path} is ${fileKind(info)}, not a regular file: it is left as it is; name a regular file (what a command prints on stdout, if anything, is in its --help)`,
      { details: { path, kind: fileKind(info) } },
    );
  }
  try {
    // a folder that cannot be made (a file in its place) is the same coded error as a failed write
    await makeFolders(dir);
    const handle = await open(tmp, 'wx', mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (error) {
    // the temporary file may not exist, nor its folder (ENOTDIR under a file): the write's error counts
    await rm(tmp, { force: true }).catch(() => undefined);
    throw writeFailed(path, error);
  }
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // fsync of a directory is not supported everywhere; the rename itself is atomic
  }
}

/**
 * `mkdir -p`, one folder at a time, at most one `stat` and one `mkdir` per component. Node's
 * `mkdir(dir, { recursive: true })` retries forever where the kernel answers ENOENT under a parent
 * that exists (`/proc/self/fd/x`: init and `--out` spun the CPU); here that ENOENT is the answer.
 * Folders on the way may be links to folders, as with `mkdir -p`.
 */
export async function makeFolders(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let path = resolve(dir); ; path = dirname(path)) {
    const info = await stat(path).catch((error: unknown) => {
      if ((error as { code?: string }).code !== 'ENOENT' || dirname(path) === path) throw error;
      return undefined;
    });
    if (info === undefined) {
      missing.push(path);
      continue;
    }
    if (!info.isDirectory()) {
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${path}'`), { code: 'ENOTDIR' });
    }
    break;
  }
  for (const path of missing.reverse()) {
    await mkdir(path).catch((error: unknown) => {
      // made meanwhile by another writer: the next mkdir (or the write) finds out what it is
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
    });
  }
}

/** `OUTPUT_WRITE_FAILED` naming the path, with the system's reason (ENOTDIR, EACCES, ENOSPC, …). */
function writeFailed(path: string, error: unknown): SlsaLedgerError {
  return new SlsaLedgerError('OUTPUT_WRITE_FAILED', `cannot write ${path}: ${(error as Error).message}`, {
    cause: error,
    details: { path },
  });
}

export interface ReadInputOptions {
  /** refuse files larger than this, before reading them (default DEFAULT_MAX_INPUT_BYTES) */
  readonly maxBytes?: number;
}

/**
 * Reads a regular file as bytes, at most `maxBytes`. The last path component must not be a
 * symlink (`O_NOFOLLOW`), and FIFOs, sockets and devices are refused without blocking on them
 * (`O_NONBLOCK`, then `fstat` of the open descriptor, so the check and the read see one file).
 * @throws SlsaLedgerError `INPUT_FILE_MISSING`, `INPUT_FILE_NOT_REGULAR`, `INPUT_TOO_LARGE`,
 *   `INPUT_FILE_UNREADABLE` (all exit 3), each naming the file
 */
export async function readInputFile(
  path: string,
  what = 'file',
  options: ReadInputOptions = {},
): Promise<Buffer> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_INPUT_BYTES;
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as { code?: string }).code === 'ELOOP') {
      throw notRegular(path, what, 'a symbolic link', error);
    }
    throw inputFileError(path, what, error);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw notRegular(path, what, fileKind(info));
    if (info.size > maxBytes) throw tooLarge(path, what, maxBytes, info.size);
    // read at most maxBytes + 1: a file that grows while it is read is still bounded
    const buffer = Buffer.allocUnsafe(Math.min(info.size, maxBytes) + 1);
    let filled = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, null);
      if (bytesRead === 0) break;
      filled += bytesRead;
      if (filled > maxBytes) throw tooLarge(path, what, maxBytes, filled);
      if (filled === buffer.length) break;
    }
    return buffer.subarray(0, filled);
  } catch (error) {
    if (error instanceof SlsaLedgerError) throw error;
    throw inputFileError(path, what, error);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** What a file that is not a regular file is, for messages (`a FIFO`, `a symbolic link`, …). */
export function fileKind(info: Stats): string {
  return info.isSymbolicLink()
    ? 'a symbolic link'
    : info.isDirectory()
      ? 'a directory'
      : info.isFIFO()
        ? 'a FIFO'
        : info.isSocket()
          ? 'a socket'
          : info.isCharacterDevice() || info.isBlockDevice()
            ? 'a device'
            : 'not a regular file';
}

/** `INPUT_FILE_NOT_REGULAR` (exit 3) naming the file and what it is. */
export function notRegular(path: string, what: string, kind: string, cause?: unknown): SlsaLedgerError {
  return new SlsaLedgerError('INPUT_FILE_NOT_REGULAR', `${what} ${path} is ${kind}, not a regular file`, {
    ...(cause === undefined ? {} : { cause }),
    details: { path, kind },
  });
}

function tooLarge(path: string, what: string, max: number, actual: number): SlsaLedgerError {
  return new SlsaLedgerError(
    'INPUT_TOO_LARGE',
    `${what} ${path} is ${actual} bytes or more, more than the limit of ${max}`,
    { details: { path, limit: 'bytes', max, actual } },
  );
}

export async function readInputText(
  path: string,
  what = 'file',
  options: ReadInputOptions = {},
): Promise<string> {
  return (await readInputFile(path, what, options)).toString('utf8');
}

/**
 * Parses outside JSON text strictly within a limits profile (docs/limits.md), naming the file.
 * @throws `INPUT_JSON_MALFORMED`, `INPUT_TOO_LARGE`, `INPUT_LIMIT_EXCEEDED`, `INPUT_JSON_DUPLICATE_KEY`
 */
export function parseJsonText(
  text: string | Uint8Array,
  path: string,
  what = 'file',
  limits: JsonLimits | JsonLimitsName = 'state',
): unknown {
  return parseJson(text, limits, `${what} ${path}`);
}

/** Reads and parses a JSON file within a limits profile: a regular file, bounded, strict. */
export async function readJsonFile(
  path: string,
  what = 'file',
  limits: JsonLimits | JsonLimitsName = 'state',
): Promise<unknown> {
  const lim = typeof limits === 'string' ? jsonLimits[limits] : limits;
  return parseJson(await readInputFile(path, what, { maxBytes: lim.maxBytes }), lim, `${what} ${path}`);
}

/**
 * Reads a stream (stdin) as bytes, at most `maxBytes`, the bound applied while reading: the first
 * chunk past the limit stops the read, so `< /dev/zero` or `< /dev/urandom` is refused after about
 * `maxBytes`, never read whole.
 * @throws SlsaLedgerError `INPUT_TOO_LARGE`, `INPUT_FILE_UNREADABLE` (exit 3), naming `what` and `name`
 */
export async function readInputStream(
  stream: AsyncIterable<unknown>,
  name = 'stdin',
  what = 'input',
  options: ReadInputOptions = {},
): Promise<Buffer> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_INPUT_BYTES;
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    // leaving the loop (the throw below) ends the iterator, which destroys the stream
    for await (const chunk of stream) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk as Uint8Array);
      total += bytes.length;
      if (total > maxBytes) throw tooLarge(name, what, maxBytes, total);
      chunks.push(bytes);
    }
  } catch (error) {
    if (error instanceof SlsaLedgerError) throw error;
    throw inputFileError(name, what, error);
  }
  return Buffer.concat(chunks, total);
}

/**
 * Reads and parses one JSON document from a file, or from `stdin` when `source` is `-`, within a
 * limits profile: the one reader of `--entry FILE|-` (`record`, `notify`). Bytes are bounded while
 * read (a regular file only, or the stream), then parsed strictly (valid UTF-8, docs/limits.md).
 */
export async function readJsonInput(
  source: string,
  stdin: AsyncIterable<unknown>,
  what: string,
  limits: JsonLimitsName,
  cwd?: string,
): Promise<unknown> {
  if (source !== '-') return readJsonFile(cwd === undefined ? source : resolve(cwd, source), what, limits);
  const bytes = await readInputStream(stdin, 'stdin', what, { maxBytes: jsonLimits[limits].maxBytes });
  return parseJson(bytes, limits, `${what} stdin`);
}

export function inputFileError(path: string, what: string, error: unknown): SlsaLedgerError {
  const code = (error as { code?: string }).code;
  if (code === 'ENOENT') {
    return new SlsaLedgerError('INPUT_FILE_MISSING', `${what} ${path} does not exist`, {
      cause: error,
      details: { path },
    });
  }
  return new SlsaLedgerError(
    'INPUT_FILE_UNREADABLE',
    `cannot read ${what} ${path}: ${(error as Error).message}`,
    {
      cause: error,
      details: { path },
    },
  );
}

export async function fileExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
