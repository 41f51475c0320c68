import { createHash } from 'node:crypto';
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import type { Logger } from '../core/ports.js';
import { SlsaLedgerError } from '../errors.js';
import { fileKind, inputFileError, notRegular } from './files.js';
import { startHashWorker, takePrestartedWorkers, type HashJob, type HashReply } from './hash-worker.js';

export interface FileDigest {
  readonly path: string;
  /** lower-case hex SHA-256 */
  readonly sha256: string;
  readonly size: number;
}

export interface HashFilesOptions {
  readonly logger?: Logger;
  /** threads at most, the calling thread included (default: the number of cores) */
  readonly concurrency?: number;
  /** workers are used when two or more files are at least this big (default 8 MiB) */
  readonly workerThreshold?: number;
}

const DEFAULT_WORKER_THRESHOLD = 8 * 1024 * 1024;
/** a file swapped for a symlink or FIFO after the check is still neither followed nor waited on */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const PROGRESS_STEP = 16 * 1024 * 1024;
/** the calling thread's reads: pipelined reads gain from bigger ones (fewer thread-pool trips) */
const MAIN_READ_SIZE = 1024 * 1024;

/**
 * Streamed SHA-256 of files, never holding a whole file in memory. The calling thread hashes too
 * (alone, with its reads pipelined on the thread pool; beside workers, with synchronous reads that
 * block its event loop meanwhile: this is a command-line hasher); when two or more files are at least `workerThreshold` big, worker threads (one per
 * further core) share the work, each claiming the next file, biggest first, from a shared counter.
 * Progress (bytes) goes to the logger. Missing or unreadable files are coded input errors naming
 * the file; a file that cannot be read stops the others claiming more (when several fail, the
 * first in `paths` order among those tried is named). Results are in the order of `paths`.
 */
