import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Logger } from '../core/ports.js';
import { isSlsaLedgerError } from '../errors.js';
import { hashFiles, runHashJob } from './hash.js';
import { prestartHashWorkers, READ_SIZE, takePrestartedWorkers } from './hash-worker.js';

const dir = mkdtempSync(join(tmpdir(), 'slsa-ledger-hash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** Files of awkward sizes: empty, one byte, one read exactly, one read plus one, several reads. */
const sizes = [0, 1, READ_SIZE - 1, READ_SIZE, READ_SIZE + 1, 3 * READ_SIZE + 17, 5 * 1024 * 1024];
const files = sizes.map((size, i) => {
  const path = join(dir, `f${i}.bin`);
  const data = randomBytes(size);
  writeFileSync(path, data);
  return { path, size, sha256: sha256(data) };
});
const paths = files.map((f) => f.path);

function recordingLogger(): Logger & { progressed: number[]; finished: string[] } {
  const progressed: number[] = [];
  const finished: string[] = [];
  const noop = (): undefined => undefined;
  return {
    progressed,
    finished,
    debug: noop,
    info: noop,
    warn: noop,
    error: noop,
    progress: (_label: string, done: number) => void progressed.push(done),
    progressDone: (label: string) => void finished.push(label),
  } as unknown as Logger & { progressed: number[]; finished: string[] };
}

describe('hashFiles', () => {
  it('gives each file its SHA-256 and size, in the order asked, on the calling thread alone', async () => {
    const digests = await hashFiles(paths, { concurrency: 1 });
    expect(digests).toEqual(files.map((f) => ({ path: f.path, sha256: f.sha256, size: f.size })));
  });

  it('gives the same digests when worker threads share the files', async () => {
    const logger = recordingLogger();
    const digests = await hashFiles(paths, { concurrency: 3, workerThreshold: 1, logger });
    expect(digests).toEqual(files.map((f) => ({ path: f.path, sha256: f.sha256, size: f.size })));
    const total = sizes.reduce((a, b) => a + b, 0);
    expect(logger.progressed.at(-1)).toBe(total);
    expect(logger.finished).toEqual(['hashing']);
  });

  it('hashes the same file named twice twice, and keeps both places', async () => {
    const [a, b] = [files[6], files[5]];
    const digests = await hashFiles([a!.path, b!.path, a!.path], { workerThreshold: 1, concurrency: 2 });
    expect(digests.map((d) => d.sha256)).toEqual([a!.sha256, b!.sha256, a!.sha256]);
  });

  it('uses workers started ahead of time and leaves none behind', async () => {
    prestartHashWorkers(1);
    const digests = await hashFiles(paths, { concurrency: 2, workerThreshold: 1 });
    expect(digests.map((d) => d.sha256)).toEqual(files.map((f) => f.sha256));
    expect(takePrestartedWorkers(1)).toEqual([]);
  });

  it('skips a started-ahead worker that has exited, instead of waiting for it', async () => {
    const [early] = prestartHashWorkers(1);
    const exit = new Promise((resolve) => early!.once('exit', resolve));
    await early!.terminate();
    await exit;
    const digests = await hashFiles(paths, { concurrency: 2, workerThreshold: 1 });
    expect(digests.map((d) => d.sha256)).toEqual(files.map((f) => f.sha256));
  });

  it('names a missing artifact before hashing anything', async () => {
    const missing = join(dir, 'missing.bin');
    await expect(hashFiles([paths[1]!, missing])).rejects.toThrowCode('INPUT_FILE_MISSING');
    await hashFiles([missing]).catch((error: unknown) => {
      expect(isSlsaLedgerError(error) && error.details).toEqual({ path: missing });
    });
  });

  it('refuses a symlink, a FIFO and a device: INPUT_FILE_NOT_REGULAR, never followed or waited on', async () => {
    // before: a symlink to /etc/passwd was hashed (its digest signed into the provenance) and a
    // FIFO or /dev/zero was INPUT_FILE_UNREADABLE
    const link = join(dir, 'passwd.tgz');
    symlinkSync('/etc/passwd', link);
    const fifo = join(dir, 'fifo.tgz');
    execFileSync('mkfifo', [fifo]);
    for (const [path, kind] of [
      [link, 'a symbolic link'],
      [fifo, 'a FIFO'],
      ['/dev/zero', 'a device'],
    ] as const) {
      const error = await hashFiles([files[1]!.path, path]).catch((e: unknown) => e);
      expect(isSlsaLedgerError(error) && error.code).toBe('INPUT_FILE_NOT_REGULAR');
      expect(isSlsaLedgerError(error) && error.details).toEqual({ path, kind });
    }
  });

  it('refuses a directory as an artifact', async () => {
    const sub = join(dir, 'sub');
    mkdirSync(sub, { recursive: true });
    await expect(hashFiles([sub])).rejects.toThrowCode('INPUT_FILE_UNREADABLE');
  });
});

describe('runHashJob', () => {
  it('names a file that cannot be read, whichever thread met it, and stops claiming files', async () => {
    // the file vanishes between stat and read; it is claimed first, in the middle, or last; by
    // this thread alone (pipelined reads) or beside a worker
    const gone = join(dir, 'gone.bin');
    for (const [position, workers] of [
      [0, 1],
      [2, 1],
      [4, 1],
      [2, 0],
    ] as const) {
      const job = [paths[6]!, paths[5]!, paths[4]!, paths[3]!];
      job.splice(position, 0, gone);
      const jobSizes = job.map((_, i) => (i === position ? 1000 - position : 100 - i));
      const error = await runHashJob(job, jobSizes, workers).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toThrowCode('INPUT_FILE_MISSING');
      expect(isSlsaLedgerError(error) && error.details).toEqual({ path: gone });
    }
  });

  it('hashes a job that has more threads than files', async () => {
    const digests = await runHashJob([paths[2]!], [sizes[2]!], 2);
    expect(digests).toEqual([{ path: paths[2], sha256: files[2]!.sha256, size: sizes[2] }]);
  });
});
