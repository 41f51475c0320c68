// keygen and keys that can rotate: a key pair with its key id, bundles that carry it, and
// `verify --key` repeated (old and new key) through the CLI, on real files.
import { createPublicKey } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeKeyId } from '../../../src/core/verify/key-id.js';
import { runCliCaptured } from '../../support/cli.js';

const SHA = 'a'.repeat(40);
const env = { PATH: process.env.PATH, HOME: process.env.HOME };
const context = [
  '--repository',
  'https://github.com/o/r',
  '--ref',
  'refs/tags/v1.0.0',
  '--sha',
  SHA,
  '--workflow-path',
  '.github/workflows/release.yml',
  '--run-id',
  '1',
  '--run-attempt',
  '1',
  '--event-name',
  'push',
  '--builder-id',
  'https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1.0.0',
];

function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'slsa-ledger-keygen-'));
  writeFileSync(join(d, 'app.txt'), 'app\n');
  return d;
}

describe('keygen', () => {
  it.each(['ed25519', 'p256'])(
    '%s: private key 0600, public key and key id printed, --json',
    async (type) => {
      const d = dir();
      const run = await runCliCaptured(['keygen', '--type', type, '--out', 'k.pem', '--json'], {
        cwd: d,
        env,
      });
      expect(run.code).toBe(0);
      const result = run.json().result as { keyId: string; publicKeyPath: string; encrypted: boolean };
      expect(statSync(join(d, 'k.pem')).mode & 0o777).toBe(0o600);
      const pub = readFileSync(join(d, 'k.pub'), 'utf8');
      expect(result.keyId).toBe(computeKeyId(createPublicKey(pub)));
      expect(result.encrypted).toBe(false);
      const human = await runCliCaptured(['keygen', '--type', type, '--out', 'k2.pem'], { cwd: d, env });
      expect(human.stdout).toContain('-----BEGIN PUBLIC KEY-----');
      expect(human.stdout).toMatch(/key id: [0-9a-f]{64}/);
    },
  );

  it('encrypts the private key with SLSA_LEDGER_KEY_PASSPHRASE, which never appears in output', async () => {
    const d = dir();
    const run = await runCliCaptured(['keygen', '--out', 'k.pem', '--json'], {
      cwd: d,
      env: { ...env, SLSA_LEDGER_KEY_PASSPHRASE: 'correct horse' },
    });
    expect(run.code).toBe(0);
    expect(readFileSync(join(d, 'k.pem'), 'utf8')).toContain('ENCRYPTED PRIVATE KEY');
    expect(run.stdout + run.stderr).not.toContain('correct horse');
    // attest needs the passphrase to use it
    const without = await runCliCaptured(['attest', 'app.txt', '--key', 'k.pem', ...context], {
      cwd: d,
      env,
    });
    expect(without.code).toBe(3);
  });

  it('never replaces an existing key without --force (exit 2), and leaves it as it was', async () => {
    const d = dir();
    await runCliCaptured(['keygen', '--out', 'k.pem'], { cwd: d, env });
    const before = readFileSync(join(d, 'k.pem'), 'utf8');
    const again = await runCliCaptured(['keygen', '--out', 'k.pem', '--json'], { cwd: d, env });
    expect(again.code).toBe(2);
    expect(again.json().error?.code).toBe('OUTPUT_EXISTS');
    expect(readFileSync(join(d, 'k.pem'), 'utf8')).toBe(before);
    const forced = await runCliCaptured(['keygen', '--out', 'k.pem', '--force'], { cwd: d, env });
    expect(forced.code).toBe(0);
    expect(readFileSync(join(d, 'k.pem'), 'utf8')).not.toBe(before);
  });

  it('--force replaces a key file, never a FIFO at the path (exit 3, left as it is)', async () => {
    const d = dir();
    execFileSync('mkfifo', [join(d, 'fifo.pem')]);
    const r = await runCliCaptured(['keygen', '--out', 'fifo.pem', '--force', '--json'], { cwd: d, env });
    expect(r.code, r.stdout).toBe(3);
    expect(r.json().error?.code).toBe('INPUT_FILE_NOT_REGULAR');
    expect(lstatSync(join(d, 'fifo.pem')).isFIFO()).toBe(true);
  });

  it('rotation: bundles carry the key id; --key repeated verifies old and new signatures', async () => {
    const d = dir();
    writeFileSync(join(d, 'new.txt'), 'new\n');
    const old = (await runCliCaptured(['keygen', '--out', 'old.pem', '--json'], { cwd: d, env })).json()
      .result as { keyId: string };
    await runCliCaptured(['keygen', '--type', 'p256', '--out', 'new.pem'], { cwd: d, env });
    expect(
      (
        await runCliCaptured(
          ['attest', 'app.txt', '--key', 'old.pem', '--out', 'old.sigstore.json', ...context],
          { cwd: d, env },
        )
      ).code,
    ).toBe(0);
    expect(
      (
        await runCliCaptured(
          ['attest', 'new.txt', '--key', 'new.pem', '--out', 'new.sigstore.json', ...context],
          { cwd: d, env },
        )
      ).code,
    ).toBe(0);
    const bundle = JSON.parse(readFileSync(join(d, 'old.sigstore.json'), 'utf8')) as {
      verificationMaterial: { publicKey: { hint: string } };
    };
    expect(bundle.verificationMaterial.publicKey.hint).toBe(old.keyId);
    const policy = ['--source-uri', 'github.com/o/r', '--json'];
    const both = ['--key', 'new.pub', '--key', 'old.pub'];
    expect(
      (
        await runCliCaptured(['verify', 'app.txt', '--provenance', 'old.sigstore.json', ...both, ...policy], {
          cwd: d,
          env,
        })
      ).code,
    ).toBe(0);
    expect(
      (
        await runCliCaptured(['verify', 'new.txt', '--provenance', 'new.sigstore.json', ...both, ...policy], {
          cwd: d,
          env,
        })
      ).code,
    ).toBe(0);
    const onlyNew = await runCliCaptured(
      ['verify', 'app.txt', '--provenance', 'old.sigstore.json', '--key', 'new.pub', ...policy],
      { cwd: d, env },
    );
    expect(onlyNew.json().error?.code).toBe('VERIFY_SIGNATURE_INVALID');
  });
});
