import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../core/ports.js';
import { SlsaLedgerError } from '../errors.js';
import { inputFileError } from './files.js';

export interface FileDigest {
  readonly path: string;
  /** lower-case hex SHA-256 */
  readonly sha256: string;
  readonly size: number;
}

export interface HashFilesOptions {
  readonly logger?: Logger;
  /** worker threads at most (default: the number of cores) */
  readonly concurrency?: number;
  /** files at least this big are hashed on worker threads (default 8 MiB) */
  readonly workerThreshold?: number;
}

const READ_SIZE = 2 * 1024 * 1024;
const DEFAULT_WORKER_THRESHOLD = 8 * 1024 * 1024;

// The worker is plain JavaScript evaluated from a string, so the same code runs from dist/ and from
// the TypeScript sources under vitest. Synchronous 2 MiB reads into one reused buffer: the hash is
// the bottleneck, and OpenSSL's SHA-256 (SHA-NI where the CPU has it) does the work.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');
const buffer = Buffer.allocUnsafe(${READ_SIZE});
parentPort.on('message', ({ id, path }) => {
  let fd;
  try {
    fd = openSync(path, 'r');
    const hash = createHash('sha256');
    let done = 0, reported = 0, n;
    while ((n = readSync(fd, buffer, 0, buffer.length, null)) > 0) {
      hash.update(n === buffer.length ? buffer : buffer.subarray(0, n));
      done += n;
      if (done - reported >= 64 * 1024 * 1024) { parentPort.postMessage({ id, progress: done - reported }); reported = done; }
    }
    parentPort.postMessage({ id, progress: done - reported, sha256: hash.digest('hex'), size: done });
  } catch (error) {
    parentPort.postMessage({ id, error: { code: error.code, message: error.message } });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
});
`;

async function hashInProcess(path: string): Promise<{ sha256: string; size: number }> {
  const handle = await open(path, 'r');
  try {
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(READ_SIZE);
    let size = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      size += bytesRead;
    }
    return { sha256: hash.digest('hex'), size };
  } finally {
    await handle.close();
  }
}

/**
 * Streamed SHA-256 of files, never holding a whole file in memory. Big files are hashed in parallel
 * on worker threads (one per core); small ones in this thread, where a worker would cost more than
 * the hash. Progress (bytes) goes to the logger. Missing or unreadable files are coded input errors
 * naming the file. Results are in the order of `paths`.
 */
export async function hashFiles(
  paths: readonly string[],
  options: HashFilesOptions = {},
): Promise<FileDigest[]> {
  const sizes = await Promise.all(
    paths.map(async (path) => {
      try {
        const s = await stat(path);
        if (!s.isFile()) {
          throw new SlsaLedgerError('INPUT_FILE_UNREADABLE', `artifact ${path} is not a regular file`, {
            details: { path },
          });
        }
        return s.size;
      } catch (error) {
        if (error instanceof SlsaLedgerError) throw error;
        throw inputFileError(path, 'artifact', error);
      }
    }),
  );
  const threshold = options.workerThreshold ?? DEFAULT_WORKER_THRESHOLD;
  const total = sizes.reduce((a, b) => a + b, 0);
  const results: (FileDigest | undefined)[] = paths.map(() => undefined);
  let done = 0;
  const report = (bytes: number): void => {
    done += bytes;
    options.logger?.progress('hashing', done, total);
  };

  const big: number[] = [];
  for (const [i, path] of paths.entries()) {
    if ((sizes[i] ?? 0) < threshold) {
      try {
        const r = await hashInProcess(path);
        results[i] = { path, ...r };
        report(r.size);
      } catch (error) {
        throw inputFileError(path, 'artifact', error);
      }
    } else {
      big.push(i);
    }
  }
  if (big.length > 0) await hashOnWorkers(paths, big, results, report, options.concurrency);
  options.logger?.progressDone('hashing');
  return results.map((r, i) => {
    if (r === undefined) throw new SlsaLedgerError('INTERNAL', `no digest for ${paths[i] ?? ''}`);
    return r;
  });
}

interface WorkerReply {
  readonly id: number;
  readonly progress?: number;
  readonly sha256?: string;
  readonly size?: number;
  readonly error?: { code?: string; message: string };
}

async function hashOnWorkers(
  paths: readonly string[],
  indexes: readonly number[],
  results: (FileDigest | undefined)[],
  report: (bytes: number) => void,
  concurrency: number | undefined,
): Promise<void> {
  const count = Math.max(1, Math.min(indexes.length, concurrency ?? availableParallelism()));
  const queue = [...indexes];
  const workers: Worker[] = [];
  try {
    await Promise.all(
      Array.from({ length: count }, async () => {
        const worker = new Worker(WORKER_SOURCE, { eval: true });
        workers.push(worker);
        for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
          const path = paths[i] ?? '';
          const reply = await new Promise<WorkerReply>((resolve, reject) => {
            const onMessage = (m: WorkerReply): void => {
              if (m.progress !== undefined && m.progress > 0) report(m.progress);
              if (m.sha256 === undefined && m.error === undefined) return;
              worker.off('message', onMessage);
              worker.off('error', reject);
              resolve(m);
            };
            worker.on('message', onMessage);
            worker.once('error', reject);
            worker.postMessage({ id: i, path });
          });
          if (reply.error !== undefined) {
            throw inputFileError(
              path,
              'artifact',
              Object.assign(new Error(reply.error.message), reply.error),
            );
          }
          results[i] = { path, sha256: reply.sha256 ?? '', size: reply.size ?? 0 };
        }
      }),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
