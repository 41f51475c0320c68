// audit-workflows on real workflow files of public projects (test/fixtures/workflows/SOURCE.md):
// exactly the reviewed findings, no more (false positives on correct code) and no fewer.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../support/cli.js';
import { repoRoot } from './support.js';

const dir = join(repoRoot, 'test/fixtures/workflows');
const expected = JSON.parse(readFileSync(join(dir, 'corpus-expected.json'), 'utf8')) as Record<
  string,
  string[]
>;
const files = readdirSync(join(dir, 'corpus')).sort();

describe('audit-workflows on a corpus of public workflows', () => {
  it('holds at least 20 files, each with its expected findings', () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
    expect(Object.keys(expected).sort()).toEqual(files);
  });

  it.each(files)('%s', async (file) => {
    const run = await runCliCaptured(['audit-workflows', join('corpus', file), '--format', 'json'], {
      cwd: dir,
    });
    const report = JSON.parse(run.stdout) as {
      findings: { line: number; level: string; rule: string; job?: string }[];
    };
    const got = report.findings.map(
      (f) => `${f.line}:${f.level}:${f.rule}${f.job === undefined ? '' : `:${f.job}`}`,
    );
    expect(got).toEqual(expected[file]);
  });

  it('correct uses are clean: the generator by tag, artifact-metadata, container packages: write', () => {
    for (const file of [
      'kyverno-images-publish.yaml',
      'slsa-verifier-release.yml',
      'jq-ci.yml',
      'cosign-build.yaml',
    ]) {
      const bad = (expected[file] ?? []).filter(
        (f) => /:error:job-permissions/.test(f) || (/:action-pinned/.test(f) && file !== 'jq-ci.yml'),
      );
      expect(bad, file).toEqual([]);
    }
  });

  it('hazards are found: script injection and workflow_run without a head-repository check', () => {
    expect(expected['kyverno-release.yaml']).toContain('404:error:script-injection:release-cli-via-krew');
    expect(
      expected['kyverno-sync-trivy-issues.yaml']?.some((f) => f.includes('workflow-run-head-repository')),
    ).toBe(true);
    expect(
      expected['slsa-verifier-e2e-schedule-cli.yml']?.some((f) => f.includes('workflow-run-head-repository')),
    ).toBe(true);
  });

  it('--out writes the report once and keeps it out of the error', async () => {
    const run = await runCliCaptured(
      [
        'audit-workflows',
        join('corpus', 'kyverno-release.yaml'),
        '--out',
        join(repoRoot, 'test-results', 'audit-out.txt'),
        '--json',
      ],
      { cwd: dir },
    );
    expect(run.code).toBe(1);
    const error = run.json().error!;
    expect(error.message).not.toContain('script-injection');
    expect(error.message).toContain('report written to');
    expect(readFileSync(join(repoRoot, 'test-results', 'audit-out.txt'), 'utf8')).toContain(
      'script-injection',
    );
  });
});