export async function hashFiles(
  paths: readonly string[],
  options: HashFilesOptions = {},
): Promise<FileDigest[]> {
  const sizes = await Promise.all(
    paths.map(async (path) => {
      try {
        // not followed (issue 13 item 5): a symlink in dist/ could publish the digest of any file
        // the build machine can read in a signed, public attestation; a FIFO would hang the hash
        const s = await lstat(path);
        if (s.isSymbolicLink() || s.isFIFO() || s.isSocket() || s.isCharacterDevice() || s.isBlockDevice())
          throw notRegular(path, 'artifact', fileKind(s));
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
  const big = sizes.filter((size) => size >= threshold).length;
  const threads = Math.max(1, options.concurrency ?? availableParallelism());
  const workers = Math.max(0, Math.min(threads - 1, big - 1));
  return runHashJob(paths, sizes, workers, options.logger);
}

/**
 * Hashes `paths` (whose `sizes` are known, for ordering and progress) on the calling thread plus
 * `workerCount` workers. Exported for tests, which reach the workers' error path with it.
 */
export async function runHashJob(
  paths: readonly string[],
  sizes: readonly number[],
  workerCount: number,
  logger?: Logger,
): Promise<FileDigest[]> {
  const order = paths.map((_, i) => i).sort((a, b) => (sizes[b] ?? 0) - (sizes[a] ?? 0) || a - b);
  const shared = new SharedArrayBuffer(16);
  const control = new Int32Array(shared, 0, 2);
  const progress = new BigInt64Array(shared, 8, 1);
  const total = sizes.reduce((a, b) => a + b, 0);
  const replies: HashReply[] = [];

  const workers = takePrestartedWorkers(workerCount);
  while (workers.length < workerCount) workers.push(startHashWorker());
  const finished = workers.map(
    (worker) =>
      new Promise<void>((resolve) => {
        const onMessage = (reply: HashReply): void => {
          if ('done' in reply) {
            worker.off('message', onMessage);
            resolve();
          } else {
            replies.push(reply);
          }
        };
        worker.on('message', onMessage);
        worker.once('error', (error: Error) => {
          // a crashed worker: stop claiming and name whatever it had claimed as unhashed
          Atomics.store(control, 1, 1);
          replies.push({ index: -1, error: { message: error.message } });
          resolve();
        });
        worker.once('exit', () => resolve());
        worker.ref();
        const job: HashJob = { paths, order, shared };
        worker.postMessage(job);
      }),
  );

  try {
    await hashOnThisThread(
      paths,
      order,
      control,
      progress,
      replies,
      (done) => logger?.progress('hashing', done, total),
      workers.length === 0,
    );
    // while the workers finish, keep the progress bar moving
    const ticker = setInterval(
      () => logger?.progress('hashing', Number(Atomics.load(progress, 0)), total),
      250,
    );
    try {
      await Promise.all(finished);
    } finally {
      clearInterval(ticker);
    }
  } finally {
    for (const worker of workers) void worker.terminate();
  }
  logger?.progress('hashing', Number(Atomics.load(progress, 0)), total);
  logger?.progressDone('hashing');

  const results: (FileDigest | undefined)[] = paths.map(() => undefined);
  const failures: { index: number; error: { code?: string; message: string } }[] = [];
  for (const reply of replies) {
    if ('done' in reply) continue;
    if ('error' in reply) failures.push(reply);
    else results[reply.index] = { path: paths[reply.index] ?? '', sha256: reply.sha256, size: reply.size };
  }
  // the first failure in `paths` order; a crashed worker (index -1) before any file
  const [failure] = failures.sort((x, y) => x.index - y.index);
  if (failure !== undefined) {
    if (failure.index < 0) {
      throw new SlsaLedgerError('INTERNAL', `a hashing worker failed: ${failure.error.message}`);
    }
    const cause = Object.assign(new Error(failure.error.message), failure.error);
    throw inputFileError(paths[failure.index] ?? '', 'artifact', cause);
  }
  return results.map((r, i) => {
    if (r === undefined) throw new SlsaLedgerError('INTERNAL', `no digest for ${paths[i] ?? ''}`);
    return r;
  });
}

/**
 * The calling thread's share of a job: the same claim loop as the workers run. Alone, it pipelines
 * its reads on libuv's thread pool (the next chunk is read on another core while this one hashes,
 * so a single big file hashes at the speed of SHA-256 alone); beside workers, every core already
 * hashes and extra reader threads would only compete with them, so it reads synchronously.
 */
async function hashOnThisThread(
  paths: readonly string[],
  order: readonly number[],
  control: Int32Array,
  progress: BigInt64Array,
  replies: HashReply[],
  report: (done: number) => void,
  alone: boolean,
): Promise<void> {
  let pending = 0;
  const onBytes = (n: number): void => {
    pending += n;
    if (pending >= PROGRESS_STEP) {
      report(Number(Atomics.add(progress, 0, BigInt(pending))) + pending);
      pending = 0;
    }
  };
  const buffers = [Buffer.allocUnsafe(MAIN_READ_SIZE), Buffer.allocUnsafe(MAIN_READ_SIZE)] as const;
  for (;;) {
    if (Atomics.load(control, 1) !== 0) return;
    const claimed = Atomics.add(control, 0, 1);
    if (claimed >= order.length) return;
    const index = order[claimed] ?? 0;
    const path = paths[index] ?? '';
    try {
      const digest = alone
        ? await hashFilePipelined(path, buffers, onBytes)
        : hashFileSync(path, buffers[0], onBytes);
      replies.push({ index, ...digest });
    } catch (error) {
      Atomics.store(control, 1, 1);
      const e = error as { code?: string; message: string };
      replies.push({
        index,
        error: { ...(e.code === undefined ? {} : { code: e.code }), message: e.message },
      });
    } finally {
      Atomics.add(progress, 0, BigInt(pending));
      pending = 0;
    }
  }
}

interface Digest {
  readonly sha256: string;
  readonly size: number;
}

function hashFileSync(path: string, buffer: Buffer, onBytes: (n: number) => void): Digest {
  const fd = openSync(path, OPEN_FLAGS);
  try {
    const hash = createHash('sha256');
    let size = 0;
    for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) {
      hash.update(n === buffer.length ? buffer : buffer.subarray(0, n));
      size += n;
      onBytes(n);
    }
    return { sha256: hash.digest('hex'), size };
  } finally {
    closeSync(fd);
  }
}

/** Reads into one buffer while the other hashes. */
async function hashFilePipelined(
  path: string,
  buffers: readonly [Buffer, Buffer],
  onBytes: (n: number) => void,
): Promise<Digest> {
  const handle = await open(path, OPEN_FLAGS);
  try {
    const hash = createHash('sha256');
    let size = 0;
    let [filling, spare] = buffers;
    let next = handle.read(filling, 0, filling.length, null);
    for (let n = (await next).bytesRead; n > 0; n = (await next).bytesRead) {
      const full = filling;
      [filling, spare] = [spare, filling];
      next = handle.read(filling, 0, filling.length, null);
      hash.update(n === full.length ? full : full.subarray(0, n));
      size += n;
      onBytes(n);
    }
    return { sha256: hash.digest('hex'), size };
  } finally {
    await handle.close();
  }
}
