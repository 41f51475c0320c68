// The file helpers every command shares: the atomic writer refuses what it would replace by a
// regular file and maps the system's errors to a code; stdin is bounded while it is read; one
// reader of `--entry FILE|-` is strict about UTF-8. Real files in a temp dir per test.
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it, onTestFinished } from 'vitest';
import { makeFolders, readInputStream, readJsonInput, writeFileAtomic } from './files.js';

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

describe('readInputStream', () => {
  it('stops an endless stream once past the limit', async () => {
    let chunks = 0;
    const endless = Readable.from(
      (function* () {
        for (;;) {
          chunks += 1;
          yield Buffer.alloc(64 * 1024);
        }
      })(),
    );
    const error = await readInputStream(endless, 'stdin', 'entry', { maxBytes: 1024 * 1024 }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'INPUT_TOO_LARGE', details: { path: 'stdin', max: 1024 * 1024 } });
    expect(chunks).toBeLessThan(40);
  });

  it('reads a stream within the limit whole', async () => {
    const bytes = await readInputStream(Readable.from([Buffer.from('{"a":'), '1}']), 'stdin', 'entry', {
      maxBytes: 7,
    });
    expect(bytes.toString('utf8')).toBe('{"a":1}');
  });
});

describe('readJsonInput', () => {
  it('refuses invalid UTF-8 from a file and from stdin alike', async () => {
    const dir = temp();
    const bytes = Buffer.concat([Buffer.from('{"actor":"bot'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    writeFileSync(join(dir, 'entry.json'), bytes);
    const none = Readable.from([]);
    expect(await codeOf(readJsonInput('entry.json', none, 'entry', 'entry', dir))).toBe(
      'INPUT_JSON_MALFORMED',
    );
    expect(await codeOf(readJsonInput('-', Readable.from([bytes]), 'entry', 'entry'))).toBe(
      'INPUT_JSON_MALFORMED',
    );
    expect(await readJsonInput('-', Readable.from(['{"a":1}']), 'entry', 'entry')).toEqual({ a: 1 });
  });
});
