// bin.ts starts a writer's first two git processes (the clone's config and paths), and a record's
// object reader, while the CLI loads (src/io/clone-probe.ts); the ledger engine must take those
// answers and that reader, not ask again.
import { execFile } from 'node:child_process';
import { symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cloneRemote, createRemote, gitTraceCommands, makeTempDir } from '../../support/git.js';
import { makeEntry } from '../../support/ledger.js';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../../dist/bin/slsa-ledger.js', import.meta.url));

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let clone: string;
beforeEach(async () => {
  tmp = await makeTempDir();
  clone = await cloneRemote(await createRemote(tmp.path), join(tmp.path, 'clone'));
});
afterEach(() => tmp.cleanup());

describe('record from the built binary: the clone is asked once', () => {
  it.each([
    ['--repo DIR', (dir: string) => ['--repo', dir]],
    ['--repo=DIR', (dir: string) => [`--repo=${dir}`]],
  ])('%s: one config list, one rev-parse and one object reader, the entry committed', async (_, repoArgs) => {
    const trace = join(tmp.path, 'trace.json');
    const entry = join(tmp.path, 'entry.json');
    await writeFile(entry, JSON.stringify(makeEntry()));
    const { stdout } = await run(
      process.execPath,
      [bin, 'record', '--json', '--no-sign', ...repoArgs(clone), '--entry', entry],
      { env: { ...process.env, GIT_TRACE2_EVENT: trace, SLSA_LEDGER_LOCK_DIR: join(tmp.path, 'locks') } },
    );
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, result: { outcome: 'committed' } });
    const commands = await gitTraceCommands(trace);
    expect(commands.filter((c) => c === 'config -z --list')).toHaveLength(1);
    expect(commands.filter((c) => c.startsWith('rev-parse --git-path objects'))).toHaveLength(1);
    expect(commands.filter((c) => c === 'cat-file --batch')).toHaveLength(1);
  });
});

describe('record and flush from the built binary: --repo that git cannot start in', () => {
  it.each(['record', 'flush'])(
    '%s: a file, a path under a file, a symlink loop, /dev/zero give LEDGER_REPO_INVALID (exit 2, as a missing directory), never a crash',
    async (verb) => {
      const file = join(tmp.path, 'file');
      await writeFile(file, 'x\n');
      await symlink('loop-b', join(tmp.path, 'loop-a'));
      await symlink('loop-a', join(tmp.path, 'loop-b'));
      const entry = join(tmp.path, 'entry.json');
      await writeFile(entry, JSON.stringify(makeEntry()));
      for (const repo of [file, join(file, 'sub'), join(tmp.path, 'loop-a'), '/dev/zero']) {
        const args = verb === 'record' ? ['--entry', entry] : [];
        const result = await run(
          process.execPath,
          [bin, verb, '--json', '--no-sign', '--repo', repo, ...args],
          {
            env: { ...process.env, SLSA_LEDGER_LOCK_DIR: join(tmp.path, 'locks') },
          },
        ).then(
          () => ({ code: 0, stdout: '', stderr: '' }),
          (error: { code: number; stdout: string; stderr: string }) => error,
        );
        expect(result.stderr, repo).not.toMatch(/spawn E|node:internal/);
        expect(result.code, repo).toBe(2);
        expect(JSON.parse(result.stdout), repo).toMatchObject({
          ok: false,
          error: { code: 'LEDGER_REPO_INVALID', message: expect.stringContaining('not a directory') },
        });
      }
    },
  );
});
