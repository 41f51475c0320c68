import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../../dist/bin/slsa-ledger.js', import.meta.url));

// Spawns the built binary (npm test builds first): the shebang, ESM output and exit codes work for real.
describe('slsa-ledger binary', () => {
  it('prints its version', async () => {
    const { stdout } = await run(bin, ['--version']);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
  it('exits 2 on an unknown command, with the error on stderr only', async () => {
    const error = (await run(bin, ['frobnicate']).catch((e: unknown) => e)) as {
      code: number;
      stdout: string;
      stderr: string;
    };
    expect(error.code).toBe(2);
    expect(error.stdout).toBe('');
    expect(error.stderr).toContain('USAGE_UNKNOWN_COMMAND');
  });
  // `record` runs from a bundle of its own (src/cli/record-runner.ts): the same help, usage errors
  // and exit codes as every other command (its hostile entries: test/integration/git/hostile-write)
  it('record: its help from its own bundle, as the CLI renders it', async () => {
    const { stdout, stderr } = await run(bin, ['record', '--help']);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^usage: slsa-ledger record /);
    expect(stderr).toContain('--sign-key FILE');
  });
  it('record: an unknown option exits 2 with its code, on stdout as JSON with --json', async () => {
    const error = (await run(bin, ['record', '--json', '--frobnicate']).catch((e: unknown) => e)) as {
      code: number;
      stdout: string;
      stderr: string;
    };
    expect(error.code).toBe(2);
    expect(JSON.parse(error.stdout)).toMatchObject({ ok: false, error: { code: 'USAGE_UNKNOWN_FLAG' } });
  });
});
