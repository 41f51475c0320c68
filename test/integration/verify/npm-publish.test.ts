// npm's publish attestation (the registry's signed statement that it published NAME@VERSION with this
// digest), checked beside the SLSA provenance of the registry's attestations document as
// slsa-verifier's `verify-npm-package` does; on slsa-verifier's own npm test data
// (test/fixtures/vectors/other-tools/SOURCE.md), offline, through the CLI. Its `*-invalidsigpub`
// documents (the publish statement altered after signing) passed before: the publish attestation
// was left aside.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../support/cli.js';

const DIR = join(import.meta.dirname, '../../fixtures/vectors/other-tools');
const PUBLIC_GOOD = join(import.meta.dirname, '../../fixtures/vectors/sigstore/trusted_root.json');
const RUNNER = 'https://github.com/actions/runner/github-hosted';

interface Pkg {
  readonly file: string;
  readonly source: string;
  readonly name: string;
  readonly version: string;
}
const PACKAGES: readonly Pkg[] = [
  {
    file: 'gundam-visor-cli-v1-tag',
    source: 'github.com/ramonpetgrave64/gundam-visor',
    name: 'gundam-visor',
    version: '1.0.1',
  },
  {
    file: 'supreme-googles-cli-v02-tag',
    source: 'github.com/trishankatdatadog/supreme-goggles',
    name: '@trishankatdatadog/supreme-goggles',
    version: '1.0.5',
  },
  {
    file: 'provenance-npm-test-cli-v02-prega',
    source: 'github.com/laurentsimon/provenance-npm-test',
    name: '@laurentsimon/provenance-npm-test',
    version: '1.0.3',
  },
];
const [GUNDAM, SUPREME] = PACKAGES as [Pkg, Pkg, Pkg];

async function verify(
  pkg: Pkg,
  provenance: string,
  flags: readonly string[] = [],
): Promise<{ code: number; json: ReturnType<Awaited<ReturnType<typeof runCliCaptured>>['json']> }> {
  const run = await runCliCaptured(
    [
      'verify',
      `npm/${pkg.file}.tgz`,
      '--provenance',
      provenance,
      '--source-uri',
      pkg.source,
      '--builder-id',
      RUNNER,
      '--trusted-root',
      PUBLIC_GOOD,
      ...flags,
      '--offline',
      '--json',
    ],
    { cwd: DIR },
  );
  return { code: run.code, json: run.json() };
}

interface AttestationSet {
  attestations: { predicateType: string; bundle: Record<string, any> }[];
}
const readSet = (pkg: Pkg): AttestationSet =>
  JSON.parse(readFileSync(join(DIR, `npm/${pkg.file}.tgz.json`), 'utf8')) as AttestationSet;
const publishOf = (set: AttestationSet) =>
  set.attestations.find((a) => a.predicateType.includes('/npm/attestation/'))!;

/** writes a changed copy of a package's attestations document, returns its path */
function changed(pkg: Pkg, change: (set: AttestationSet) => void): string {
  const set = readSet(pkg);
  change(set);
  const path = join(mkdtempSync(join(tmpdir(), 'npm-publish-')), `${pkg.file}.tgz.json`);
  writeFileSync(path, JSON.stringify(set));
  return path;
}

