import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { readVector } from '../../../test/support/vectors.js';
import {
  checkNpmPackagePolicy,
  checkNpmPublish,
  isNpmPublishStatement,
  npmAttestationKeys,
  npmPackageOf,
  npmProvenancePackage,
} from './npm-publish.js';
import { NPM_REGISTRY_KEYS_JSON } from './npm-registry-keys.js';
import { parseStatement, verifyBundleSignature } from './signature-sigstore.js';
import type { InTotoStatement } from './types.js';

const PUBLISH = 'https://github.com/npm/attestation/tree/main/specs/publish/v0.1';
const SHA512 = 'ab'.repeat(64);
const publish = (over: Partial<InTotoStatement> = {}): InTotoStatement => ({
  _type: 'https://in-toto.io/Statement/v0.1',
  subject: [{ name: 'pkg:npm/%40scope/pkg@1.2.3', digest: { sha512: SHA512 } }],
  predicateType: PUBLISH,
  predicate: { name: '@scope/pkg', version: '1.2.3', registry: 'https://registry.npmjs.org' },
  ...over,
});
const check = (statement: InTotoStatement, payloadType = 'application/vnd.in-toto+json') =>
  checkNpmPublish({
    payloadType,
    publish: statement,
    source: 's',
    provenancePackage: { name: '@scope/pkg', version: '1.2.3' },
    artifact: { name: 'pkg.tgz', sha256: 'cd'.repeat(32), digests: { sha512: SHA512 } },
  });
const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

describe('npmPackageOf', () => {
  it.each([
    ['pkg:npm/sigstore@2.1.0', { name: 'sigstore', version: '2.1.0' }],
    ['pkg:npm/%40scope/pkg@1.0.0', { name: '@scope/pkg', version: '1.0.0' }],
    ['pkg:npm/@scope/pkg@1.0.0-rc.1', { name: '@scope/pkg', version: '1.0.0-rc.1' }],
  ])('%s', (purl, pkg) => expect(npmPackageOf(purl)).toEqual(pkg));

  it.each(['pkg:pypi/x@1', 'pkg:npm/x', 'pkg:npm/x@1@2', 'pkg:npm/@x', 'pkg:npm/%E0%A4%A@1', 'pkg:npm/@1'])(
    '%s is no npm package',
    (purl) => expect(npmPackageOf(purl)).toBeUndefined(),
  );
});

describe('checkNpmPublish', () => {
  it("passes the registry's statement of the same package and digest", () => {
    expect(codeOf(() => check(publish()))).toBeUndefined();
    expect(isNpmPublishStatement(publish())).toBe(true);
  });

  it.each([
    [
      'a payload type other than in-toto',
      () => check(publish(), 'text/plain'),
      'VERIFY_PAYLOAD_TYPE_INVALID',
    ],
    [
      'a statement type other than in-toto',
      () => check(publish({ _type: 'x' })),
      'VERIFY_STATEMENT_TYPE_INVALID',
    ],
    [
      'another predicate type',
      () => check(publish({ predicateType: 'https://slsa.dev/provenance/v1' })),
      'VERIFY_PREDICATE_TYPE_INVALID',
    ],
    ['no subject', () => check(publish({ subject: [] })), 'VERIFY_SUBJECT_DIGEST_MISMATCH'],
    [
      'another digest',
      () =>
        check(
          publish({ subject: [{ name: 'pkg:npm/%40scope/pkg@1.2.3', digest: { sha512: 'cd'.repeat(64) } }] }),
        ),
      'VERIFY_SUBJECT_DIGEST_MISMATCH',
    ],
    [
      'a digest of a weak algorithm only',
      () =>
        check(
          publish({
            subject: [{ name: 'pkg:npm/%40scope/pkg@1.2.3', digest: { sha1: SHA512.slice(0, 40) } }],
          }),
        ),
      'VERIFY_SUBJECT_DIGEST_MISMATCH',
    ],
    [
      'another package in the predicate',
      () => check(publish({ predicate: { name: '@scope/other', version: '1.2.3' } })),
      'VERIFY_PACKAGE_MISMATCH',
    ],
    [
      'another version in the predicate',
      () => check(publish({ predicate: { name: '@scope/pkg', version: '1.2.4' } })),
      'VERIFY_PACKAGE_MISMATCH',
    ],
    [
      'another package in the subject',
      () => check(publish({ subject: [{ name: 'pkg:npm/other@1.2.3', digest: { sha512: SHA512 } }] })),
      'VERIFY_PACKAGE_MISMATCH',
    ],
    ['no predicate', () => check(publish({ predicate: undefined })), 'VERIFY_PACKAGE_MISMATCH'],
  ] as const)('%s: %s', (_what, f, code) => expect(codeOf(f)).toBe(code));

  it('the provenance must name one npm package', () => {
    const provenance = (names: string[]): InTotoStatement => ({
      _type: 'https://in-toto.io/Statement/v1',
      predicateType: 'https://slsa.dev/provenance/v1',
      predicate: {},
      subject: names.map((name) => ({ name, digest: { sha512: SHA512 } })),
    });
    expect(npmProvenancePackage(provenance(['pkg:npm/a@1']), 's')).toEqual({ name: 'a', version: '1' });
    expect(codeOf(() => npmProvenancePackage(provenance(['app.tgz']), 's'))).toBe('VERIFY_PACKAGE_MISMATCH');
    expect(codeOf(() => npmProvenancePackage(provenance(['pkg:npm/a@1', 'pkg:npm/b@1']), 's'))).toBe(
      'VERIFY_PACKAGE_MISMATCH',
    );
  });

  it('--package-name and --package-version', () => {
    const pkg = { name: '@scope/pkg', version: '1.2.3' };
    expect(
      codeOf(() => checkNpmPackagePolicy(pkg, { packageName: '@scope/pkg', packageVersion: '1.2.3' }, 's')),
    ).toBe(undefined);
    expect(codeOf(() => checkNpmPackagePolicy(pkg, { packageName: '@scope/pkG' }, 's'))).toBe(
      'VERIFY_PACKAGE_MISMATCH',
    );
    expect(codeOf(() => checkNpmPackagePolicy(pkg, { packageVersion: '1.2' }, 's'))).toBe(
      'VERIFY_PACKAGE_MISMATCH',
    );
  });
});

