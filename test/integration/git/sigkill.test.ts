// A record or flush killed with SIGKILL (the whole process group, git included) at random moments
// never leaves a corrupt ledger or loses an entry it had confirmed as queued or committed.
import { readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLedger } from '../../../src/app/check.js';
import { entryKey } from '../../../src/core/ledger/entry.js';
import { parseQueue } from '../../../src/core/ledger/queue.js';
import { readLedgerFromCommit } from '../../../src/io/ledger-reader.js';
import {
  BIN,
  cloneRemote,
  createRemote,
  git,
  installFreezeHook,
  makeTempDir,
  removeFreezeHook,
  runBin,
} from '../../support/git.js';
import { makeEntry } from '../../support/ledger.js';

const TRIALS = Number(process.env.SLSA_LEDGER_SIGKILL_TRIALS ?? 24);

/** A small deterministic generator so a failing run can be repeated (seed printed on failure). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('SIGKILL at random moments', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let remote: string;
  let clone: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run 'npm run build' first`);
    tmp = await makeTempDir();
    remote = await createRemote(tmp.path);
    clone = await cloneRemote(remote, join(tmp.path, 'clone'));
    // The remote's side of a push runs in a session of its own, as a server's does: killing the
    // client's process group must not kill it. Over the local transport `git receive-pack` is the
    // client's child, and killed with it mid-update it left `refs/heads/main.lock` (and `HEAD.lock`)
    // in the bare remote, which refused every later push ("main kept moving"); a real server (GitHub,
    // sshd) sees the client's end of input and aborts or completes its own update.
    const receivePack = join(tmp.path, 'receive-pack');
    await writeFile(receivePack, '#!/bin/sh\nexec setsid git receive-pack "$@"\n', { mode: 0o755 });
    await git(clone, ['config', 'remote.origin.receivepack', receivePack]);
    env = { PATH: process.env.PATH, HOME: process.env.HOME, SLSA_LEDGER_LOCK_DIR: join(tmp.path, 'locks') };
  });
  afterAll(() => tmp?.cleanup());

  async function queueKeys(): Promise<Set<string>> {
    const path = join(clone, 'out/provenance/queued-manifest.json');
    if (!existsSync(path)) return new Set();
    // never truncated: parseQueue throws on anything but a complete, valid queue
    return new Set(parseQueue(await readFile(path, 'utf8'), path).map((i) => entryKey(i.entry)));
  }

  async function ledgerKeys(): Promise<Set<string>> {
    const head = await git(remote, ['rev-parse', 'main']);
    // never corrupt: every day file parses against the schema
    const files = await readLedgerFromCommit(remote, head);
    return new Set(files.flatMap((f) => f.entries.map(entryKey)));
  }

  it(`${TRIALS} records and flushes, most killed at random moments, lose nothing`, async () => {
    const seed = Number(process.env.SLSA_LEDGER_SIGKILL_SEED ?? 20251124);
    const random = lcg(seed);
    const confirmed = new Set<string>();
    let killed = 0;
    // calibrate: how long an undisturbed record takes here, so kills land inside the run
    const calibration = makeEntry({ tag: 'v2.calibration', run_id: 999, timestamp: '2025-11-24T09:00:00Z' });
    const first = await runBin(['record', '--no-sign', '--json', '--repo', clone, '--entry', '-'], {
      env,
      stdin: JSON.stringify(calibration),
    });
    expect(first.code, first.stderr).toBe(0);
    confirmed.add(entryKey(calibration));
    // an undisturbed run's length, kept apart for pushes into a freeze (they queue after retries)
    const typicalMs = { frozen: first.ms, open: first.ms };
    for (let trial = 0; trial < TRIALS; trial++) {
      const frozen = trial % 3 !== 2; // two trials in three push into a freeze
      if (frozen) await installFreezeHook(remote);
      else await removeFreezeHook(remote);
      const flush = trial % 4 === 3;
      const entry = makeEntry({
        tag: `v2.${trial}`,
        run_id: 1000 + trial,
        timestamp: `2025-11-24T10:${String(trial).padStart(2, '0')}:00Z`,
      });
      const args = flush
        ? ['flush', '--no-sign', '--allow-unauthenticated', '--json', '--repo', clone]
        : ['record', '--no-sign', '--json', '--repo', clone, '--entry', '-'];
      // one trial in five runs to the end, so every run of the test confirms entries (queued and
      // committed) whatever the machine's speed; the others are killed somewhere inside the run
      const mode = frozen ? 'frozen' : 'open';
      const spared = trial % 5 === 4;
      const draw = random();
      const run = await runBin(args, {
        env,
        stdin: JSON.stringify(entry),
        ...(spared ? {} : { killAfterMs: Math.floor(draw * 1.3 * typicalMs[mode]) }),
      });
      if (run.signal === 'SIGKILL') killed += 1;
      else typicalMs[mode] = (typicalMs[mode] + run.ms) / 2;
      if (run.signal === 'SIGKILL') {
        // killed: nothing was confirmed
      } else if (!flush && (run.code === 0 || run.code === 75)) confirmed.add(entryKey(entry));
      else if (run.code !== 0 && run.code !== 75)
        throw new Error(`seed ${seed} trial ${trial}: exit ${run.code}: ${run.stderr}`);

      const inQueue = await queueKeys();
      const inLedger = await ledgerKeys();
      for (const key of confirmed) {
        expect(inQueue.has(key) || inLedger.has(key), `seed ${seed} trial ${trial}: lost ${key}`).toBe(true);
      }
    }
    // the last word: the freeze lifts and a flush that is not killed lands everything
    await removeFreezeHook(remote);
    const final = await runBin(['flush', '--no-sign', '--allow-unauthenticated', '--json', '--repo', clone], {
      env,
    });
    expect(final.code, final.stderr).toBe(0);
    const inLedger = await ledgerKeys();
    for (const key of confirmed) expect(inLedger.has(key), `seed ${seed}: ${key} never landed`).toBe(true);
    expect(await queueKeys()).toEqual(new Set());
    const audit = await checkLedger({ repoDir: remote, ref: 'main' });
    expect(audit.findings, `seed ${seed}`).toEqual([]);
    // the test only means something if kills happened at all and some entries were confirmed
    expect(killed).toBeGreaterThan(0);
    expect(confirmed.size).toBeGreaterThan(1);
  }, 600_000);
});
