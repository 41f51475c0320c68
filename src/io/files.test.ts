// The file helpers every command shares: the atomic writer refuses what it would replace by a
// regular file and maps the system's errors to a code. Real files in a temp dir per test.
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { makeFolders, writeFileAtomic } from './files.js';

function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'slsa-ledger-files-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

describe('writeFileAtomic', () => {
  it('replaces a regular file and makes missing folders', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'a.json'), 'old');
    await writeFileAtomic(join(dir, 'a.json'), 'new');
    await writeFileAtomic(join(dir, 'x', 'y', 'b.json'), 'b');
    expect(lstatSync(join(dir, 'a.json')).size).toBe(3);
    expect(lstatSync(join(dir, 'x', 'y', 'b.json')).isFile()).toBe(true);
  });

  it('refuses a FIFO, a symbolic link and a directory at the path and leaves them as they are', async () => {
    const dir = temp();
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    symlinkSync('/proc/self/fd/1', join(dir, 'stdout'));
    symlinkSync(join(dir, 'target'), join(dir, 'link'));
    writeFileSync(join(dir, 'target'), 'keep');
    mkdirSync(join(dir, 'folder'));
    for (const name of ['fifo', 'stdout', 'link', 'folder']) {
      expect(await codeOf(writeFileAtomic(join(dir, name), 'x')), name).toBe('INPUT_FILE_NOT_REGULAR');
    }
    expect(lstatSync(join(dir, 'fifo')).isFIFO()).toBe(true);
    expect(readlinkSync(join(dir, 'stdout'))).toBe('/proc/self/fd/1');
    expect(lstatSync(join(dir, 'link')).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(dir, 'target')).size).toBe(4);
    expect(lstatSync(join(dir, 'folder')).isDirectory()).toBe(true);
  });

  it('a path under a regular file, or too long, is OUTPUT_WRITE_FAILED naming the path', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'file'), 'x');
    for (const path of [join(dir, 'file', 'sub'), join(dir, 'file', 'a', 'b'), join(dir, 'n'.repeat(300))]) {
      const error = await writeFileAtomic(path, 'x').catch((e: unknown) => e);
      expect(error, path).toMatchObject({ code: 'OUTPUT_WRITE_FAILED', details: { path } });
    }
  });

  it.runIf(process.platform === 'linux')(
    'makeFolders does not spin where mkdir answers ENOENT (/proc/self/fd)',
    async () => {
      const started = Date.now();
      expect(await codeOf(makeFolders('/proc/self/fd/.github/workflows'))).toBe('ENOENT');
      expect(await codeOf(writeFileAtomic('/proc/self/fd/.github/x.yml', 'x'))).toBe('OUTPUT_WRITE_FAILED');
      expect(Date.now() - started).toBeLessThan(5_000);
    },
  );
});
