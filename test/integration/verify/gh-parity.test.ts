// `gh attestation verify` parity: `verify FILE --repo/--owner` fetches the attestations for the
// artifact's digest from a local stand-in of GitHub's attestations API
// (test/support/fake-github-attestations.ts), then applies gh's policy flags. Real bundles:
// cli/cli's GitHub-instance bundle of actions/attest-demo and a reusable-workflow attestation.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../support/cli.js';
import {
  startFakeGithubAttestations,
  type FakeGithubAttestations,
  type StoredAttestation,
} from '../../support/fake-github-attestations.js';

const DIR = join(import.meta.dirname, '../../fixtures/vectors/other-tools');
const GH_ROOTS = join(DIR, 'github-instance/gh-trusted-root.jsonl');
const WHL = 'gh/github_provenance_demo-0.0.12-py3-none-any.whl';
const WHL_DIGEST = 'sha256:ae57936def59bc4c75edd3a837d89bcefc6d3a5e31d55a6fa7a71624f92c3c3b';
const REUSABLE = 'gh/reusable-workflow-artifact';
const REUSABLE_DIGEST = 'sha256:49a3aa6075e0f49f82843e74b5baa614ad2a588e6675612bf108a0a008c5ac25';

const demoBundle = JSON.parse(
  readFileSync(join(DIR, 'gh/github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl'), 'utf8').split(
    '\n',
  )[0] ?? '',
) as unknown;
const reusableBundle = JSON.parse(
  readFileSync(join(DIR, 'gh/reusable-workflow-attestation.sigstore.json'), 'utf8'),
) as unknown;
const otherBundle = JSON.parse(
  readFileSync(join(DIR, 'npm/sigstore-js-2.1.0-bundle.json'), 'utf8'),
) as unknown;

const stored: StoredAttestation[] = [
  // an unrelated attestation listed first under the same digest: it fails, the next passes
  { owner: 'actions', repo: 'attest-demo', repositoryId: 1, digest: WHL_DIGEST, bundle: otherBundle },
  { owner: 'actions', repo: 'attest-demo', repositoryId: 1, digest: WHL_DIGEST, bundle: demoBundle },
  {
    owner: 'malancas',
    repo: 'attest-demo',
    repositoryId: 2,
    digest: REUSABLE_DIGEST,
    bundle: reusableBundle,
  },
];

let api: FakeGithubAttestations;
beforeAll(async () => {
  api = await startFakeGithubAttestations({ attestations: stored, bundleUrls: true, token: 'ghs_test' });
});
afterAll(async () => api.close());

async function gh(args: string[], env: Record<string, string> = {}, server = api) {
  const run = await runCliCaptured(['verify', ...args, '--trusted-root', GH_ROOTS, '--offline', '--json'], {
    cwd: DIR,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', GITHUB_API_URL: server.url, ...env },
  });
  return { code: run.code, json: run.json() };
}

