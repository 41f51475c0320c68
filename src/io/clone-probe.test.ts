import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONFIG_LIST_ARGS, repoDirOfArgs } from './clone-probe.js';
import { prestartGit, runGit } from './git.js';

describe('repoDirOfArgs: the clone a writer names', () => {
  it.each([
    [[], '.'],
    [['--json'], '.'],
    [['--repo', '../ledger'], '../ledger'],
    [['--repo=../ledger'], '../ledger'],
    [['--repo', 'a', '--repo', 'b'], 'b'],
    [['--repo=a', '--repo', 'b', '--json'], 'b'],
    [['--entry', '-', '--repo', 'x y'], 'x y'],
    // after `--` nothing is a flag
    [['--', '--repo', 'x'], '.'],
    // a missing value is the parser's error to give: no guess
    [['--repo'], undefined],
    [['--repo', '--json'], undefined],
    [['--repo='], undefined],
  ] as const)('%j -> %s', (argv, dir) => {
    expect(repoDirOfArgs(argv)).toBe(dir);
  });
});

describe('prestartGit: an answer asked for early, taken once', () => {
  let dir: string;
  let trace: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slsa-probe-'));
    await runGit(['init', '-q'], { cwd: dir });
    trace = join(dir, 'trace.json');
    process.env.GIT_TRACE2_EVENT = trace;
  });
  afterEach(async () => {
    delete process.env.GIT_TRACE2_EVENT;
    await rm(dir, { recursive: true, force: true });
  });
  const configLists = async (): Promise<number> =>
    (await readFile(trace, 'utf8'))
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { event: string; argv?: string[] })
      .filter((e) => e.event === 'start' && e.argv?.slice(1).join(' ') === CONFIG_LIST_ARGS.join(' ')).length;

  it('the same directory and arguments take the running answer; the next call runs its own', async () => {
    prestartGit(CONFIG_LIST_ARGS, dir);
    const first = await runGit(CONFIG_LIST_ARGS, { cwd: join(dir, '.'), allowFailure: true });
    expect(first.code).toBe(0);
    expect(await configLists()).toBe(1);
    await runGit(CONFIG_LIST_ARGS, { cwd: dir, allowFailure: true });
    expect(await configLists()).toBe(2);
  });

  it('a call that differs (directory, a throwing call, an environment) runs its own', async () => {
    prestartGit(CONFIG_LIST_ARGS, dir);
    await runGit(CONFIG_LIST_ARGS, { cwd: dir }); // throws on failure: not the prestarted kind
    await runGit(CONFIG_LIST_ARGS, { cwd: dir, allowFailure: true, env: { X: '1' } });
    expect(await configLists()).toBe(3);
    await runGit(CONFIG_LIST_ARGS, { cwd: dir, allowFailure: true }); // takes the early one
    expect(await configLists()).toBe(3);
  });

  it('a directory that does not exist: the error reaches the caller that asks, not before', async () => {
    const missing = join(dir, 'missing');
    prestartGit(CONFIG_LIST_ARGS, missing);
    await new Promise((r) => setTimeout(r, 50)); // no unhandled rejection meanwhile
    await expect(runGit(CONFIG_LIST_ARGS, { cwd: missing, allowFailure: true })).rejects.toMatchObject({
      code: 'LEDGER_GIT_FAILED',
    });
  });
});
