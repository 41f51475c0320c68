import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runGit } from '../../io/git.js';

export const git = async (cwd: string, args: string[]): Promise<void> => {
  await runGit(args, { cwd });
};

/** A bare remote with one initial commit on `main`, and a clone of it: the demo's ledger repository. */
export async function createDemoLedger(
  workDir: string,
  name: string,
  readme: string,
): Promise<{ remotePath: string; clonePath: string }> {
  const remotePath = join(workDir, `${name}.git`);
  const clonePath = join(workDir, name);
  await git(workDir, ['init', '-q', '--bare', '-b', 'main', remotePath]);
  await git(workDir, ['clone', '-q', remotePath, clonePath]);
  await writeFile(join(clonePath, 'README.md'), readme);
  await git(clonePath, ['add', 'README.md']);
  await git(clonePath, [
    '-c',
    'user.name=demo',
    '-c',
    'user.email=demo@example.invalid',
    'commit',
    '-q',
    '-m',
    'initial commit',
  ]);
  await git(clonePath, ['push', '-q', 'origin', 'HEAD:main']);
  return { remotePath, clonePath };
}
