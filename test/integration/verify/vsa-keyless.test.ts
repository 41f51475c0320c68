// verify --vsa on a keyless VSA (issue 14 item 3): `validate --record --sign sigstore` in a GitHub
// Actions job signs its verdict's VSA with the workflow's identity (a local Fulcio and Rekor,
// @sigstore/mock behind node:http), and `verify --vsa` checks it under that Sigstore's trusted root
// with the signer named: gh's policy (`--repo`/`--owner`, `--signer-workflow`) or the certificate
// identity alone. Anyone can get a certificate, so an unnamed signer is refused, and a VSA from a
// pusher's branch, another repository, another Sigstore or with an edited payload fails.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VALIDATE_VERIFIER_ID } from '../../../src/core/vsa/verdict.js';
import { signWithSigstore } from '../../../src/io/sigstore-signer.js';
import { runCliCaptured } from '../../support/cli.js';
import { cloneRemote, createRemote, git } from '../../support/git.js';
import { makeRelease, type ReleaseFixture } from '../../support/release-fixture.js';
import { githubIdentityToken, startLocalSigstore, type LocalSigstore } from '../../support/sigstore-mock.js';

const APP = 'acme/app';
const VALIDATE = `${APP}/.github/workflows/provenance-validate.yml`;
const token = (workflow: string, ref: string, repository = APP) =>
  githubIdentityToken({
    workflowUri: `https://github.com/${workflow}@${ref}`,
    repository,
    repositoryOwner: repository.split('/')[0]!,
    ref,
    sha: 'b'.repeat(40),
  });

