// Issue 15: a private repository never reaches the public transparency log unless the user opts
// in. The CLI itself refuses (not only the action), so `npx slsa-ledger attest --sigstore` in a
// private repository's `run:` step cannot publish its name, workflow, commit and digests to Rekor.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runCliCaptured } from '../../support/cli.js';

function privateRepositoryRun(): { dir: string; env: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), 'slsa-ledger-public-log-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'app.txt'), 'app\n');
  const event = join(dir, 'event.json');
  writeFileSync(event, JSON.stringify({ repository: { full_name: 'acme/app', private: true } }));
  return {
    dir,
    env: { PATH: process.env.PATH ?? '', GITHUB_ACTIONS: 'true', GITHUB_EVENT_PATH: event },
  };
}

describe('keyless signing from a private repository’s workflow', () => {
  it('attest --sigstore is refused with PUBLIC_LOG_REFUSED (exit 2) before anything is signed', async () => {
    const { dir, env } = privateRepositoryRun();
    const run = await runCliCaptured(['attest', 'app.txt', '--sigstore', '--json'], { env, cwd: dir });
    expect(run.code).toBe(2);
    expect(run.json().error?.code).toBe('PUBLIC_LOG_REFUSED');
  });

  it('the ledger writers (keyless by default in Actions) are refused too', async () => {
    const { dir, env } = privateRepositoryRun();
    for (const argv of [
      ['record', '--entry', 'entry.json'],
      ['flush'],
      ['validate', '--tag', 'v1', '--record'],
    ]) {
      const run = await runCliCaptured([...argv, '--json'], { env, cwd: dir });
      expect(run.json().error?.code, argv.join(' ')).toBe('PUBLIC_LOG_REFUSED');
    }
  });

  it('an opt-in, a Rekor of its own, or a run outside GitHub Actions is not refused', async () => {
    const { dir, env } = privateRepositoryRun();
    const cases: [string[], Record<string, string>][] = [
      [['attest', 'app.txt', '--sigstore'], { ...env, SLSA_LEDGER_PUBLIC_LOG_OPT_IN: 'true' }],
      [['attest', 'app.txt', '--sigstore', '--rekor-url', 'https://127.0.0.1:9/'], env],
      [['attest', 'app.txt', '--sigstore'], { ...env, GITHUB_ACTIONS: '' }],
    ];
    for (const [argv, e] of cases) {
      // no OIDC token here: the command fails later, for another reason
      const run = await runCliCaptured([...argv, '--json'], { env: e, cwd: dir });
      expect(run.json().error?.code, argv.join(' ')).not.toBe('PUBLIC_LOG_REFUSED');
    }
  });
});
