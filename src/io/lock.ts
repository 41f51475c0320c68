// A local lock that serialises ledger writers on one machine (one lock per remote and branch).
// An exclusive-create lock file holding the owner's pid; a lock whose owner died (e.g. SIGKILL)
// is broken by the next writer. Its wait time is recorded as `metrics.lock_wait_s`.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { UnavailableError } from '../errors.js';

export interface LockHandle {
  readonly path: string;
  /** seconds spent waiting for the lock */
  readonly waitedS: number;
  release(): Promise<void>;
}

export interface LockOptions {
  /** give up after this long (default 10 minutes) */
  readonly timeoutMs?: number;
  /** called once when the lock is busy, with the holder's description */
  readonly onWait?: (holder: string) => void;
}

interface LockContent {
  readonly pid: number;
  readonly host: string;
  readonly nonce: string;
  readonly created_at: string;
}

/** The default lock file for writers of `key` (e.g. the remote URL and branch): in the OS temp dir. */
export function defaultLockPath(key: string, dir = join(tmpdir(), 'slsa-ledger-locks')): string {
  return join(dir, `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.lock`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

async function readHolder(path: string): Promise<LockContent | 'missing' | 'unreadable'> {
  try {
    const text = await readFile(path, 'utf8');
    const value = JSON.parse(text) as LockContent;
    return typeof value.pid === 'number' ? value : 'unreadable';
  } catch (error) {
    return (error as { code?: string }).code === 'ENOENT' ? 'missing' : 'unreadable';
  }
}

async function isStale(path: string, holder: LockContent | 'unreadable'): Promise<boolean> {
  if (holder === 'unreadable') {
    // a writer killed between create and write leaves an empty file; give a live one time to write
    try {
      return Date.now() - (await stat(path)).mtimeMs > 5_000;
    } catch {
      return true;
    }
  }
  return holder.host === hostname() && !isAlive(holder.pid);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// Node's monotonic clock without the global `performance`, whose first use loads nine of Node's
// own modules (~2 ms and ~55 page faults a process; every `record` takes this lock: issue 14
// performance, docs/ledger.md "Twenty-seventh session").
const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/**
 * Takes the lock at `path`, waiting while another live process holds it.
 * @throws UnavailableError `LEDGER_LOCK_TIMEOUT`
 */
export async function acquireLock(path: string, options: LockOptions = {}): Promise<LockHandle> {
  const started = monotonicMs();
  const timeoutMs = options.timeoutMs ?? 600_000;
  const content: LockContent = {
    pid: process.pid,
    host: hostname(),
    nonce: randomBytes(8).toString('hex'),
    created_at: new Date().toISOString(),
  };
  await mkdir(dirname(path), { recursive: true });
  let delay = 10;
  let told = false;
  for (;;) {
    try {
      const handle = await open(path, 'wx', 0o644);
      try {
        await handle.writeFile(JSON.stringify(content));
      } finally {
        await handle.close();
      }
      const waitedS = (monotonicMs() - started) / 1000;
      return {
        path,
        waitedS,
        release: async () => {
          const holder = await readHolder(path);
          if (typeof holder === 'object' && holder.nonce === content.nonce) await rm(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') {
        throw new UnavailableError(
          'LEDGER_LOCK_TIMEOUT',
          `cannot create lock ${path}: ${(error as Error).message}`,
          {
            cause: error,
            details: { path },
          },
        );
      }
    }
    const holder = await readHolder(path);
    if (holder === 'missing') continue;
    if (await isStale(path, holder)) {
      // move it aside first: of two writers breaking the same stale lock, only one rename succeeds
      const aside = `${path}.stale.${content.nonce}`;
      try {
        await rename(path, aside);
        await rm(aside, { force: true });
      } catch {
        // someone else broke it first
      }
      continue;
    }
    if (!told) {
      told = true;
      options.onWait?.(typeof holder === 'object' ? `pid ${holder.pid} on ${holder.host}` : 'another writer');
    }
    if (monotonicMs() - started > timeoutMs) {
      throw new UnavailableError(
        'LEDGER_LOCK_TIMEOUT',
        `waited ${Math.round(timeoutMs / 1000)}s for the ledger lock ${path}, held by ${typeof holder === 'object' ? `pid ${holder.pid}` : 'another writer'}`,
        { details: { path } },
      );
    }
    await sleep(delay + Math.floor(Math.random() * delay));
    delay = Math.min(delay * 2, 200);
  }
}

/** Runs `fn` holding the lock; always releases it. */
export async function withLock<T>(
  path: string,
  options: LockOptions,
  fn: (lock: LockHandle) => Promise<T>,
): Promise<T> {
  const lock = await acquireLock(path, options);
  try {
    return await fn(lock);
  } finally {
    await lock.release();
  }
}
