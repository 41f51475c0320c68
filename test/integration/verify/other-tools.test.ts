// Provenance that other tools publish, verified through the CLI, offline, on real data
// (test/fixtures/vectors/other-tools/SOURCE.md): npm provenance of both generations, the
// container-based builder, actions/attest before 1.3.0, GitHub's own Sigstore instance (private
// repositories) and GitHub's release attestations. Each kind also fails closed where it must.
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../support/cli.js';

const DIR = join(import.meta.dirname, '../../fixtures/vectors/other-tools');
const PUBLIC_GOOD = join(import.meta.dirname, '../../fixtures/vectors/sigstore/trusted_root.json');
const GH_ROOTS = join(DIR, 'github-instance/gh-trusted-root.jsonl');
const RUNNER = 'https://github.com/actions/runner/github-hosted';

async function verify(
  args: string[],
): Promise<{ code: number; json: ReturnType<Awaited<ReturnType<typeof runCliCaptured>>['json']> }> {
  const run = await runCliCaptured(['verify', ...args, '--offline', '--json'], { cwd: DIR });
  return { code: run.code, json: run.json() };
}

describe('npm provenance', () => {
  it('SLSA v1 (workflow/v1 buildType, pkg:npm subject, sha512 only): sigstore@2.1.0 tarball from the registry', async () => {
    const r = await verify([
      'npm/sigstore-2.1.0.tgz',
      '--provenance',
      'npm/sigstore-js-2.1.0-bundle.json',
      '--source-uri',
      'github.com/sigstore/sigstore-js',
      '--builder-id',
      RUNNER,
      '--trusted-root',
      PUBLIC_GOOD,
      '--source-branch',
      'main',
      '--commit',
      '26d16513386ffaa790b1c32f927544f1322e4194',
    ]);
    expect(r.code).toBe(0);
    expect(r.json.result.verdicts[0]).toMatchObject({ ok: true, subject: 'pkg:npm/sigstore@2.1.0' });
  });

  it('SLSA v0.2 (https://github.com/npm/cli/gha/v2), from the registry attestations document', async () => {
    const r = await verify([
      'npm/provenance-npm-test-cli-v02-prega.tgz',
      '--provenance',
      'npm/provenance-npm-test-cli-v02-prega.tgz.json',
      '--source-uri',
      'github.com/laurentsimon/provenance-npm-test',
      '--builder-id',
      RUNNER,
      '--trusted-root',
      PUBLIC_GOOD,
      '--source-branch',
      'main',
    ]);
    expect(r.code).toBe(0);
    // the publish attestation (npm's registry key) of the same document is not provenance: left aside
    expect(r.json.result.verdicts[0].provenance).toMatch(/#1$/);
  });

  it('a v1 attestations document of another package (gundam-visor)', async () => {
    const r = await verify([
      'npm/gundam-visor-cli-v1-tag.tgz',
      '--provenance',
      'npm/gundam-visor-cli-v1-tag.tgz.json',
      '--source-uri',
      'github.com/ramonpetgrave64/gundam-visor',
      '--builder-id',
      RUNNER,
      '--trusted-root',
      PUBLIC_GOOD,
    ]);
    expect(r.code).toBe(0);
  });

  it.each([
    [['--source-tag', 'v1.0.1'], 0, undefined],
    [['--source-tag', 'v1.0.2'], 1, 'VERIFY_TAG_MISMATCH'],
    [['--source-versioned-tag', 'v1'], 0, undefined],
    [['--source-versioned-tag', 'v2'], 1, 'VERIFY_VERSIONED_TAG_MISMATCH'],
    [['--source-branch', 'main'], 1, 'VERIFY_INVALID_REF'],
  ] as const)(
    'a package published from a tag (gundam-visor v1.0.1): %j -> exit %i',
    async (flags, code, error) => {
      const r = await verify([
        'npm/gundam-visor-cli-v1-tag.tgz',
        '--provenance',
        'npm/gundam-visor-cli-v1-tag.tgz.json',
        '--source-uri',
        'github.com/ramonpetgrave64/gundam-visor',
        '--builder-id',
        RUNNER,
        '--trusted-root',
        PUBLIC_GOOD,
        ...flags,
      ]);
      expect(r.code).toBe(code);
      expect(r.json.error?.code).toBe(error);
    },
  );

  it("SLSA v0.2 (npm/cli/gha/v2) of sigstore@1.3.0, sigstore-go's example bundle, by --digest", async () => {
    const digest =
      'sha512:76176ffa33808b54602c7c35de5c6e9a4deb96066dba6533f50ac234f4f1f4c6b3527515dc17c06fbe2860030f410eee69ea20079bd3a2c6f3dcf3b329b10751';
    const args = [
      '--provenance',
      'npm/sigstore-1.3.0-provenance.sigstore-go.json',
      '--source-uri',
      'github.com/sigstore/sigstore-js',
      '--builder-id',
      RUNNER,
      '--trusted-root',
      PUBLIC_GOOD,
    ];
    const ok = await verify([
      '--digest',
      digest,
      ...args,
      '--source-branch',
      'main',
      '--commit',
      'dae8bd8eb433a4147b4655c00fe73e0f22bc0fb1',
    ]);
    expect(ok.code).toBe(0);
    expect(ok.json.result.verdicts[0]).toMatchObject({ ok: true, subject: 'pkg:npm/sigstore@1.3.0' });
    const commit = await verify([
      '--digest',
      digest,
      ...args,
      '--commit',
      'dae8bd8eb433a4147b4655c00fe73e0f22bc0fb2',
    ]);
    expect(commit.json.error?.code).toBe('VERIFY_COMMIT_MISMATCH');
    const other = await verify(['--digest', `${digest.slice(0, -1)}0`, ...args]);
    expect(other.json.error?.code).toBe('VERIFY_SUBJECT_DIGEST_MISMATCH');
  });

  it('--digest sha512:… without the tarball', async () => {
    const r = await verify([
      '--digest',
      'sha512:90f223f992e4c88dd068cd2a5fc57f9d2b30798343dd6e38f29c240e04ba090ef831f84490847c4e82b9232c78e8a258463b1e55c0f7469f730265008fa6633f',
      '--provenance',
      'npm/sigstore-js-2.1.0-bundle.json',
      '--source-uri',
      'github.com/sigstore/sigstore-js',
      '--builder-id',
      RUNNER,
      '--trusted-root',
      PUBLIC_GOOD,
    ]);
    expect(r.code).toBe(0);
  });

  it('a .jsonl with several bundles: those naming the artifact are verified, one pass is a pass', async () => {
    const r = await verify([
      'npm/sigstore-2.1.0.tgz',
      '--provenance',
      'npm/sigstore-js-2.1.0_with_2_bundles.jsonl',
      '--source-uri',
      'github.com/sigstore/sigstore-js',
      '--builder-id',
      RUNNER,
      '--trusted-root',
      PUBLIC_GOOD,
    ]);
    expect(r.code).toBe(0);
    expect(r.json.result.verdicts[0].matched).toHaveLength(2);
  });

  it.each([
    ['another tarball', ['npm/gundam-visor-cli-v1-tag.tgz'], 'VERIFY_SUBJECT_DIGEST_MISMATCH'],
    ['another source', ['--source-uri', 'github.com/mallory/sigstore-js'], 'VERIFY_SOURCE_MISMATCH'],
    [
      'no --builder-id (empty is absent, as in slsa-verifier)',
      ['--builder-id', ''],
      'VERIFY_UNTRUSTED_BUILDER',
    ],
    [
      'a self-hosted builder id',
      ['--builder-id', 'https://github.com/actions/runner/self-hosted'],
      'VERIFY_UNTRUSTED_BUILDER',
    ],
    ['another tag', ['--source-tag', 'v2.1.0'], 'VERIFY_INVALID_REF'],
    ['another commit', ['--commit', 'a'.repeat(40)], 'VERIFY_COMMIT_MISMATCH'],
  ])('fails closed on %s', async (_name, change, code) => {
    const base: Record<string, string> = {
      '--source-uri': 'github.com/sigstore/sigstore-js',
      '--builder-id': RUNNER,
    };
    const args = ['--provenance', 'npm/sigstore-js-2.1.0-bundle.json', '--trusted-root', PUBLIC_GOOD];
    const artifact = change[0]?.startsWith('--') ? 'npm/sigstore-2.1.0.tgz' : (change[0] as string);
    if (change[0]?.startsWith('--')) base[change[0]] = change[1] as string;
    const r = await verify([artifact, ...args, ...Object.entries(base).flat()]);
    expect(r.code).toBe(1);
    expect(r.json.error?.code).toBe(code);
  });

  it('fails closed without --builder-id (a runner is no trusted builder by default)', async () => {
    const r = await verify([
      'npm/sigstore-2.1.0.tgz',
      '--provenance',
      'npm/sigstore-js-2.1.0-bundle.json',
      '--trusted-root',
      PUBLIC_GOOD,
      '--source-uri',
      'github.com/sigstore/sigstore-js',
    ]);
    expect(r.code).toBe(1);
    expect(r.json.error?.code).toBe('VERIFY_UNTRUSTED_BUILDER');
  });

  // an empty value was an expected value of '' (a negative verdict, exit 1): a usage error now
  // (`--builder-id ""` stays absent, as slsa-verifier reads it)
  it.each(['--source-uri', '--source-tag', '--commit', '--predicate-type'])(
    'an empty %s is USAGE_INVALID_FLAG (exit 2)',
    async (flag) => {
      const base: Record<string, string> = {
        '--source-uri': 'github.com/sigstore/sigstore-js',
        '--builder-id': RUNNER,
        [flag]: '',
      };
      const r = await verify([
        'npm/sigstore-2.1.0.tgz',
        '--provenance',
        'npm/sigstore-js-2.1.0-bundle.json',
        '--trusted-root',
        PUBLIC_GOOD,
        ...Object.entries(base).flat(),
      ]);
      expect(r.code).toBe(2);
      expect(r.json.error).toMatchObject({ code: 'USAGE_INVALID_FLAG', details: { flag: flag.slice(2) } });
    },
  );
});

describe("slsa-github-generator's container-based builder (trusted by default)", () => {
  it.each(['push-v14', 'push-v14.2', 'push-v13.0.30'])('%s verifies without --builder-id', async (name) => {
    const tag = name.replace('push-', '');
    const r = await verify([
      `container-based/binary-linux-amd64-${name}`,
      '--provenance',
      `container-based/binary-linux-amd64-${name}.intoto.build.slsa`,
      '--source-uri',
      'github.com/slsa-framework/example-package',
      '--source-tag',
      tag,
      '--trusted-root',
      PUBLIC_GOOD,
    ]);
    expect(r.code).toBe(0);
    expect(r.json.result.verdicts[0].builderId).toContain(
      'builder_container-based_slsa3.yml@refs/tags/v2.1.0',
    );
  });

  it('workflow_dispatch on a branch: --source-branch main passes; another branch, a tag, another repository or builder fail', async () => {
    const base = [
      'container-based/binary-linux-amd64-workflow_dispatch',
      '--provenance',
      'container-based/binary-linux-amd64-workflow_dispatch.intoto.build.slsa',
      '--trusted-root',
      PUBLIC_GOOD,
    ];
    const repo = ['--source-uri', 'github.com/slsa-framework/example-package'];
    expect((await verify([...base, ...repo, '--source-branch', 'main'])).code).toBe(0);
    const cases: [string[], string][] = [
      [[...repo, '--source-branch', 'master'], 'VERIFY_BRANCH_MISMATCH'],
      [[...repo, '--source-tag', 'v14'], 'VERIFY_INVALID_REF'],
      [['--source-uri', 'github.com/slsa-framework/other'], 'VERIFY_SOURCE_MISMATCH'],
      [
        [
          ...repo,
          '--builder-id',
          'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml',
        ],
        'VERIFY_UNTRUSTED_BUILDER',
      ],
    ];
    for (const [flags, code] of cases) {
      const r = await verify([...base, ...flags]);
      expect({ flags, code: r.json.error?.code }).toEqual({ flags, code });
    }
  });

  it('a tag other than the build ref fails', async () => {
    const r = await verify([
      'container-based/binary-linux-amd64-push-v14',
      '--provenance',
      'container-based/binary-linux-amd64-push-v14.intoto.build.slsa',
      '--source-uri',
      'github.com/slsa-framework/example-package',
      '--source-tag',
      'v15',
      '--trusted-root',
      PUBLIC_GOOD,
    ]);
    expect(r.json.error?.code).toBe('VERIFY_TAG_MISMATCH');
  });
});

describe('actions/attest before 1.3.0 (slsa-framework.github.io buildType), gh test data', () => {
  it('a reusable-workflow attestation verifies with the runner as builder', async () => {
    const r = await verify([
      'gh/reusable-workflow-artifact',
      '--provenance',
      'gh/reusable-workflow-attestation.sigstore.json',
      '--source-uri',
      'github.com/malancas/attest-demo',
      '--builder-id',
      RUNNER,
      '--trusted-root',
      PUBLIC_GOOD,
    ]);
    expect(r.code).toBe(0);
  });
});

describe("GitHub's own Sigstore instance (private repositories): a TSA timestamp, no log entry", () => {
  const args = [
    'gh/github_provenance_demo-0.0.12-py3-none-any.whl',
    '--provenance',
    'gh/github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl',
    '--source-uri',
    'github.com/actions/attest-demo',
    '--builder-id',
    RUNNER,
  ];
  it("verifies against GitHub's trusted root (gh attestation trusted-root output, JSON lines)", async () => {
    const r = await verify([...args, '--trusted-root', GH_ROOTS]);
    expect(r.code).toBe(0);
  });
  it('fails closed against the public-good root (it asks for a log entry)', async () => {
    const r = await verify([...args, '--trusted-root', PUBLIC_GOOD]);
    expect(r.json.error?.code).toBe('VERIFY_TLOG_MISSING');
  });
  it("a bundle of attest-build-provenance's own prober, by digest", async () => {
    const r = await verify([
      '--digest',
      'sha256:b03d18ed0a16864ef2d2e559c660159a2170b9d086a1f42f570b1679326b90e6',
      '--provenance',
      'github-instance/actions-attest-build-provenance-attestation-13531551.sigstore.json',
      '--source-uri',
      'github.com/actions/attest-build-provenance',
      '--builder-id',
      'https://github.com/actions/attest-build-provenance/.github/workflows/prober.yml',
      '--trusted-root',
      GH_ROOTS,
    ]);
    expect(r.code).toBe(0);
  });
});

describe('batch mode on real data: an unreadable file is its own verdict, the others still get theirs', () => {
  it("npm's bundle, cli/cli's GitHub-instance bundle and its broken copy, a release attestation, in one directory", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'batch-real-'));
    for (const f of [
      'npm/sigstore-js-2.1.0-bundle.json',
      'gh/github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl',
      'gh/github_provenance_demo-0.0.12-py3-none-any-bundle-missing-cert.jsonl',
      'release/github_release_bundle.json',
    ])
      copyFileSync(join(DIR, f), join(dir, basename(f)));
    const r = await verify([
      'npm/sigstore-2.1.0.tgz',
      'gh/github_provenance_demo-0.0.12-py3-none-any.whl',
      '--provenance',
      dir,
      '--source-uri',
      'github.com/sigstore/sigstore-js',
      '--builder-id',
      RUNNER,
      '--trusted-root',
      GH_ROOTS,
    ]);
    expect(r.code).toBe(1);
    expect(r.json.result.verdicts).toMatchObject([
      { artifact: 'npm/sigstore-2.1.0.tgz', ok: true, subject: 'pkg:npm/sigstore@2.1.0' },
      // verified, then refused by the policy: another repository than --source-uri
      {
        artifact: 'gh/github_provenance_demo-0.0.12-py3-none-any.whl',
        ok: false,
        code: 'VERIFY_SOURCE_MISMATCH',
      },
    ]);
    expect(r.json.result.unreadable).toEqual([
      expect.objectContaining({
        provenance: join(dir, 'github_provenance_demo-0.0.12-py3-none-any-bundle-missing-cert.jsonl'),
        code: 'INPUT_PROVENANCE_MALFORMED',
      }),
    ]);
  });
});

