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
});
