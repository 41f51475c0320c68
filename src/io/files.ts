import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SlsaLedgerError } from '../errors.js';

/**
 * Writes a file atomically: a temporary file in the same directory, fsync, rename, fsync of the
 * directory. A crash leaves either the old bytes or the new ones, never a truncated file.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(tmp, 'wx', mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw new SlsaLedgerError('OUTPUT_WRITE_FAILED', `cannot write ${path}: ${(error as Error).message}`, {
      cause: error,
      details: { path },
    });
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

/** Reads a file as bytes; missing or unreadable files are coded input errors naming the file. */
export async function readInputFile(path: string, what = 'file'): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw inputFileError(path, what, error);
  }
}

export async function readInputText(path: string, what = 'file'): Promise<string> {
  return (await readInputFile(path, what)).toString('utf8');
}

/** Parses JSON text, naming the file on failure. */
export function parseJsonText(text: string, path: string, what = 'file'): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new SlsaLedgerError(
      'INPUT_JSON_MALFORMED',
      `${what} ${path} is not valid JSON: ${(error as Error).message}`,
      {
        cause: error,
        details: { path },
      },
    );
  }
}

export async function readJsonFile(path: string, what = 'file'): Promise<unknown> {
  return parseJsonText(await readInputText(path, what), path, what);
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
