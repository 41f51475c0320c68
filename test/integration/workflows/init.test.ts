// `init` into a temporary repository: everything installed, a second run refuses without writing,
// --force overwrites, and the installed workflows and action work where they land.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { decideSigner, parseTrustPolicy, resolveTrustPolicy } from '../../../src/core/ledger-trust/policy.js';
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
      ...migrations.map((n) => `.github/actions/slsa-ledger/supabase/migrations/${n}`),
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
    expect(result).toMatchObject({
      attestor: 'slsa-github-generator',
      signoff: 'environment',
      ledger_branch: 'slsa-ledger',
    });
    for (const name of [
      'SLACK_WEBHOOK_URL',
      'SLSA_MANIFEST_SERVICE_KEY',
      'SUPABASE_URL',
      'PROVENANCE_DISPATCH_TOKEN_ROTATED_AT',
      'SLSA_LEDGER_PUBLIC_LOG_OPT_IN',
      'release',
    ]) {
      expect(names).toContain(name);
    }
    // the ledger's history: rules that block no writer (they push fast-forward, linear commits)
    const history = result.settings.find((s: any) => s.name.startsWith('ledger history ruleset'));
    expect(history.command).toContain('refs/heads/slsa-ledger');
    for (const rule of ['non_fast_forward', 'required_linear_history', 'deletion'])
      expect(history.command).toContain(`rules[][type]=${rule}`);
    expect(history.command).not.toMatch(/type\]=(update|creation)/);
  });

  it('prints the secrets and variables to create', async () => {
    const dir = tempDir();
    const run = await runCliCaptured(['init', '--dir', dir]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('gh secret set SLACK_WEBHOOK_URL');
    expect(run.stderr).toContain('environments/release');
    expect(run.stderr).toContain('gh variable set SUPABASE_URL');
    expect(run.stderr).toContain('SLSA_MANIFEST_SERVICE_KEY');
  });

  it('--private --signoff jira --ledger-branch: attest-build-provenance, a Jira check, the branch everywhere; audit-clean', async () => {
    const dir = tempDir();
    const run = await runCliCaptured([
      'init',
      '--dir',
      dir,
      '--json',
      '--private',
      '--signoff',
      'jira',
      '--ledger-branch',
      'audit/ledger',
      '--build-command',
      'npm ci && npm pack --pack-destination out',
      '--artifacts-dir',
      'out',
    ]);
    expect(run.code, run.stdout).toBe(0);
    expect(run.json().result).toMatchObject({ attestor: 'attest-build-provenance', signoff: 'jira' });
    const prov = readFileSync(join(dir, '.github/workflows/slsa-provenance.yml'), 'utf8');
    expect(prov).toContain('actions/attest-build-provenance@');
    expect(prov).not.toContain('slsa-github-generator/.github/workflows');
    expect(prov).toContain('command: signoff');
    expect(prov).not.toContain('environment: release');
    expect(prov).toContain("SLSA_LEDGER_BUILD_COMMAND: 'npm ci && npm pack --pack-destination out'");
    for (const n of templateNames) {
      const text = readFileSync(join(dir, '.github/workflows', n), 'utf8');
      if (text.includes('SLSA_LEDGER_BRANCH:')) expect(text, n).toContain('SLSA_LEDGER_BRANCH: audit/ledger');
    }
    const validate = readFileSync(join(dir, '.github/workflows/provenance-validate.yml'), 'utf8');
    expect(validate).not.toContain('--builder-id');
    expect(readFileSync(join(dir, '.slsa-ledger.yml'), 'utf8')).toContain('branch: audit/ledger');
    const audit = await runCliCaptured(['audit-workflows', join(dir, '.github/workflows'), '--json']);
    expect(audit.json().result).toMatchObject({ errors: 0, warnings: 0 });
    const names = run.json().result.settings.map((s: any) => s.name);
    expect(names).toEqual(expect.arrayContaining(['JIRA_BASE_URL', 'JIRA_EMAIL', 'JIRA_API_TOKEN']));
    expect(names).not.toContain('SLSA_LEDGER_PUBLIC_LOG_OPT_IN');
  });

  it('refuses a bad choice (exit 2) and writes nothing', async () => {
    const dir = tempDir();
    for (const extra of [
      ['--attestor', 'cosign'],
      ['--signoff', 'email'],
      ['--ledger-branch', '../x'],
    ]) {
      const run = await runCliCaptured(['init', '--dir', dir, '--json', ...extra]);
      expect(run.code, extra.join(' ')).toBe(2);
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a second run refuses with INIT_FILE_EXISTS (exit 4) and writes nothing; --force overwrites', async () => {
    const dir = tempDir();
    const first = await runCliCaptured(['init', '--dir', dir]);
    expect(first.code).toBe(0);
    // no repository known: the policy is written commented out, and init says so
    expect(first.stderr).toContain('written commented out');
    writeFileSync(join(dir, '.slsa-ledger.yml'), 'audit-workflows:\n  format: json\n');
    const before = snapshot(dir);
    const again = await runCliCaptured(['init', '--dir', dir, '--json']);
    expect(again.code).toBe(4);
    expect(again.json().error?.code).toBe('INIT_FILE_EXISTS');
    // a refusal writes nothing, so it warns of nothing it would have written
    expect(again.stderr).not.toContain('written commented out');
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

  describe('the trust: policy', () => {
    const policyOf = (dir: string) => {
      const doc = parseYaml(readFileSync(join(dir, '.slsa-ledger.yml'), 'utf8')) as { trust?: unknown };
      return doc.trust === undefined
        ? undefined
        : resolveTrustPolicy(parseTrustPolicy(doc.trust, '.slsa-ledger.yml'), { trustKeys: [] });
    };
    const san = (repo: string, file: string, ref: string) => ({
      kind: 'certificate' as const,
      issuer: 'https://token.actions.githubusercontent.com',
      subjectAlternativeName: `https://github.com/${repo}/.github/workflows/${file}@${ref}`,
    });

    it('names the clone’s GitHub repository and default branch: each writer on the refs GitHub runs it on', async () => {
      const dir = tempDir();
      execFileSync('git', ['init', '-q', '--initial-branch=trunk', dir]);
      execFileSync('git', ['-C', dir, 'remote', 'add', 'origin', 'git@github.com:acme/app.git']);
      const run = await runCliCaptured(['init', '--dir', dir, '--json']);
      expect(run.code, run.stderr).toBe(0);
      expect(run.json().result).toMatchObject({ trust_repository: 'acme/app', default_branch: 'trunk' });
      const policy = policyOf(dir)!;
      expect(policy.needsSigstore).toBe(true);
      const allowed = (kind: 'record' | 'update' | 'verdict', file: string, ref: string, repo = 'acme/app') =>
        decideSigner(policy, kind, san(repo, file, ref)).allowed;
      // what the shipped workflows sign
      expect(allowed('record', 'release.yml', 'refs/tags/v1.2.3')).toBe(true);
      expect(allowed('record', 'release.yml', 'refs/heads/trunk')).toBe(true);
      expect(allowed('update', 'slsa-provenance.yml', 'refs/tags/v1.2.3')).toBe(true);
      expect(allowed('verdict', 'provenance-validate.yml', 'refs/heads/trunk')).toBe(true);
      expect(allowed('update', 'manifest-ingest.yml', 'refs/heads/trunk')).toBe(true);
      // what a pusher could make them sign: a workflow edited on a branch of their own, another
      // repository's workflow, a verdict from the provenance workflow, a workflow that is not a writer
      expect(allowed('record', 'release.yml', 'refs/heads/evil')).toBe(false);
      expect(allowed('verdict', 'provenance-validate.yml', 'refs/heads/evil')).toBe(false);
      expect(allowed('record', 'slsa-provenance.yml', 'refs/heads/trunk')).toBe(false);
      expect(allowed('record', 'release.yml', 'refs/tags/v1.2.3', 'evil/app')).toBe(false);
      expect(allowed('verdict', 'slsa-provenance.yml', 'refs/tags/v1.2.3')).toBe(false);
      expect(allowed('verdict', 'release.yml', 'refs/tags/v1.2.3')).toBe(false);
      expect(allowed('record', 'ledger-check.yml', 'refs/heads/trunk')).toBe(false);
    });

    it('--repository and --default-branch win; a bad one is refused (exit 2) and nothing is written', async () => {
      const dir = tempDir();
      const run = await runCliCaptured([
        'init',
        '--dir',
        dir,
        '--repository',
        'acme/tool',
        '--default-branch',
        'main',
      ]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout + run.stderr).toMatch(/trust policy: acme\/tool/);
      expect(
        decideSigner(
          policyOf(dir)!,
          'verdict',
          san('acme/tool', 'provenance-validate.yml', 'refs/heads/main'),
        ).allowed,
      ).toBe(true);
      for (const bad of [
        ['--repository', 'acme'],
        ['--repository', 'acme/app\nx'],
        ['--default-branch', '../x'],
      ]) {
        const other = tempDir();
        const refused = await runCliCaptured(['init', '--dir', other, ...bad, '--json']);
        expect(refused.code).toBe(2);
        expect(refused.json().error?.code).toBe('USAGE_INVALID_FLAG');
        expect(readdirSync(other)).toEqual([]);
      }
    });

    it('without a GitHub repository the policy is written commented out, with a warning; GITHUB_REPOSITORY fills it', async () => {
      const dir = tempDir();
      const run = await runCliCaptured(['init', '--dir', dir]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/--repository OWNER\/NAME/);
      // flush without a policy lands nothing: init says so
      expect(run.stderr).toMatch(/FLUSH_NO_TRUST_POLICY/);
      expect(policyOf(dir)).toBeUndefined();
      expect(readFileSync(join(dir, '.slsa-ledger.yml'), 'utf8')).toMatch(/^# trust:$/m);
      const fromEnv = tempDir();
      await runCliCaptured(['init', '--dir', fromEnv], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, GITHUB_REPOSITORY: 'acme/ci' },
      });
      expect(policyOf(fromEnv)).toBeDefined();
      // a local path as origin is no GitHub repository
      const local = tempDir();
      execFileSync('git', ['init', '-q', local]);
      execFileSync('git', ['-C', local, 'remote', 'add', 'origin', '/srv/git/acme/app.git']);
      await runCliCaptured(['init', '--dir', local]);
      expect(policyOf(local)).toBeUndefined();
    });
  });
});
