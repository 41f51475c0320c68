// The rehearsal of the shipped workflows (issue 15 item 5) runs in CI: every scenario must pass.
// It runs `npm run rehearse -- --json` (the launcher bundles test/rehearsal with esbuild) and reads
// one row per scenario; a failing row names what was expected and not seen.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './support.js';

interface Row {
  scenario: string;
  entry: string;
  release: string;
  slack: number;
  issues: number;
  ingested: string;
  passed: boolean;
  problems: string[];
  runs: string[];
}

describe('npm run rehearse', () => {
  it('passes every scenario', () => {
    const r = spawnSync(process.execPath, [join(repoRoot, 'scripts/rehearse.mjs'), '--json'], {
      cwd: repoRoot,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, REHEARSAL_DEBUG: '' },
    });
    expect(r.stdout, r.stderr).not.toBe('');
    const rows = JSON.parse(r.stdout) as Row[];
    expect(rows.map((x) => x.scenario)).toEqual([
      'clean-release',
      'missing-artifact',
      'refused-push-then-flush',
      'expired-dispatch-token',
      'failed-validation',
      'second-release-during-first',
      'rerun-failed-job',
      'default-branch-master',
      'private-repository',
      'no-slack-no-database',
    ]);
    for (const row of rows) expect(row.problems, `${row.scenario}\n${row.runs.join('\n')}`).toEqual([]);
    const clean = rows.find((x) => x.scenario === 'clean-release')!;
    expect(clean.entry).toBe('v1.0.0 success/validated (validation passed)');
    expect(clean.release).toBe('v1.0.0 published');
    if (process.env.CI === 'true') expect(clean.ingested).toBe('1');
    expect(r.status).toBe(0);
  }, 1_800_000);
});