describe('verify --vsa: a keyless VSA written by validate --record', () => {
  let sigstore: LocalSigstore;
  let other: LocalSigstore;
  let release: ReleaseFixture;
  let env: Record<string, string | undefined>;
  let vsa: string;
  let digest: string;
  let resourceUri: string;

  const validate = async (id: string, out: string) => {
    const r = await runCliCaptured(
      [
        'validate',
        '--json',
        '--tag',
        'v1.2.3',
        '--repo',
        'clone',
        '--key',
        'signing.pub',
        '--artifact',
        'app.tgz',
        '--provenance',
        'app.intoto.json',
        '--record',
        '--sign',
        'sigstore',
        '--vsa-out',
        out,
      ],
      { env: { ...env, SIGSTORE_ID_TOKEN: id }, cwd: release.dir },
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    return out;
  };
  const verify = async (file: string, extra: string[]) => {
    const r = await runCliCaptured(
      [
        'verify',
        '--json',
        '--vsa',
        file,
        '--digest',
        `sha256:${digest}`,
        '--verifier-id',
        VALIDATE_VERIFIER_ID,
        '--resource-uri',
        resourceUri,
        '--offline',
        ...extra,
      ],
      { env, cwd: release.dir },
    );
    return { code: r.code, json: r.json(), out: r.stdout + r.stderr };
  };
  const root = ['--trusted-root', 'trusted_root.json'];

  beforeAll(async () => {
    sigstore = await startLocalSigstore();
    other = await startLocalSigstore();
    release = await makeRelease();
    const remote = await createRemote(release.dir);
    const clone = await cloneRemote(remote, join(release.dir, 'clone'));
    await writeFile(join(release.dir, 'trusted_root.json'), JSON.stringify(sigstore.trustedRoot));
    await writeFile(join(release.dir, 'other_root.json'), JSON.stringify(other.trustedRoot));
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      GITHUB_RUN_ID: '9001',
      SLSA_LEDGER_LOCK_DIR: join(release.dir, 'locks'),
      SLSA_LEDGER_FULCIO_URL: sigstore.fulcioUrl,
      SLSA_LEDGER_REKOR_URL: sigstore.rekorUrl,
    };
    await writeFile(join(release.dir, 'entry.json'), JSON.stringify(release.entry));
    const seeded = await runCliCaptured(
      ['record', '--no-sign', '--json', '--repo', clone, '--entry', join(release.dir, 'entry.json')],
      { env },
    );
    expect(seeded.code, seeded.stdout + seeded.stderr).toBe(0);
    await git(clone, ['pull', '-q', 'origin', 'main']);
    vsa = await validate(token(VALIDATE, 'refs/heads/main'), join(release.dir, 'verdict.vsa.json'));
    const bundle = JSON.parse(await readFile(vsa, 'utf8'));
    expect(bundle.verificationMaterial.publicKey).toBeUndefined();
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
    digest = statement.subject[0].digest.sha256;
    resourceUri = statement.predicate.resourceUri;
  });
  afterAll(async () => {
    await sigstore?.close();
    await other?.close();
    if (release !== undefined) await rm(release.dir, { recursive: true, force: true });
  });

  it("passes under gh's policy: the repository and the validate workflow", async () => {
    const r = await verify(vsa, [...root, '--repo', APP, '--signer-workflow', VALIDATE]);
    expect(r.code, r.out).toBe(0);
    expect(r.json.result.signer.subjectAlternativeName).toBe(
      `https://github.com/${VALIDATE}@refs/heads/main`,
    );
    expect(r.json.result.predicate.verificationResult).toBe('PASSED');
  });

  it('passes with the certificate identity alone, and by the artifact file', async () => {
    const r = await verify(vsa, [
      ...root,
      '--cert-identity',
      `https://github.com/${VALIDATE}@refs/heads/main`,
    ]);
    expect(r.code, r.out).toBe(0);
    const byFile = await runCliCaptured(
      [
        'verify',
        'app.tgz',
        '--json',
        '--vsa',
        vsa,
        '--verifier-id',
        VALIDATE_VERIFIER_ID,
        '--resource-uri',
        resourceUri,
        '--offline',
        ...root,
        '--signer-workflow',
        `${VALIDATE}@refs/heads/main`,
      ],
      { env, cwd: release.dir },
    );
    expect(byFile.code, byFile.stdout + byFile.stderr).toBe(0);
  });

  it('refuses a keyless VSA whose signer is not named (anyone can get a certificate)', async () => {
    const r = await verify(vsa, [...root]);
    expect([r.code, r.json.error?.code]).toStrictEqual([2, 'USAGE_MISSING_FLAG']);
    const withKeyId = await verify(vsa, [...root, '--repo', APP, '--public-key-id', 'k']);
    expect([withKeyId.code, withKeyId.json.error?.code]).toStrictEqual([2, 'USAGE_INVALID_FLAG']);
  });

  it.each([
    [
      'another workflow',
      ['--repo', APP, '--signer-workflow', `${APP}/.github/workflows/release.yml`],
      'VERIFY_IDENTITY_MISMATCH',
    ],
    [
      'another repository',
      ['--repo', 'mallory/app', '--cert-identity-regex', '.*'],
      'VERIFY_SOURCE_MISMATCH',
    ],
    ['another owner', ['--owner', 'mallory'], 'VERIFY_IDENTITY_MISMATCH'],
    [
      'another identity',
      ['--cert-identity', `https://github.com/${VALIDATE}@refs/heads/evil`],
      'VERIFY_IDENTITY_MISMATCH',
    ],
    [
      'another issuer',
      ['--signer-workflow', VALIDATE, '--cert-oidc-issuer', 'https://gitlab.com'],
      'VERIFY_OIDC_ISSUER_MISMATCH',
    ],
    [
      'a wrong subject',
      ['--repo', APP, '--signer-workflow', VALIDATE, '--digest', `sha256:${'0'.repeat(64)}`],
      'VERIFY_VSA_MISMATCH',
    ],
  ])('fails: %s', async (_name, extra, code) => {
    const r = await verify(vsa, [...root, ...extra]);
    expect([r.code, r.json.error?.code], r.out).toStrictEqual([1, code]);
  });

  it('fails under another Sigstore’s trusted root', async () => {
    const r = await verify(vsa, [
      '--trusted-root',
      'other_root.json',
      '--repo',
      APP,
      '--signer-workflow',
      VALIDATE,
    ]);
    expect(r.code, r.out).toBe(1);
    expect(r.json.error?.code).toMatch(/^VERIFY_/);
  });

  it('fails when the payload was edited after signing (its level raised)', async () => {
    const bundle = JSON.parse(await readFile(vsa, 'utf8'));
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
    statement.predicate.verifiedLevels = ['SLSA_BUILD_LEVEL_4'];
    bundle.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
    const edited = join(release.dir, 'edited.vsa.json');
    await writeFile(edited, JSON.stringify(bundle));
    const r = await verify(edited, [...root, '--repo', APP, '--signer-workflow', VALIDATE]);
    expect(r.code, r.out).toBe(1);
    expect(r.json.error?.code).toMatch(/^VERIFY_/);
  });

  it("a pusher's branch: the same workflow run from refs/heads/evil fails a policy that pins the ref", async () => {
    const evil = await validate(token(VALIDATE, 'refs/heads/evil'), join(release.dir, 'evil.vsa.json'));
    const pinned = await verify(evil, [
      ...root,
      '--repo',
      APP,
      '--signer-workflow',
      `${VALIDATE}@refs/heads/main`,
    ]);
    expect([pinned.code, pinned.json.error?.code]).toStrictEqual([1, 'VERIFY_IDENTITY_MISMATCH']);
    const fromFork = await validate(
      token('mallory/app/.github/workflows/provenance-validate.yml', 'refs/heads/main', 'mallory/app'),
      join(release.dir, 'fork.vsa.json'),
    );
    const scoped = await verify(fromFork, [...root, '--repo', APP]);
    expect([scoped.code, scoped.json.error?.code]).toStrictEqual([1, 'VERIFY_IDENTITY_MISMATCH']);
  });

  it.each([
    ['a null subject', [null]],
    ['a subject without a digest set', [{ name: 'app.tgz' }]],
    ['a digest value that is not a string', [{ name: 'app.tgz', digest: { sha256: 1 } }]],
  ])('a keyless VSA with %s is bad input (exit 3), not an internal error', async (_name, subject) => {
    const bundle = JSON.parse(await readFile(vsa, 'utf8'));
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
    statement.subject = subject;
    // signed by the trusted validate workflow itself: the identity checks pass, the shape must not
    const signed = await signWithSigstore(
      Buffer.from(JSON.stringify(statement)),
      'application/vnd.in-toto+json',
      {
        fulcioUrl: sigstore.fulcioUrl,
        rekorUrl: sigstore.rekorUrl,
        identityToken: token(VALIDATE, 'refs/heads/main'),
        retries: 0,
      },
    );
    const file = join(release.dir, 'bad-subject.vsa.json');
    await writeFile(file, JSON.stringify(signed));
    const r = await verify(file, [...root, '--repo', APP, '--signer-workflow', VALIDATE]);
    expect([r.code, r.json.error?.code], r.out).toStrictEqual([3, 'INPUT_PROVENANCE_MALFORMED']);
  });
});
