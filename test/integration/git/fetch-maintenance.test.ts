// A ledger fetch skips git's automatic maintenance (`git maintenance run --auto`, a process
// every fetch starts) only when git's own estimate says it has nothing to do; when gc is due, or
// the repository configures maintenance, the fetch runs it as git always does (issue 14
// performance: ~10 ms a record).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitLedgerRepo } from '../../../src/io/git-ledger-repo.js';
import { cloneRemote, createRemote, git, makeTempDir } from '../../support/git.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let clone: string;

beforeEach(async () => {
  tmp = await makeTempDir();
  clone = await cloneRemote(await createRemote(tmp.path), join(tmp.path, 'clone'));
  // the test helpers turn automatic gc off; this clone has git's defaults
  await git(clone, ['config', '--unset', 'maintenance.auto']);
  await git(clone, ['config', '--unset', 'gc.auto']);
  await git(clone, ['config', 'gc.autoDetach', 'false']);
});
afterEach(() => tmp.cleanup());

/** The git commands a fetch of `main` started (GIT_TRACE2_EVENT). */
async function commandsOfFetch(): Promise<string[]> {
  const trace = join(tmp.path, `trace-${Math.random().toString(36).slice(2)}.json`);
  const saved = process.env.GIT_TRACE2_EVENT;
  const repo = await GitLedgerRepo.open({ repoDir: clone });
  try {
    process.env.GIT_TRACE2_EVENT = trace;
    await repo.fetch('main');
  } finally {
    if (saved === undefined) delete process.env.GIT_TRACE2_EVENT;
    else process.env.GIT_TRACE2_EVENT = saved;
    repo.close();
  }
  return (await readFile(trace, 'utf8'))
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { event: string; argv?: string[] })
    .filter((e) => e.event === 'start')
    .map((e) => e.argv!.slice(1).join(' '));
}

/** Writes `n` loose objects whose ids start with 17 (the folder git samples). */
async function looseObjectsIn17(n: number): Promise<void> {
  let made = 0;
  for (let i = 0; made < n; i++) {
    const body = `object ${i}\n`;
    const id = createHash('sha1').update(`blob ${body.length}\0${body}`).digest('hex');
    if (!id.startsWith('17')) continue;
    const { execFileSync } = await import('node:child_process');
    expect(
      execFileSync('git', ['hash-object', '-w', '--stdin'], { cwd: clone, input: body }).toString().trim(),
    ).toBe(id);
    made += 1;
  }
}

describe('the ledger fetch and git maintenance', () => {
  it('nothing due: the fetch starts no maintenance', async () => {
    const commands = await commandsOfFetch();
    expect(commands.some((c) => c.includes(' fetch '))).toBe(true);
    expect(commands.filter((c) => c.startsWith('maintenance'))).toEqual([]);
  });

  it('gc due by the loose-object estimate: the fetch runs maintenance, and git packs them', async () => {
    await git(clone, ['config', 'gc.auto', '256']); // more than one loose object in objects/17
    await looseObjectsIn17(2);
    const commands = await commandsOfFetch();
    expect(commands).toContain('maintenance run --auto --no-quiet');
    expect(commands.some((c) => c.startsWith('gc --auto'))).toBe(true);
  });

  it('maintenance configured by the user: git decides, as always', async () => {
    await git(clone, ['config', 'maintenance.strategy', 'incremental']);
    const commands = await commandsOfFetch();
    expect(commands).toContain('maintenance run --auto --no-quiet');
  });
});