describe("GitHub's release attestations (--predicate-type https://in-toto.io/attestation/release/v0.1)", () => {
  const base = [
    '--provenance',
    'release/github_release_bundle.json',
    '--source-uri',
    'github.com/bdehamer/delme',
    '--predicate-type',
    'https://in-toto.io/attestation/release/v0.1',
    '--trusted-root',
    GH_ROOTS,
  ];
  const asset = 'sha256:e15b593c6ab8d7725a3cc82226ef816cac6bf9c70eed383bd459295cc65f5ec3';
  it('a release asset verifies, with the tag and the commit of the release', async () => {
    const r = await verify([
      '--digest',
      asset,
      ...base,
      '--source-tag',
      'v6',
      '--commit',
      'c5e17a62e06a1d201570249c61fae531e9244e1b',
    ]);
    expect(r.code).toBe(0);
    expect(r.json.result.verdicts[0]).toMatchObject({ ok: true, subject: 'artifact.zip' });
  });
  it('the release itself, by its uri subject (pkg:github/…, sha1 of the commit)', async () => {
    const r = await verify(['--digest', 'sha1:c5e17a62e06a1d201570249c61fae531e9244e1b', ...base]);
    expect(r.code).toBe(0);
    expect(r.json.result.verdicts[0]).toMatchObject({ ok: true, subject: 'pkg:github/bdehamer/delme@v6' });
    // a digest set matches by a shared algorithm: the commit named as gitCommit is another algorithm
    const git = await verify(['--digest', 'gitCommit:c5e17a62e06a1d201570249c61fae531e9244e1b', ...base]);
    expect(git.json.error?.code).toBe('VERIFY_SUBJECT_DIGEST_MISMATCH');
  });
  it.each([
    ['another repository', ['--source-uri', 'github.com/bdehamer/other'], 'VERIFY_SOURCE_MISMATCH'],
    ['another tag', ['--source-tag', 'v7'], 'VERIFY_TAG_MISMATCH'],
  ])('fails closed on %s', async (_n, change, code) => {
    const args = [...base];
    const i = args.indexOf(change[0] as string);
    if (i >= 0) args.splice(i, 2);
    const r = await verify(['--digest', asset, ...args, ...change]);
    expect(r.json.error?.code).toBe(code);
  });
  it('without --predicate-type it is not slsa provenance', async () => {
    const r = await verify(['--digest', asset, ...base.slice(0, 4), '--trusted-root', GH_ROOTS]);
    expect(r.json.error?.code).toBe('VERIFY_PREDICATE_TYPE_INVALID');
  });
  it('under the public-good root it fails closed', async () => {
    const r = await verify(['--digest', asset, ...base.slice(0, 6), '--trusted-root', PUBLIC_GOOD]);
    expect(r.code).toBe(1);
    // public good asks for a transparency-log entry; GitHub's instance has none
    expect(r.json.error?.code).toBe('VERIFY_TLOG_MISSING');
  });
});
