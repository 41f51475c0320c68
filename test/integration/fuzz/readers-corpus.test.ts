// Issue 13 "Tests": every reader of outside input (day files, check, ingest, queue files, entries,
// provenance files, DSSE envelopes and statements, signed ledger logs) over every corpus case, each
// case in its own child process with a time limit and a heap limit: zero uncoded errors (exit 70),
// zero hangs, memory bounded. Needs `npm run build` (the children import dist/).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inPool, runNodeBounded } from '../../support/spawn-bounded.js';
import { documents } from './corpus.js';

const HARNESS = fileURLToPath(new URL('./harness.mjs', import.meta.url));
const DIST = fileURLToPath(new URL('../../../dist/io/ledger-reader.js', import.meta.url));
/** generous: a case that takes this long is a hang, not a slow run */
const TIMEOUT_MS = 60_000;
const HEAP_MB = 384;

let dir: string;
beforeAll(() => {
  if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run 'npm run build' first`);
  dir = mkdtempSync(join(tmpdir(), 'readers-fuzz-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('every reader over the corpus, in bounded child processes', () => {
  it('no uncoded error, no hang, no heap exhaustion', async () => {
    const runs = await inPool(documents, 2, async (c, i = documents.indexOf(c)) => {
      const file = join(dir, `case-${i}.json`);
      writeFileSync(file, c.bytes());
      const run = await runNodeBounded([HARNESS, file], { timeoutMs: TIMEOUT_MS, heapMb: HEAP_MB });
      rmSync(file, { force: true });
      return { name: c.name, run };
    });
    const problems = runs
      .filter(({ run }) => run.code !== 0 || run.timedOut)
      .map(
        ({ name, run }) =>
          `${name}: exit ${run.code} ${run.signal ?? ''}${run.timedOut ? ' (timed out)' : ''} ${run.stdout.slice(-600)} ${run.stderr.slice(-600)}`,
      );
    expect(problems).toEqual([]);
    // each reader answered every case
    for (const { run } of runs) expect(run.stdout.trim().split('\n')).toHaveLength(11);
  }, 300_000);
});