describe('verify --repo/--owner: attestations fetched from the API', () => {
  it('--repo: fetched (bundle_url, snappy), verified; which attestation matched is reported', async () => {
    const r = await gh([WHL, '--repo', 'actions/attest-demo']);
    expect(r.code).toBe(0);
    expect(r.json.result.verdicts[0]).toMatchObject({
      ok: true,
      matched: [expect.stringContaining('github:actions/attest-demo#1')],
    });
    // the token never goes to the signed blob url
    expect(api.requests.filter((q) => q.path.startsWith('/blobs/')).every((q) => !q.authorized)).toBe(true);
  });

  it('--owner, --digest without the file, and the token from GITHUB_TOKEN', async () => {
    const r = await gh(['--digest', WHL_DIGEST, '--owner', 'actions'], { GITHUB_TOKEN: 'ghs_test' });
    expect(r.code).toBe(0);
    expect(api.requests.some((q) => q.path.startsWith('/orgs/actions/attestations/') && q.authorized)).toBe(
      true,
    );
  });

  it.each([
    [['--signer-workflow', 'actions/attest-demo/.github/workflows/build-python.yml'], 0, undefined],
    [
      [
        '--signer-workflow',
        'github.com/actions/attest-demo/.github/workflows/build-python.yml@refs/heads/main',
      ],
      0,
      undefined,
    ],
    [['--signer-workflow', 'actions/attest-demo/.github/workflows/build.yml'], 1, 'VERIFY_IDENTITY_MISMATCH'],
    [
      ['--signer-workflow', 'actions/attest-demo/.github/workflows/build-python.yml@refs/heads/other'],
      1,
      'VERIFY_IDENTITY_MISMATCH',
    ],
    [
      [
        '--cert-identity',
        'https://github.com/actions/attest-demo/.github/workflows/build-python.yml@refs/heads/main',
      ],
      0,
      undefined,
    ],
    [['--cert-identity-regex', '^https://github\\.com/actions/'], 0, undefined],
    [
      ['--cert-oidc-issuer', 'https://token.actions.githubusercontent.com/acme'],
      1,
      'VERIFY_OIDC_ISSUER_MISMATCH',
    ],
    [['--deny-self-hosted-runners'], 0, undefined],
    [
      ['--source-ref', 'refs/heads/main', '--source-digest', 'a6c23b9806c593664f68637c8f9d45dfcf98b2db'],
      0,
      undefined,
    ],
    [['--source-ref', 'refs/heads/release'], 1, 'VERIFY_CERTIFICATE_POLICY_MISMATCH'],
    [['--source-digest', 'b'.repeat(40)], 1, 'VERIFY_CERTIFICATE_POLICY_MISMATCH'],
    [['--signer-digest', 'a6c23b9806c593664f68637c8f9d45dfcf98b2db'], 0, undefined],
    // the API is asked for that predicate type only (gh's predicate_type): none is "not found"
    [['--predicate-type', 'https://spdx.dev/Document/v2.3'], 1, 'ATTESTATIONS_NOT_FOUND'],
  ] as const)('gh policy %j -> exit %i', async (flags, code, errorCode) => {
    const r = await gh([WHL, '--repo', 'actions/attest-demo', ...flags]);
    expect(r.code).toBe(code);
    if (errorCode !== undefined) expect(r.json.error?.code).toBe(errorCode);
  });

  it('a reusable workflow signed: the default (repository) identity fails, --signer-repo passes', async () => {
    const fromRepo = await runCliCaptured(
      [
        'verify',
        REUSABLE,
        '--repo',
        'malancas/attest-demo',
        '--trusted-root',
        join(DIR, '../sigstore/trusted_root.json'),
        '--offline',
        '--json',
      ],
      { cwd: DIR, env: { PATH: process.env.PATH ?? '', GITHUB_API_URL: api.url } },
    );
    expect(fromRepo.json().error?.code).toBe('VERIFY_IDENTITY_MISMATCH');
    const signer = await runCliCaptured(
      [
        'verify',
        REUSABLE,
        '--repo',
        'malancas/attest-demo',
        '--signer-repo',
        'github/artifact-attestations-workflows',
        '--trusted-root',
        join(DIR, '../sigstore/trusted_root.json'),
        '--offline',
        '--json',
      ],
      { cwd: DIR, env: { PATH: process.env.PATH ?? '', GITHUB_API_URL: api.url } },
    );
    expect(signer.code).toBe(0);
  });

  it.each([
    // the default identity is the repository: another repository's certificate is refused
    [['--repo', 'mallory/attest-demo'], 'VERIFY_IDENTITY_MISMATCH'],
    // any identity allowed, but the certificate's source repository (1.12) is still --repo's
    [['--repo', 'mallory/attest-demo', '--cert-identity-regex', '.*'], 'VERIFY_SOURCE_MISMATCH'],
    [['--repo', 'actions/other', '--cert-identity-regex', '.*'], 'VERIFY_SOURCE_MISMATCH'],
    // and its source repository owner (1.16) is --owner's
    [['--owner', 'mallory', '--cert-identity-regex', '.*'], 'VERIFY_SOURCE_MISMATCH'],
    // --signer-workflow is the whole workflow path: a prefix of it is not a match
    [
      [
        '--repo',
        'actions/attest-demo',
        '--signer-workflow',
        'actions/attest-demo/.github/workflows/build-python',
      ],
      'VERIFY_IDENTITY_MISMATCH',
    ],
  ] as const)('another repository or owner: %j -> %s (exit 1)', async (flags, code) => {
    const r = await gh([
      WHL,
      ...flags,
      '--provenance',
      'gh/github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl',
    ]);
    expect(r.code).toBe(1);
    expect(r.json.error?.code).toBe(code);
  });

  it('--owner and --repo together are a usage error (exit 2), as in gh', async () => {
    const r = await gh([
      '--digest',
      WHL_DIGEST,
      '--owner',
      'actions',
      '--cert-identity-regex',
      '.*',
      '--repo',
      'mallory/attest-demo',
    ]);
    expect(r.code).toBe(2);
  });

  it('no attestations for the digest: ATTESTATIONS_NOT_FOUND (exit 1)', async () => {
    const r = await gh(['--digest', `sha256:${'0'.repeat(64)}`, '--repo', 'actions/attest-demo']);
    expect(r.code).toBe(1);
    expect(r.json.error?.code).toBe('ATTESTATIONS_NOT_FOUND');
  });

  it('pagination: per_page and the Link header (one attestation per page)', async () => {
    const r = await gh([WHL, '--repo', 'actions/attest-demo', '--limit', '1']);
    // the limit stops at the first (unrelated) attestation, which fails
    expect(r.code).toBe(1);
    const all = await gh([WHL, '--repo', 'actions/attest-demo', '--limit', '2']);
    expect(all.code).toBe(0);
    const paged = await startFakeGithubAttestations({ attestations: stored });
    try {
      const before = paged.requests.length;
      const p = await gh([WHL, '--repo', 'actions/attest-demo'], {}, paged);
      expect(p.code).toBe(0);
      expect(paged.requests.length - before).toBe(1);
    } finally {
      await paged.close();
    }
  });

  // every answer the rate-limit page documents (403 or 429; x-ratelimit-remaining 0, retry-after,
  // or only the message of a secondary limit) is GITHUB_RATE_LIMITED, exit 5 (retry later)
  it.each([
    ['primary', 403, null],
    ['primary-429', 429, null],
    ['secondary', 429, 60],
    ['secondary-403', 403, 60],
    ['secondary-403-bare', 403, 60],
  ] as const)('a %s rate limit (%i) is GITHUB_RATE_LIMITED (exit 5)', async (kind, status, retryAfterS) => {
    const limited = await startFakeGithubAttestations({ attestations: stored, rateLimit: kind });
    try {
      const r = await gh([WHL, '--repo', 'actions/attest-demo'], {}, limited);
      expect(r.code).toBe(5);
      expect(r.json.error).toMatchObject({
        code: 'GITHUB_RATE_LIMITED',
        details: { status, retryAfterS },
      });
      // a rate limit is not retried at once (the page asks to wait): one request only
      expect(limited.requests).toHaveLength(1);
    } finally {
      await limited.close();
    }
  });

  it('a rate limit on a later page is the error, not a partial verdict', async () => {
    const limited = await startFakeGithubAttestations({
      attestations: stored,
      rateLimit: 'secondary-403-bare',
      rateLimitAfter: 1,
      pageSize: 1,
    });
    try {
      const r = await gh([WHL, '--repo', 'actions/attest-demo', '--limit', '2'], {}, limited);
      expect(r.json.error?.code).toBe('GITHUB_RATE_LIMITED');
      expect(r.code).toBe(5);
      expect(limited.requests.map((q) => new URL(q.path, 'http://x').searchParams.get('after'))).toEqual([
        null,
        '1',
      ]);
    } finally {
      await limited.close();
    }
  });

  it('a bad token is refused (GITHUB_REJECTED), and the token appears nowhere in the output', async () => {
    const run = await runCliCaptured(
      ['verify', WHL, '--repo', 'actions/attest-demo', '--trusted-root', GH_ROOTS, '--json'],
      {
        cwd: DIR,
        env: { PATH: process.env.PATH ?? '', GITHUB_API_URL: api.url, GITHUB_TOKEN: 'ghp_secret_value' },
      },
    );
    expect(run.json().error?.code).toBe('GITHUB_REJECTED');
    expect(run.stdout + run.stderr).not.toContain('ghp_secret_value');
  });

  it('a private repository without a token is 404: no attestations', async () => {
    const priv = await startFakeGithubAttestations({
      attestations: stored,
      privateRepos: ['actions/attest-demo'],
      token: 't',
    });
    try {
      const r = await gh([WHL, '--repo', 'actions/attest-demo'], {}, priv);
      expect(r.json.error?.code).toBe('ATTESTATIONS_NOT_FOUND');
      const withToken = await gh([WHL, '--repo', 'actions/attest-demo'], { GITHUB_TOKEN: 't' }, priv);
      expect(withToken.code).toBe(0);
    } finally {
      await priv.close();
    }
  });

  it('the predicate type goes to the API (predicate_type), so --limit counts only those verified', async () => {
    // a release attestation listed first under the same digest: without the server-side filter,
    // --limit 1 would fetch only it and find no provenance
    const releaseBundle = JSON.parse(
      readFileSync(join(DIR, 'release/github_release_bundle.json'), 'utf8'),
    ) as unknown;
    const mixed = await startFakeGithubAttestations({
      attestations: [
        { owner: 'actions', repo: 'attest-demo', repositoryId: 1, digest: WHL_DIGEST, bundle: releaseBundle },
        { owner: 'actions', repo: 'attest-demo', repositoryId: 1, digest: WHL_DIGEST, bundle: demoBundle },
      ],
    });
    try {
      const r = await gh([WHL, '--repo', 'actions/attest-demo', '--limit', '1'], {}, mixed);
      expect(r.code).toBe(0);
      const sent = new URL(mixed.requests[0]?.path ?? '', 'http://x').searchParams;
      expect(sent.get('predicate_type')).toBe('https://slsa.dev/provenance/v1');
      expect(sent.get('per_page')).toBe('1');
    } finally {
      await mixed.close();
    }
  });

  it('a renamed repository: the 301 to /repositories/{id} is followed with the token', async () => {
    // attested as actions/attest-demo, since renamed: the old name still finds its attestations
    const renamed = await startFakeGithubAttestations({
      attestations: [
        { owner: 'actions', repo: 'attest-demo-2', repositoryId: 7, digest: WHL_DIGEST, bundle: demoBundle },
      ],
      renamed: { 'actions/attest-demo': 'actions/attest-demo-2' },
      token: 't',
    });
    try {
      const r = await gh([WHL, '--repo', 'actions/attest-demo'], { GITHUB_TOKEN: 't' }, renamed);
      expect(r.code).toBe(0);
      expect(renamed.requests.map((q) => [q.path.split('?')[0], q.authorized])).toEqual([
        [`/repos/actions/attest-demo/attestations/${encodeURIComponent(WHL_DIGEST)}`, true],
        [`/repositories/7/attestations/${encodeURIComponent(WHL_DIGEST)}`, true],
      ]);
    } finally {
      await renamed.close();
    }
  });

  it('a redirect to another origin is followed without the token', async () => {
    const elsewhere = await startFakeGithubAttestations({ attestations: stored });
    const redirecting = await startFakeGithubAttestations({
      attestations: [],
      token: 'ghs_secret',
      redirectTo: elsewhere.url,
    });
    try {
      const r = await gh([WHL, '--repo', 'actions/attest-demo'], { GITHUB_TOKEN: 'ghs_secret' }, redirecting);
      expect(r.code).toBe(0);
      expect(redirecting.requests.every((q) => q.authorized)).toBe(true);
      expect(elsewhere.requests.length).toBeGreaterThan(0);
      expect(elsewhere.requests.every((q) => !q.authorized)).toBe(true);
    } finally {
      await redirecting.close();
      await elsewhere.close();
    }
  });

  it('--digest-alg sha512 looks a file up by its SHA-512 (an npm tarball), as gh', async () => {
    const npm = await startFakeGithubAttestations({
      attestations: [
        {
          owner: 'sigstore',
          repo: 'sigstore-js',
          repositoryId: 3,
          digest:
            'sha512:90f223f992e4c88dd068cd2a5fc57f9d2b30798343dd6e38f29c240e04ba090ef831f84490847c4e82b9232c78e8a258463b1e55c0f7469f730265008fa6633f',
          bundle: otherBundle,
        },
      ],
    });
    try {
      const args = ['npm/sigstore-2.1.0.tgz', '--repo', 'sigstore/sigstore-js'];
      const r = await gh([...args, '--digest-alg', 'sha512'], {}, npm);
      expect(r.code).toBe(0);
      expect(npm.requests[0]?.path).toContain('/attestations/sha512%3A90f223f9');
      // the default is sha256, under which nothing is listed
      expect((await gh(args, {}, npm)).json.error?.code).toBe('ATTESTATIONS_NOT_FOUND');
      const bad = await gh([...args, '--digest-alg', 'md5'], {}, npm);
      expect(bad.code).toBe(2);
      expect(bad.json.error?.code).toBe('USAGE_INVALID_FLAG');
    } finally {
      await npm.close();
    }
  });

  it('one bundle on disk of another predicate type: VERIFY_NO_ATTESTATION, as gh filters first', async () => {
    // gh attestation verify filters the attestations by --predicate-type before verifying any, and
    // one bundle is no exception ("no attestations found with predicate type …")
    const r = await gh([
      WHL,
      '--repo',
      'actions/attest-demo',
      '--provenance',
      'gh/github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl',
      '--predicate-type',
      'https://spdx.dev/Document/v2.3',
    ]);
    expect(r.code).toBe(1);
    expect(r.json.error?.code).toBe('VERIFY_NO_ATTESTATION');
  });

  it.each(['0', '1001'])(
    '--limit %s is a usage error (exit 2) even with bundles on disk, as in gh',
    async (limit) => {
      const r = await gh([
        WHL,
        '--repo',
        'actions/attest-demo',
        '--provenance',
        'gh/github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl',
        '--limit',
        limit,
      ]);
      expect(r.code).toBe(2);
      expect(r.json.error?.code).toBe('USAGE_INVALID_FLAG');
    },
  );

  it('--provenance with --repo: the bundles on disk, no API call', async () => {
    const before = api.requests.length;
    const r = await gh([
      WHL,
      '--repo',
      'actions/attest-demo',
      '--provenance',
      'gh/github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl',
    ]);
    expect(r.code).toBe(0);
    expect(api.requests.length).toBe(before);
  });

  it('a Sigstore bundle v0.1 is not taken under gh policy (unsupported bundle version), as gh', async () => {
    // cli/cli sigstore_integration_test.go "with invalid bundle version": the same bundle as v0.1
    const args = ['npm/sigstore-2.1.0.tgz', '--owner', 'sigstore', '--digest-alg', 'sha512'];
    const PUBLIC_GOOD = join(import.meta.dirname, '../../fixtures/vectors/sigstore/trusted_root.json');
    const run = (bundle: string) =>
      runCliCaptured(
        ['verify', ...args, '--provenance', bundle, '--trusted-root', PUBLIC_GOOD, '--offline', '--json'],
        {
          cwd: DIR,
          env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
        },
      );
    const old = await run('npm/sigstore-js-2.1.0-bundle-v0.1.json');
    expect(old.code, old.stdout).toBe(1);
    expect(old.json().error?.code).toBe('VERIFY_BUNDLE_VERSION_UNSUPPORTED');
    // the v0.2 bundle of the same provenance passes, and slsa-verifier's policy takes v0.1
    expect((await run('npm/sigstore-js-2.1.0-bundle.json')).code).toBe(0);
    const slsa = await runCliCaptured(
      [
        'verify',
        'npm/sigstore-2.1.0.tgz',
        '--provenance',
        'npm/sigstore-js-2.1.0-bundle-v0.1.json',
        '--source-uri',
        'github.com/sigstore/sigstore-js',
        '--builder-id',
        'https://github.com/actions/runner/github-hosted',
        '--trusted-root',
        PUBLIC_GOOD,
        '--offline',
        '--json',
      ],
      { cwd: DIR, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' } },
    );
    expect(slsa.code, slsa.stdout).toBe(0);
  });
});
