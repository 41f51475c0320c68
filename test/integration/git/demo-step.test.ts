import { afterAll, beforeAll, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/ports.js';
import { step } from '../../../src/app/demo-steps/ledger.js';
import type { DemoState } from '../../../src/app/demo-steps/types.js';
import { checkLedger } from '../../../src/app/check.js';
import { readLedgerFromDir } from '../../../src/io/ledger-reader.js';
import { makeTempDir } from '../../support/git.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
beforeAll(async () => {
  tmp = await makeTempDir();
});
afterAll(() => tmp?.cleanup());

it('the demo step records, queues, flushes and checks, and leaves the ledger for later steps', async () => {
  const state: DemoState = { workDir: tmp.path, values: new Map() };
  const lines = await step.run({ state, logger: silentLogger, env: {}, serve: false });
  expect(lines.join('\n')).toContain('queued (exit 75)');
  expect(lines.join('\n')).toContain('1 landed, 0 remaining');
  expect(lines.join('\n')).toMatch(
    /slsa-ledger check --trust-key ledger.pub: ok .*every change signed with key/,
  );
  const clone = state.values.get('clonePath') as string;
  const files = await readLedgerFromDir(clone);
  expect(files.flatMap((f) => f.entries.map((e) => e.run_id))).toEqual([1001, 1002]);
  expect((await checkLedger({ repoDir: state.values.get('remotePath') as string, ref: 'main' })).ok).toBe(
    true,
  );
});
