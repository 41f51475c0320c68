// The rehearsal of the shipped workflows (issue 15 item 5) runs in CI: every scenario must pass.
// It runs `npm run rehearse -- --json` (the launcher bundles test/rehearsal with esbuild) and reads
// one row per scenario; a failing row names what was expected and not seen.
import { spawn } from 'node:child_process';
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

// Spawned asynchronously: a synchronous spawn would block this worker's event loop for minutes,
// and vitest's worker RPC times out after 60 s (vitest-dev/vitest#8164), failing a green run.
function runRehearsal(): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'scripts/rehearse.mjs'), '--json'], {
      cwd: repoRoot,
      env: { ...process.env, REHEARSAL_DEBUG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (status) =>
      resolve({
        status,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}

describe('npm run rehearse', () => {
  it('passes every scenario', async () => {
    const r = await runRehearsal();
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
      'redispatch-after-build-change',
      'validate-own-run',
      'validate-planted-run',
      'default-branch-master',
      'private-repository',
      'no-slack-no-database',
      'ledger-hand-edit',
      'ledger-history-ruleset',
    ]);
    for (const row of rows) expect(row.problems, `${row.scenario}\n${row.runs.join('\n')}`).toEqual([]);
    const clean = rows.find((x) => x.scenario === 'clean-release')!;
    expect(clean.entry).toBe('v1.0.0 success/validated (validation passed)');
    expect(clean.release).toBe('v1.0.0 published');
    if (process.env.CI === 'true') expect(clean.ingested).toBe('1');
    expect(r.status).toBe(0);
  }, 1_800_000);
});