describe("the npm registry's keys", () => {
  it("are the ones @sigstore/tuf seeds its cache with (Sigstore public good's TUF target registry.npmjs.org/keys.json)", () => {
    const require = createRequire(import.meta.url);
    const seeds = require('@sigstore/tuf/seeds.json') as Record<string, { targets: Record<string, string> }>;
    const seeded = seeds['https://tuf-repo-cdn.sigstore.dev']?.targets['registry.npmjs.org%2Fkeys.json'];
    expect(Buffer.from(seeded ?? '', 'base64').toString('utf8')).toBe(NPM_REGISTRY_KEYS_JSON);
  });

  it('only the attestation keys, each with its validity', () => {
    const keys = npmAttestationKeys();
    expect(keys.map((k) => k.keyId)).toEqual([
      'SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA',
      'SHA256:DhQ8wR5APBvFHLF/+Tc+AYvPOdTpcIDqOhxsBHRwC7U',
    ]);
    expect(keys[0]?.validFor).toEqual({
      start: new Date('2022-12-01T00:00:00.000Z'),
      end: new Date('2025-01-29T00:00:00.000Z'),
    });
    expect(keys[1]?.validFor?.end).toBeUndefined();
  });

  // a real publish attestation (gundam-visor@1.0.1, logged 2024-06-03) with the key npm used then
  const set = readVector('other-tools/npm/gundam-visor-cli-v1-tag.tgz.json') as {
    attestations: { predicateType: string; bundle: unknown }[];
  };
  const bundle = set.attestations.find((a) => a.predicateType === PUBLISH)?.bundle;
  const trust = { trustedRoot: readVector('sigstore/trusted_root.json') };

  it("a real publish attestation verifies with the key it names, inside the key's validity", () => {
    const verified = verifyBundleSignature(bundle, trust, { publicKeys: npmAttestationKeys() });
    expect(verified.content.kind).toBe('dsse');
    if (verified.content.kind !== 'dsse') return;
    expect(parseStatement(verified.content.payloadType, verified.content.payload).predicate).toEqual({
      name: 'gundam-visor',
      version: '1.0.1',
      registry: 'https://registry.npmjs.org',
    });
  });

  it("a key used outside its validity (its log entry is later than the key's end) fails", () => {
    const ended = JSON.parse(NPM_REGISTRY_KEYS_JSON) as {
      keys: { publicKey: { validFor: { end?: string } } }[];
    };
    for (const k of ended.keys) k.publicKey.validFor.end = '2024-01-01T00:00:00.000Z';
    const keys = npmAttestationKeys(JSON.stringify(ended));
    expect(() => verifyBundleSignature(bundle, trust, { publicKeys: keys })).toThrow(
      /public key is not valid for timestamp: 2024-06-03/,
    );
    // the key may not have signed then: the signature does not count (it said "certificate")
    expect(codeOf(() => verifyBundleSignature(bundle, trust, { publicKeys: keys }))).toBe(
      'VERIFY_SIGNATURE_INVALID',
    );
  });
});