describe("npm's publish attestation beside the provenance", () => {
  it.each(PACKAGES)(
    '$name@$version: verifies, and --package-name/--package-version are checked',
    async (pkg) => {
      const doc = `npm/${pkg.file}.tgz.json`;
      expect(
        (await verify(pkg, doc, ['--package-name', pkg.name, '--package-version', pkg.version])).code,
      ).toBe(0);
      const otherVersion = await verify(pkg, doc, ['--package-version', `${pkg.version}9`]);
      expect(otherVersion.code).toBe(1);
      expect(otherVersion.json.error?.code).toBe('VERIFY_PACKAGE_MISMATCH');
      const otherName = await verify(pkg, doc, ['--package-name', `${pkg.name}S`]);
      expect(otherName.json.error?.code).toBe('VERIFY_PACKAGE_MISMATCH');
    },
  );

  it.each(PACKAGES)(
    "$name: slsa-verifier's invalidsigpub (the publish statement changed after signing) fails",
    async (pkg) => {
      const r = await verify(pkg, `npm/${pkg.file}-invalidsigpub.tgz.json`);
      expect(r.code).toBe(1);
      // the log entry is checked before the signature: it no longer matches the payload
      expect(r.json.error?.code).toBe('VERIFY_TLOG_INVALID');
    },
  );

  it("another package's publish attestation (validly signed) does not vouch for this one", async () => {
    const other = publishOf(readSet(SUPREME));
    const path = changed(GUNDAM, (set) => {
      set.attestations = set.attestations.map((a) =>
        a.predicateType.includes('/npm/attestation/') ? other : a,
      );
    });
    const r = await verify(GUNDAM, path);
    expect(r.code).toBe(1);
    expect(r.json.error?.code).toBe('VERIFY_SUBJECT_DIGEST_MISMATCH');
  });

  it("a publish attestation that names a key other than the registry's fails", async () => {
    const path = changed(GUNDAM, (set) => {
      publishOf(set).bundle.verificationMaterial.publicKey.hint = 'SHA256:mallory';
    });
    const r = await verify(GUNDAM, path);
    expect(r.code).toBe(1);
    expect(r.json.error?.code).toBe('VERIFY_SIGNATURE_INVALID');
    expect(r.json.error?.message).toContain("not one of the npm registry's attestation keys");
  });

  it('a publish attestation without its log entry fails closed', async () => {
    const path = changed(GUNDAM, (set) => {
      publishOf(set).bundle.verificationMaterial.tlogEntries = [];
    });
    const r = await verify(GUNDAM, path);
    expect(r.code).toBe(1);
    expect(r.json.error?.code).toMatch(/^VERIFY_TLOG_/);
  });

  it('a publish attestation that is not a key-signed bundle fails', async () => {
    const provenance = readSet(GUNDAM).attestations.find(
      (a) => !a.predicateType.includes('/npm/attestation/'),
    )!;
    const path = changed(GUNDAM, (set) => {
      // the provenance's own bundle, relabelled: certificate-signed, not the registry's key
      const publish = publishOf(set);
      publish.bundle = { ...provenance.bundle, dsseEnvelope: publish.bundle.dsseEnvelope };
    });
    const r = await verify(GUNDAM, path);
    expect(r.code).toBe(1);
    expect(r.json.error?.code).toBe('VERIFY_SIGNATURE_INVALID');
  });

  it('--package-name needs the publish attestation: a provenance bundle alone fails', async () => {
    // sigstore@2.1.0's provenance as one bundle, without the registry's attestations document
    const sigstoreJs = (...flags: string[]) =>
      runCliCaptured(
        [
          'verify',
          'npm/sigstore-2.1.0.tgz',
          '--provenance',
          'npm/sigstore-js-2.1.0-bundle.json',
          '--source-uri',
          'github.com/sigstore/sigstore-js',
          '--builder-id',
          RUNNER,
          '--trusted-root',
          PUBLIC_GOOD,
          '--offline',
          ...flags,
        ],
        { cwd: DIR },
      );
    const run = await sigstoreJs('--package-name', 'sigstore', '--json');
    expect(run.code).toBe(1);
    expect(run.json().error?.code).toBe('VERIFY_NO_ATTESTATION');
    // without the flags the provenance alone still verifies, as before
    expect((await sigstoreJs()).code).toBe(0);
  });

  it("npm's publish attestation alone, or asked for with --predicate-type, is no provenance (was exit 70)", async () => {
    const alone = changed(GUNDAM, (set) => {
      set.attestations = [publishOf(set)];
    });
    const r = await verify(GUNDAM, alone);
    expect(r.code).toBe(1);
    expect(r.json.error?.code).toBe('VERIFY_NO_ATTESTATION');
    expect(r.json.error?.message).toContain("npm's publish attestation is not provenance");
    const asked = await verify(GUNDAM, `npm/${GUNDAM.file}.tgz.json`, [
      '--predicate-type',
      'https://github.com/npm/attestation/tree/main/specs/publish/v0.1',
    ]);
    expect(asked.code).toBe(1);
    expect(asked.json.error?.code).toBe('VERIFY_NO_ATTESTATION');
  });

  it('attestations documents do not mix: line 1 of a.jsonl and a file named a.jsonl:1 are two sets', async () => {
    const set = readSet(GUNDAM);
    const provenance = set.attestations.find((a) => !a.predicateType.includes('/npm/attestation/'))!;
    const dir = mkdtempSync(join(tmpdir(), 'npm-publish-'));
    // the provenance's document names no publish attestation; another document, whose source
    // reads the same (`a.jsonl:1`), holds this package's valid one
    writeFileSync(
      join(dir, 'a.jsonl'),
      `${JSON.stringify({ attestations: [provenance] })}\n${JSON.stringify({ attestations: [] })}\n`,
    );
    writeFileSync(join(dir, 'a.jsonl:1'), JSON.stringify({ attestations: [publishOf(set)] }));
    const run = await runCliCaptured(
      [
        'verify',
        join(DIR, `npm/${GUNDAM.file}.tgz`),
        '--provenance',
        'a.jsonl',
        '--provenance',
        'a.jsonl:1',
        '--source-uri',
        GUNDAM.source,
        '--builder-id',
        RUNNER,
        '--trusted-root',
        PUBLIC_GOOD,
        '--package-name',
        GUNDAM.name,
        '--offline',
        '--json',
      ],
      { cwd: dir },
    );
    expect(run.code).toBe(1);
    const verdict = run.json().result?.verdicts?.[0];
    expect(verdict?.code).toBe('VERIFY_NO_ATTESTATION');
  });

  it('--digest SHA512:HEX in upper case (PowerShell Get-FileHash) names the tarball as sha512:hex', async () => {
    const sha512 = createHash('sha512')
      .update(readFileSync(join(DIR, `npm/${GUNDAM.file}.tgz`)))
      .digest('hex');
    const run = await runCliCaptured(
      [
        'verify',
        '--digest',
        `SHA512:${sha512.toUpperCase()}`,
        '--provenance',
        `npm/${GUNDAM.file}.tgz.json`,
        '--source-uri',
        GUNDAM.source,
        '--builder-id',
        RUNNER,
        '--trusted-root',
        PUBLIC_GOOD,
        '--package-name',
        GUNDAM.name,
        '--offline',
        '--json',
      ],
      { cwd: DIR },
    );
    expect(run.code).toBe(0);
    expect(run.json().result?.verdicts?.[0]?.artifact).toBe(`sha512:${sha512}`);
  });
});
