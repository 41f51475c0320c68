// `init` into a repository a pusher prepared (issue 14, sixteenth session): a `.github` committed as
// a symbolic link to a folder outside the repository made `init` write the action and its
// migrations there; a `docs` that is a dangling link (or a file) made it stop half way with exit 70
// (ENOTDIR), the workflows and the config already written. Now every path is checked before the
// first write (INIT_PATH_UNSAFE, exit 3, nothing written, --force included), and a write that fails
// anyway removes what this run created.
import { chmodSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../support/cli.js';
import { tempDir } from './support.js';

function repo(): string {
  const dir = join(tempDir('slsa-init-hostile-'), 'repo');
  mkdirSync(join(dir, '.git'), { recursive: true });
  return dir;
}

describe('init never writes through a symbolic link, and never leaves half an install', () => {
  it.each([
    ['.github linked to a folder outside the repository', '.github', 'outside'],
    ['.github/workflows linked outside', '.github/workflows', 'outside'],
    ['docs as a dangling link', 'docs', 'nowhere'],
  ])('%s: INIT_PATH_UNSAFE, nothing written, with or without --force', async (_name, link, target) => {
    const dir = repo();
    const outside = join(dir, '..', 'outside');
    mkdirSync(outside);
    mkdirSync(join(dir, link, '..'), { recursive: true });
    symlinkSync(join(dir, '..', target), join(dir, link));
    for (const force of [[], ['--force']]) {
      const run = await runCliCaptured([
        'init',
        '--dir',
        dir,
        '--repository',
        'acme/widgets',
        '--json',
        ...force,
      ]);
      expect(run.code, run.stdout).toBe(3);
      expect(run.json().error).toMatchObject({ code: 'INIT_PATH_UNSAFE' });
      expect(run.json().error!.message).toContain(`${link} is a symbolic link`);
      expect(readdirSync(outside)).toEqual([]);
      expect(existsSync(join(dir, '.slsa-ledger.yml'))).toBe(false);
    }
  });

  it('a file where a folder goes (docs) or a folder where a file goes: INIT_PATH_UNSAFE, nothing written', async () => {
    const dir = repo();
    writeFileSync(join(dir, 'docs'), 'a file\n');
    mkdirSync(join(dir, '.slsa-ledger.yml'));
    const run = await runCliCaptured([
      'init',
      '--dir',
      dir,
      '--repository',
      'acme/widgets',
      '--json',
      '--force',
    ]);
    expect(run.code).toBe(3);
    expect(run.json().error!.code).toBe('INIT_PATH_UNSAFE');
    const unsafe = run.json().error!.details.unsafe as { path: string }[];
    expect(unsafe.map((u) => u.path)).toEqual(
      expect.arrayContaining([
        '.slsa-ledger.yml',
        'docs/ops/workflows.mmd',
        'docs/governance/role-matrix.md',
      ]),
    );
    expect(existsSync(join(dir, '.github'))).toBe(false);
  });

  it('a target that is a symbolic link exists (INIT_FILE_EXISTS); --force replaces the link, never the file it names', async () => {
    const dir = repo();
    const victim = join(dir, '..', 'victim.yml');
    writeFileSync(victim, 'mine\n');
    mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
    symlinkSync(victim, join(dir, '.github', 'workflows', 'release.yml'));
    const refused = await runCliCaptured(['init', '--dir', dir, '--repository', 'acme/widgets', '--json']);
    expect(refused.code).toBe(4);
    expect(refused.json().error!.details.existing).toContain('.github/workflows/release.yml');
    const forced = await runCliCaptured([
      'init',
      '--dir',
      dir,
      '--repository',
      'acme/widgets',
      '--json',
      '--force',
    ]);
    expect(forced.code, forced.stdout).toBe(0);
    const { readFileSync, lstatSync } = await import('node:fs');
    expect(readFileSync(victim, 'utf8')).toBe('mine\n');
    expect(lstatSync(join(dir, '.github', 'workflows', 'release.yml')).isFile()).toBe(true);
  });

  it.skipIf(process.getuid?.() === 0)(
    'a write that fails half way removes the files this run created (OUTPUT_WRITE_FAILED, not exit 70)',
    async () => {
      const dir = repo();
      mkdirSync(join(dir, 'supabase'));
      chmodSync(join(dir, 'supabase'), 0o500);
      try {
        const run = await runCliCaptured(['init', '--dir', dir, '--repository', 'acme/widgets', '--json']);
        expect(run.json().error!.code).toBe('OUTPUT_WRITE_FAILED');
        expect(existsSync(join(dir, '.github'))).toBe(true); // folders stay; no file in them
        expect(existsSync(join(dir, '.slsa-ledger.yml'))).toBe(false);
        expect(existsSync(join(dir, '.github', 'workflows', 'release.yml'))).toBe(false);
      } finally {
        chmodSync(join(dir, 'supabase'), 0o700);
      }
    },
  );
});
