// Keyless ledger signing through the CLI (issue 14 item 2): `record --sign sigstore` as a GitHub
// Actions job would run it — the OIDC token in SIGSTORE_ID_TOKEN, a local Fulcio and Rekor
// (@sigstore/mock behind node:http) named by SLSA_LEDGER_FULCIO_URL / _REKOR_URL — then `check`
// under the checker's trust policy with that Sigstore's trusted_root.json: the workflow the policy
// names is verified (also when the policy spells the repository `Acme/App`); the same change signed
// from a branch a pusher made, or a policy naming the workflow file in another case, is
// CHECK_SIGNER_UNTRUSTED.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../support/cli.js';
import { cloneRemote, createRemote, git, makeTempDir } from '../../support/git.js';
import { makeEntry } from '../../support/ledger.js';
import { githubIdentityToken, startLocalSigstore, type LocalSigstore } from '../../support/sigstore-mock.js';

const APP = 'acme/app';
const token = (ref: string) =>
  githubIdentityToken({
    workflowUri: `https://github.com/${APP}/.github/workflows/slsa-provenance.yml@${ref}`,
    repository: APP,
    ref,
    sha: 'a'.repeat(40),
  });

describe('record --sign sigstore, then check under the policy', () => {
  let sigstore: LocalSigstore;
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let remote: string;
  let clone: string;
  let cfg: string;
  let env: Record<string, string | undefined>;

  beforeAll(async () => {
    sigstore = await startLocalSigstore();
    tmp = await makeTempDir('slsa-ledger-keyless-cli-');
    remote = await createRemote(tmp.path);
    clone = await cloneRemote(remote, join(tmp.path, 'clone'));
    cfg = join(tmp.path, 'checker');
    await mkdir(cfg, { recursive: true });
    await writeFile(join(cfg, 'trusted_root.json'), JSON.stringify(sigstore.trustedRoot));
    await writeFile(
      join(cfg, '.slsa-ledger.yml'),
      `trust:\n  signers:\n    provenance:\n      workflow: ${APP}/.github/workflows/slsa-provenance.yml\n      ref: [refs/tags/v*]\n  record: [provenance]\n  update: [provenance]\n`,
    );
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      SLSA_LEDGER_LOCK_DIR: join(tmp.path, 'locks'),
      SLSA_LEDGER_FULCIO_URL: sigstore.fulcioUrl,
      SLSA_LEDGER_REKOR_URL: sigstore.rekorUrl,
    };
  });
  afterAll(async () => {
    await sigstore?.close();
    await tmp?.cleanup();
  });

  const record = async (entry: unknown, ref: string) => {
    const file = join(tmp.path, `entry-${Math.random().toString(16).slice(2)}.json`);
    await writeFile(file, JSON.stringify(entry));
    return runCliCaptured(['record', '--json', '--sign', 'sigstore', '--repo', clone, '--entry', file], {
      env: { ...env, SIGSTORE_ID_TOKEN: token(ref) },
    });
  };
  const check = async (cwd = cfg) => {
    await git(clone, ['fetch', '-q', 'origin']);
    return runCliCaptured(
      [
        'check',
        '--json',
        '--repo',
        clone,
        '--ref',
        'origin/main',
        '--trusted-root',
        join(cfg, 'trusted_root.json'),
      ],
      { env, cwd },
    );
  };
  // a checker whose policy spells the repository (or the workflow file) in other letter cases
  const checker = async (name: string, workflow: string) => {
    const dir = join(tmp.path, name);
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, '.slsa-ledger.yml'),
      `trust:\n  signers:\n    provenance:\n      workflow: ${workflow}\n      ref: [refs/tags/v*]\n  record: [provenance]\n  update: [provenance]\n`,
    );
    return dir;
  };

  it('signs with a Fulcio certificate and a Rekor entry; check verifies the workflow the policy names', async () => {
    const r = await record(makeEntry({ run_id: 1 }), 'refs/tags/v1.0.0');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(sigstore.requests.some((p) => p.includes('/api/v2/signingCert'))).toBe(true);
    expect(sigstore.requests.some((p) => p.includes('/api/v1/log/entries'))).toBe(true);
    const bundle = JSON.parse(
      (await git(remote, ['show', 'main:docs/reports/2025-11-24/transitions.jsonl'])).split('\n')[0]!,
    );
    expect(
      bundle.verificationMaterial.certificate ?? bundle.verificationMaterial.x509CertificateChain,
    ).toBeDefined();
    expect(bundle.verificationMaterial.tlogEntries).toHaveLength(1);
    const checked = await check();
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
  });

  it('a policy naming Acme/App verifies the certificate for acme/app; a workflow file in another case does not', async () => {
    const mixed = await check(
      await checker('checker-mixed', 'Acme/App/.github/workflows/slsa-provenance.yml'),
    );
    expect(mixed.code, mixed.stdout + mixed.stderr).toBe(0);
    const path = await check(await checker('checker-path', 'acme/app/.github/workflows/SLSA-provenance.yml'));
    expect(path.code).toBe(1);
    expect(JSON.stringify(path.json())).toContain('CHECK_SIGNER_UNTRUSTED');
  });

  it('attack: the same workflow run from a branch a pusher made is CHECK_SIGNER_UNTRUSTED', async () => {
    const r = await record(makeEntry({ run_id: 2, timestamp: '2025-11-24T10:10:00Z' }), 'refs/heads/evil');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const checked = await check();
    expect(checked.code).toBe(1);
    expect(JSON.stringify(checked.json())).toContain('CHECK_SIGNER_UNTRUSTED');
  });
});
