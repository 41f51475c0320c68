// `init` into a temporary repository: everything installed, a second run refuses without writing,
// --force overwrites, and the installed workflows and action work where they land.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../support/cli.js';
import { readTemplate, repoRoot, tempDir, templateNames } from './support.js';

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(
    listFiles(dir).map((f) => [f, `${statSync(join(dir, f)).mtimeMs}:${readFileSync(join(dir, f), 'utf8')}`]),
  );
}

const migrations = existsSync(join(repoRoot, 'supabase', 'migrations'))
  ? readdirSync(join(repoRoot, 'supabase', 'migrations')).filter((n) => n.endsWith('.sql'))
  : [];

describe('init', () => {
  it('installs the workflows, the action, the config, the migrations and the docs', async () => {
    const dir = tempDir();
    const run = await runCliCaptured(['init', '--dir', dir, '--json']);
    expect(run.code).toBe(0);
    const result = run.json().result;
    const expected = [
      ...templateNames.map((n) => `.github/workflows/${n}`),
      '.github/actions/slsa-ledger/action.yml',
      ...listFiles(join(repoRoot, 'action/dist')).map((f) => `.github/actions/slsa-ledger/action/dist/${f}`),
      '.github/actions/slsa-ledger/package.json',
      '.slsa-ledger.yml',
      ...migrations.map((n) => `supabase/migrations/${n}`),
      'docs/ops/workflows.mmd',
      'docs/ops/workflow-summary.md',
      'docs/ops/failure-recovery.md',
      'docs/governance/role-matrix.md',
    ].sort();
    expect(listFiles(dir)).toEqual(expected);
    expect(result.files.map((f: any) => f.path).sort()).toEqual(expected);
    expect(result.files.every((f: any) => f.action === 'created')).toBe(true);
    for (const n of templateNames) {
      expect(readFileSync(join(dir, '.github/workflows', n), 'utf8')).toBe(readTemplate(n));
    }
    const names = result.settings.map((s: any) => s.name);
    for (const name of [
      'PROVENANCE_DISPATCH_TOKEN',
      'SLACK_WEBHOOK_URL',
      'SLSA_MANIFEST_SERVICE_KEY',
      'SUPABASE_URL',
      'PROVENANCE_DISPATCH_TOKEN_ROTATED_AT',
    ]) {
      expect(names).toContain(name);
    }
  });

  it('prints the secrets and variables to create', async () => {
    const dir = tempDir();
    const run = await runCliCaptured(['init', '--dir', dir]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('gh secret set PROVENANCE_DISPATCH_TOKEN');
    expect(run.stderr).toContain('gh variable set SUPABASE_URL');
    expect(run.stderr).toContain('SLSA_MANIFEST_SERVICE_KEY');
  });

  it('a second run refuses with INIT_FILE_EXISTS (exit 4) and writes nothing; --force overwrites', async () => {
    const dir = tempDir();
    expect((await runCliCaptured(['init', '--dir', dir])).code).toBe(0);
    writeFileSync(join(dir, '.slsa-ledger.yml'), 'audit-workflows:\n  format: json\n');
    const before = snapshot(dir);
    const again = await runCliCaptured(['init', '--dir', dir, '--json']);
    expect(again.code).toBe(4);
    expect(again.json().error?.code).toBe('INIT_FILE_EXISTS');
    expect((again.json().error?.details as any).existing).toContain('.github/workflows/release.yml');
    expect(snapshot(dir)).toEqual(before);

    const forced = await runCliCaptured(['init', '--dir', dir, '--force', '--json']);
    expect(forced.code).toBe(0);
    expect(forced.json().result.files.every((f: any) => f.action === 'overwritten')).toBe(true);
    expect(readFileSync(join(dir, '.slsa-ledger.yml'), 'utf8')).toContain('format: text');
  });

  it('one existing file is enough to refuse, and nothing else is created', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'README.md'), 'mine\n');
    await runCliCaptured(['init', '--dir', dir]);
    const only = tempDir();
    execFileSync('mkdir', ['-p', join(only, 'docs/ops')]);
    writeFileSync(join(only, 'docs/ops/workflows.mmd'), 'flowchart TD\n  a --> b\n');
    const run = await runCliCaptured(['init', '--dir', only, '--json']);
    expect(run.code).toBe(4);
    expect(listFiles(only)).toEqual(['docs/ops/workflows.mmd']);
  });

  it('--dir is relative to the working directory, and the default is the working directory', async () => {
    const dir = tempDir();
    expect((await runCliCaptured(['init', '--dir', 'repo'], { cwd: dir })).code).toBe(0);
    expect(existsSync(join(dir, 'repo/.github/workflows/release.yml'))).toBe(true);
    expect((await runCliCaptured(['init'], { cwd: join(dir, 'repo') })).code).toBe(4);
  });

  it('the installed repository passes audit-workflows, and the config file is read', async () => {
    const dir = tempDir();
    await runCliCaptured(['init', '--dir', dir]);
    execFileSync('git', ['init', '-q', dir]);
    const run = await runCliCaptured(['audit-workflows', '--json'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.json().result.findings).toEqual([]);
  });

  it('the vendored action runs from the installed repository', () => {
    const dir = tempDir();
    execFileSync(process.execPath, [join(repoRoot, 'dist/bin/slsa-ledger.js'), 'init', '--dir', dir], {
      stdio: 'pipe',
    });
    const out = join(dir, 'github-output');
    writeFileSync(out, '');
    execFileSync(process.execPath, [join(dir, '.github/actions/slsa-ledger/action/dist/index.js')], {
      cwd: dir,
      env: { PATH: process.env.PATH, INPUT_COMMAND: 'audit-workflows', GITHUB_OUTPUT: out },
      stdio: 'pipe',
    });
    expect(readFileSync(out, 'utf8')).toMatch(/^errors<<(\S+)\n0\n\1$/m);
  });
});
