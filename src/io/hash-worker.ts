// The hashing worker threads of hashFiles, in a module with no project imports so that the CLI's
// entry point can start them before it loads anything else: a worker takes ~30 ms to boot, which
// then overlaps with loading the CLI instead of delaying the first byte hashed.
import { Worker } from 'node:worker_threads';

/** Bytes per read: a buffer that stays in the core's L2 cache between the copy and the hash. */
export const READ_SIZE = 256 * 1024;

/**
 * The job a worker (and the calling thread) runs: files are claimed one at a time from a shared
 * counter, so whichever thread is free takes the next file and no message round-trip is needed.
 * `shared` holds Int32 [next, stop] then BigInt64 [bytes hashed] (progress).
 */
export interface HashJob {
  readonly paths: readonly string[];
  /** indexes into `paths`, in the order they are claimed (biggest first) */
  readonly order: readonly number[];
  readonly shared: SharedArrayBuffer;
}

export type HashReply =
  | { readonly index: number; readonly sha256: string; readonly size: number }
  | { readonly index: number; readonly error: { readonly code?: string; readonly message: string } }
  | { readonly done: true };

// Plain JavaScript evaluated from a string, so the same code runs from dist/, from the action
// bundle and from the TypeScript sources under vitest. Synchronous reads into one reused buffer:
// the hash is the bottleneck, and OpenSSL's SHA-256 (SHA-NI where the CPU has it) does the work.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { openSync, readSync, closeSync, constants } = require('node:fs');
const { createHash } = require('node:crypto');
const buffer = Buffer.allocUnsafe(${READ_SIZE});
parentPort.once('message', ({ paths, order, shared }) => {
  const control = new Int32Array(shared, 0, 2);
  const progress = new BigInt64Array(shared, 8, 1);
  for (;;) {
    if (Atomics.load(control, 1) !== 0) break;
    const claimed = Atomics.add(control, 0, 1);
    if (claimed >= order.length) break;
    const index = order[claimed];
    let fd;
    try {
      fd = openSync(paths[index], constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      const hash = createHash('sha256');
      let size = 0, pending = 0, n;
      while ((n = readSync(fd, buffer, 0, buffer.length, null)) > 0) {
        hash.update(n === buffer.length ? buffer : buffer.subarray(0, n));
        size += n;
        pending += n;
        if (pending >= 16777216) { Atomics.add(progress, 0, BigInt(pending)); pending = 0; }
      }
      Atomics.add(progress, 0, BigInt(pending));
      parentPort.postMessage({ index, sha256: hash.digest('hex'), size });
    } catch (error) {
      Atomics.store(control, 1, 1);
      parentPort.postMessage({ index, error: { code: error.code, message: error.message } });
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
  parentPort.postMessage({ done: true });
});
`;

let prestarted: Worker[] = [];
/** workers whose 'exit' has been emitted: a job posted to one would never be answered */
const exited = new WeakSet<Worker>();

/** Boots a hashing worker; unreferenced, so an idle one never keeps the process alive. */
export function startHashWorker(): Worker {
  const worker = new Worker(WORKER_SOURCE, { eval: true });
  worker.unref();
  // a worker that fails to boot is reported when a job is posted to it; never an unhandled event
  worker.on('error', () => undefined);
  worker.once('exit', () => exited.add(worker));
  return worker;
}

/**
 * Starts `count` hashing workers now, for a command that is about to hash (the CLI calls this
 * before loading the command). hashFiles takes them; unused ones end with the process.
 */
export function prestartHashWorkers(count: number): readonly Worker[] {
  for (let i = prestarted.length; i < count; i++) prestarted.push(startHashWorker());
  return [...prestarted];
}

/**
 * Up to `count` live workers started by prestartHashWorkers (one that has exited is skipped: the
 * caller starts a new one); the rest are terminated.
 */
export function takePrestartedWorkers(count: number): Worker[] {
  const live = prestarted.filter((worker) => !exited.has(worker));
  const taken = live.slice(0, count);
  for (const extra of live.slice(count)) void extra.terminate();
  prestarted = [];
  return taken;
}
