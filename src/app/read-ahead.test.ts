// serve's read-ahead runner (src/app/serve.ts): one read ahead at a time, a request during one runs
// it once more after (never two at once, never lost), a burst of notifications waits for quiet.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DatabaseBackend } from './serve.js';
import { readAheadRunner } from './serve.js';
import { silentLogger } from '../core/ports.js';

function fakeBackend() {
  const started: Array<() => void> = [];
  let running = 0;
  let most = 0;
  const backend = {
    readAhead: () =>
      new Promise<void>((resolve) => {
        running++;
        most = Math.max(most, running);
        started.push(() => {
          running--;
          resolve();
        });
      }),
  } as unknown as DatabaseBackend;
  return { backend, started, most: () => most };
}

const clock = { now: () => new Date('2025-12-01T12:00:00Z') };
const tick = () => new Promise((r) => setImmediate(r));

describe('readAheadRunner', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs one at a time; asked during one, it runs once more after, however often it was asked', async () => {
    const f = fakeBackend();
    const runner = readAheadRunner(f.backend, clock, silentLogger);
    const first = runner.now('the ingest');
    await tick();
    expect(f.started).toHaveLength(1);
    expect(runner.counts()).toEqual({ afterIngest: 0, afterCommit: 0, pending: true });
    const second = runner.now("another process's commit");
    void runner.now("another process's commit");
    await tick();
    expect(f.started).toHaveLength(1);
    f.started[0]!();
    await tick();
    // the second run starts once the first is done
    expect(f.started).toHaveLength(2);
    f.started[1]!();
    await Promise.all([first, second]);
    expect(f.started).toHaveLength(2);
    expect(f.most()).toBe(1);
    expect(runner.counts()).toEqual({ afterIngest: 1, afterCommit: 1, pending: false });
  });

  it('waits for quiet: a burst of notifications is one read ahead, quietMs after the last', async () => {
    vi.useFakeTimers();
    const f = fakeBackend();
    const runner = readAheadRunner(f.backend, clock, silentLogger);
    for (let i = 0; i < 10; i++) {
      runner.soon(1_000);
      await vi.advanceTimersByTimeAsync(500);
    }
    expect(f.started).toHaveLength(0);
    expect(runner.counts().pending).toBe(true);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(f.started).toHaveLength(1);
    f.started[0]!();
    await vi.advanceTimersByTimeAsync(0);
    expect(runner.counts()).toEqual({ afterIngest: 0, afterCommit: 1, pending: false });
  });

  it('a failed read ahead is a warning, and the next one runs', async () => {
    const warnings: string[] = [];
    let calls = 0;
    const backend = {
      readAhead: () => (++calls === 1 ? Promise.reject(new Error('connection reset')) : Promise.resolve()),
    } as unknown as DatabaseBackend;
    const runner = readAheadRunner(backend, clock, { ...silentLogger, warn: (m) => warnings.push(m) });
    await runner.now('the ingest');
    expect(warnings).toEqual([
      "serve: reading the page's windows ahead after the ingest failed: connection reset",
    ]);
    await runner.now('the ingest');
    expect(runner.counts()).toEqual({ afterIngest: 1, afterCommit: 0, pending: false });
  });

  it('once stopped, neither a notification nor a request starts one; stop waits for the running one', async () => {
    vi.useFakeTimers();
    const f = fakeBackend();
    const runner = readAheadRunner(f.backend, clock, silentLogger);
    void runner.now('the ingest');
    await vi.advanceTimersByTimeAsync(0);
    runner.soon(100);
    let stopped = false;
    const stopping = runner.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    f.started[0]!();
    await stopping;
    await runner.now('the ingest');
    runner.soon(100);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(f.started).toHaveLength(1);
    expect(runner.counts().pending).toBe(false);
  });
});
