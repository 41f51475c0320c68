// attest with artifacts whose names cannot be subject names: a line break (it forged a line of
// attest's own output), an escape sequence, a bidi override. Refused (INPUT_INVALID, exit 3), no
// output written; and GNU sha256sum's escaped names are read as the names they escape.
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../support/cli.js';

const env = { PATH: process.env.PATH, HOME: process.env.HOME };
const context = [
  '--repository',
  'https://github.com/acme/app',
  '--ref',
  'refs/tags/v1.0.0',
  '--sha',
  'a'.repeat(40),
  '--workflow-path',
  '.github/workflows/release.yml',
  '--run-id',
  '1',
  '--event-name',
  'push',
];

function setup(): string {
  const dir = mkdtempSync(join(tmpdir(), 'outside-attest-'));
  const { privateKey } = generateKeyPairSync('ed25519');
  writeFileSync(join(dir, 'k.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return dir;
}

describe('attest refuses artifact names that cannot be subject names', () => {
  it.each([
    ['a line break that forges an output line', `app.tgz\n  ${'0'.repeat(64)}  forged.tgz`],
    ['an escape sequence', 'app\u001b[2J.tgz'],
    ['a right-to-left override', 'app\u202egpj.exe'],
  ])('%s: INPUT_INVALID (exit 3), nothing written', async (_name, fileName) => {
    const dir = setup();
    writeFileSync(join(dir, fileName), 'artifact\n');
    for (const argument of [fileName, 'app*']) {
      const r = await runCliCaptured(['attest', argument, '--key', 'k.pem', ...context, '--out', 'p.json'], {
        env,
        cwd: dir,
      });
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toContain('INPUT_INVALID');
      expect(r.stderr).not.toContain('forged.tgz\n');
      expect(existsSync(join(dir, 'p.json'))).toBe(false);
    }
  });

  it("reads sha256sum's escaped names (\\ marks the line, \\\\ is a backslash)", async () => {
    const dir = setup();
    const digest = 'b'.repeat(64);
    writeFileSync(join(dir, 'SUMS'), `\\${digest}  dir\\\\app.tgz\n`);
    const r = await runCliCaptured(
      ['attest', '--subjects-from', 'SUMS', '--key', 'k.pem', ...context, '--out', 'p.json', '--json'],
      { env, cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().result.subjects).toEqual([{ name: 'dir\\app.tgz', sha256: digest }]);
    expect(readFileSync(join(dir, 'p.json'), 'utf8')).toContain('dsseEnvelope');
  });

  it('an escaped line break in a sha256sum name is refused like the file name', async () => {
    const dir = setup();
    writeFileSync(join(dir, 'SUMS'), `\\${'c'.repeat(64)}  app.tgz\\n  ${'0'.repeat(64)}  forged.tgz\n`);
    const r = await runCliCaptured(['attest', '--subjects-from', 'SUMS', '--key', 'k.pem', ...context], {
      env,
      cwd: dir,
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('INPUT_INVALID');
  });
});
