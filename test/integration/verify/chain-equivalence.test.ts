// The certificate step with the CA side prepared once (src/core/verify/chain.ts) against
// @sigstore/verify's own step (verifyCertificate: chain at every time, SCTs), decision for
// decision, on every certificate-signed bundle of the real test data (sigstore-conformance,
// GitHub CLI, npm, GitHub's instance) under every trusted root of the fixtures, at the bundle's
// own times and at times before, inside and after the certificate's validity.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, type SignedEntity, type TrustMaterial } from '@sigstore/verify';
import { verifyCertificate } from '@sigstore/verify/dist/key/index.js';
import { describe, expect, it } from 'vitest';
import { registerCertificateBytes, verifyCertificateCached } from '../../../src/core/verify/chain.js';

const VECTORS = join(import.meta.dirname, '../../fixtures/vectors');
const CONFORMANCE = join(VECTORS, 'sigstore-conformance/bundle-verify');

function bundlesOf(path: string): unknown[] {
  const text = readFileSync(path, 'utf8');
  try {
    const json = JSON.parse(text) as { attestations?: { bundle: unknown }[] };
    return Array.isArray(json.attestations) ? json.attestations.map((a) => a.bundle) : [json];
  } catch {
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as unknown];
        } catch {
          return []; // a malformed case: no certificate to compare
        }
      });
  }
}

const bundleFiles = [
  ...readdirSync(CONFORMANCE)
    .map((d) => join(CONFORMANCE, d, 'bundle.sigstore.json'))
    .filter((p) => existsSync(p)),
  join(VECTORS, 'other-tools/npm/sigstore-js-2.1.0-bundle.json'),
  join(VECTORS, 'other-tools/npm/sigstore-js-2.1.0_with_2_bundles.jsonl'),
  join(VECTORS, 'other-tools/npm/provenance-npm-test-cli-v02-prega.tgz.json'),
  join(VECTORS, 'other-tools/gh/github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl'),
  join(VECTORS, 'other-tools/gh/reusable-workflow-attestation.sigstore.json'),
  join(VECTORS, 'other-tools/gh/custom-issuer.sigstore.json'),
  join(
    VECTORS,
    'other-tools/github-instance/actions-attest-build-provenance-attestation-13531551.sigstore.json',
  ),
  join(VECTORS, 'other-tools/release/github_release_bundle.json'),
];

const rootFiles = [
  join(VECTORS, 'sigstore/trusted_root.json'),
  ...readFileSync(join(VECTORS, 'other-tools/github-instance/gh-trusted-root.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== ''),
  ...readdirSync(CONFORMANCE)
    .map((d) => join(CONFORMANCE, d, 'trusted_root.json'))
    .filter((p) => existsSync(p)),
];
// distinct roots only (many conformance cases carry the same one)
const rootTexts = [
  ...new Set(rootFiles.map((r) => (r.startsWith('{') ? r : readFileSync(r, 'utf8')).trim())),
];
const materials: TrustMaterial[] = rootTexts.flatMap((text) => {
  try {
    const json = JSON.parse(text);
    return [toTrustMaterial(TrustedRoot.fromJSON(json))];
  } catch {
    return [];
  }
});

interface Case {
  readonly name: string;
  readonly entity: SignedEntity & { key: { $case: 'certificate' } };
  readonly der: Uint8Array;
}

const cases: Case[] = bundleFiles.flatMap((file, f) =>
  bundlesOf(file).flatMap((json, i) => {
    try {
      const bundle = bundleFromJSON(json);
      const entity = toSignedEntity(bundle);
      const content = bundle.verificationMaterial.content;
      const der =
        content.$case === 'certificate'
          ? content.certificate.rawBytes
          : content.$case === 'x509CertificateChain'
            ? content.x509CertificateChain.certificates[0]?.rawBytes
            : undefined;
      if (entity.key.$case !== 'certificate' || der === undefined) return [];
      return [
        { name: `${f}:${i} ${file.split('/').slice(-2).join('/')}`, entity: entity as Case['entity'], der },
      ];
    } catch {
      return [];
    }
  }),
);

const outcome = (f: () => unknown): string => {
  try {
    f();
    return 'ok';
  } catch (error) {
    return `fail:${(error as { code?: string }).code ?? 'other'}`;
  }
};

describe('the cached certificate step decides as @sigstore/verify does', () => {
  it('has the data', () => {
    expect(cases.length).toBeGreaterThan(50);
    expect(materials.length).toBeGreaterThan(5);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const leaf = c.entity.key.certificate;
    registerCertificateBytes(leaf, c.der);
    const own = c.entity.timestamps.flatMap((t) =>
      t.$case === 'transparency-log' && t.tlogEntry.integratedTime !== '0'
        ? [new Date(Number(t.tlogEntry.integratedTime) * 1000)]
        : [],
    );
    const times = [
      ...(own.length > 0 ? [own] : []),
      [new Date((leaf.notBefore.getTime() + leaf.notAfter.getTime()) / 2)],
      [new Date(leaf.notBefore.getTime() - 1000)],
      [new Date(leaf.notAfter.getTime() + 1000)],
    ];
    for (const material of materials) {
      for (const timestamps of times) {
        const library = outcome(() => verifyCertificate(leaf, timestamps, material));
        const cached = outcome(() => verifyCertificateCached(leaf, timestamps, material, 0));
        expect({ timestamps, cached }).toEqual({ timestamps, cached: library });
      }
    }
  });

  it('is not vacuous: real bundles pass under their own roots', () => {
    let passes = 0;
    for (const c of cases) {
      const leaf = c.entity.key.certificate;
      registerCertificateBytes(leaf, c.der);
      const mid = [new Date((leaf.notBefore.getTime() + leaf.notAfter.getTime()) / 2)];
      for (const material of materials) {
        if (outcome(() => verifyCertificateCached(leaf, mid, material, 0)) === 'ok') passes++;
      }
    }
    expect(passes).toBeGreaterThan(40);
  });
});
