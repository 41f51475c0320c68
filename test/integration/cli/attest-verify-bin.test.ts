import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../../dist/bin/slsa-ledger.js', import.meta.url));

// Spawns the built binary (npm test builds first): attest and verify work end to end as a process,
// with the exit codes of DESIGN.md §2 and JSON only on stdout.
describe('slsa-ledger attest / verify as a process', () => {
  it('attests, verifies (exit 0) and rejects a tampered artifact (exit 1)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slsa-ledger-bin-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const keys = generateKeyPairSync('ed25519');
    writeFileSync(join(dir, 'k.pem'), keys.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(dir, 'k.pub'), keys.publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(dir, 'app.bin'), 'release bytes\n');
    const env = {
      PATH: process.env.PATH,
      GITHUB_REPOSITORY: 'o/r',
      GITHUB_REF: 'refs/tags/v1.0.0',
      GITHUB_SHA: 'a'.repeat(40),
      GITHUB_WORKFLOW_REF: 'o/r/.github/workflows/release.yml@refs/tags/v1.0.0',
      GITHUB_RUN_ID: '7',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_EVENT_NAME: 'push',
    };
    const attest = await run(bin, ['attest', 'app.bin', '--key', 'k.pem', '--json'], { cwd: dir, env });
    expect(JSON.parse(attest.stdout)).toMatchObject({
      ok: true,
      result: { subjects: [{ name: 'app.bin' }] },
    });

    const verifyArgs = ['verify', 'app.bin', '--provenance', 'provenance.sigstore.json', '--key', 'k.pub'];
    const ok = await run(bin, [...verifyArgs, '--source-uri', 'github.com/o/r', '--source-tag', 'v1.0.0'], {
      cwd: dir,
      env,
    });
    expect(ok.stdout).toBe('');
    expect(ok.stderr).toContain('PASSED app.bin');

    writeFileSync(join(dir, 'app.bin'), 'tampered bytes\n');
    const bad = (await run(bin, [...verifyArgs, '--source-uri', 'github.com/o/r', '--json'], {
      cwd: dir,
      env,
    }).catch((e: unknown) => e)) as { code: number; stdout: string };
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).error.code).toBe('VERIFY_SUBJECT_DIGEST_MISMATCH');
  });
});
