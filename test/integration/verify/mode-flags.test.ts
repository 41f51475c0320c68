// `verify` has three modes, each reading its own policy flags: slsa-verifier's (--provenance with
// --source-uri), gh's (--repo/--owner) and --vsa. A policy flag of another mode was read by no one:
// `--repo o/r --source-tag v9` passed any tag, `--source-uri … --signer-workflow evil/…` any
// workflow, `--repo … --package-name nope` any package. It is a usage error now (exit 2); the config
// file's defaults are not refused (one `verify:` section serves every mode). On slsa-verifier's npm
// data (test/fixtures/vectors/other-tools/SOURCE.md), offline.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../support/cli.js';

const DIR = join(import.meta.dirname, '../../fixtures/vectors/other-tools/npm');
const PUBLIC_GOOD = join(import.meta.dirname, '../../fixtures/vectors/sigstore/trusted_root.json');
const TGZ = join(DIR, 'gundam-visor-cli-v1-tag.tgz');
const DOC = join(DIR, 'gundam-visor-cli-v1-tag.tgz.json');
const SLSA = [
  '--source-uri',
  'github.com/ramonpetgrave64/gundam-visor',
  '--builder-id',
  'https://github.com/actions/runner/github-hosted',
];
const GH = ['--repo', 'ramonpetgrave64/gundam-visor'];

async function verify(args: readonly string[], cwd = DIR) {
  const run = await runCliCaptured(
    ['verify', ...args, '--trusted-root', PUBLIC_GOOD, '--offline', '--json'],
    { cwd },
  );
  return { code: run.code, error: run.json().error };
}

describe('verify refuses a policy flag its mode does not read', () => {
  it('each mode passes with its own flags', async () => {
    expect((await verify([TGZ, '--provenance', DOC, ...SLSA, '--package-name', 'gundam-visor'])).code).toBe(
      0,
    );
    expect((await verify([TGZ, '--provenance', DOC, ...GH, '--source-ref', 'refs/tags/v1.0.1'])).code).toBe(
      0,
    );
  });

  it.each([
    ['--source-tag', 'v9'],
    ['--source-branch', 'main'],
    ['--commit', '0000000000000000000000000000000000000000'],
    ['--builder-id', 'https://example.com/evil'],
    ['--source-uri', 'github.com/evil/evil'],
    ['--package-name', 'nope'],
    ['--package-version', '9.9.9'],
    ['--verifier-id', 'x'],
  ])("gh's policy (--repo) with %s is a usage error, not a pass", async (flag, value) => {
    const r = await verify([TGZ, '--provenance', DOC, ...GH, flag, value]);
    expect(r.code).toBe(2);
    expect(r.error?.code).toBe('USAGE_INVALID_FLAG');
    expect(r.error?.message).toContain(`${flag} is not read by gh attestation verify's policy`);
  });

  it.each([
    ['--signer-workflow', 'evil/evil/.github/workflows/x.yml'],
    ['--cert-identity', 'https://example.com/evil'],
    ['--source-ref', 'refs/tags/nope'],
    ['--source-digest', '0000000000000000000000000000000000000000'],
    ['--signer-digest', '0000000000000000000000000000000000000000'],
    ['--deny-self-hosted-runners'],
    ['--verified-level', 'SLSA_BUILD_LEVEL_4'],
  ])("slsa-verifier's policy with %s is a usage error, not a pass", async (...flag) => {
    const r = await verify([TGZ, '--provenance', DOC, ...SLSA, ...flag]);
    expect(r.code).toBe(2);
    expect(r.error?.code).toBe('USAGE_INVALID_FLAG');
    expect(r.error?.message).toContain(`${flag[0]} is not read by slsa-verifier's policy`);
  });

  it('--vsa refuses provenance flags, and gh-only certificate flags without --repo/--owner', async () => {
    const base = ['--vsa', DOC, '--verifier-id', 'x', '--resource-uri', 'y'];
    for (const extra of [
      ['--provenance', DOC],
      ['--source-uri', 'github.com/o/r'],
      ['--cert-identity', 'https://example.com/x', '--source-ref', 'refs/heads/main'],
    ]) {
      const r = await verify([...base, ...extra]);
      expect(r.code).toBe(2);
      expect(r.error?.code).toBe('USAGE_INVALID_FLAG');
    }
  });

  it("the config file's defaults of another mode are not refused", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mode-flags-'));
    writeFileSync(
      join(dir, '.slsa-ledger.yml'),
      'verify:\n  source-uri: github.com/ramonpetgrave64/gundam-visor\n  source-tag: v9\n',
    );
    expect((await verify([TGZ, '--provenance', DOC, ...GH], dir)).code).toBe(0);
  });
});
