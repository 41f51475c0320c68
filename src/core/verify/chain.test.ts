import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { X509Certificate } from '@sigstore/core';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toTrustMaterial, type TrustMaterial } from '@sigstore/verify';
import { describe, expect, it } from 'vitest';
import { registerCertificateBytes, verifyCertificateCached } from './chain.js';

// Certificates built here, byte by byte (DER, ECDSA P-256 with SHA-256), so each test can break one
// rule of the chain: a CA flag, a path length, a name, a validity window. chain-equivalence.test.ts
// holds the module to @sigstore/verify on real bundles; these are the cases real data never shows.

const tlv = (tag: number, ...parts: Uint8Array[]): Buffer => {
  const content = Buffer.concat(parts);
  const n = content.length;
  const header = n < 0x80 ? [tag, n] : n < 0x100 ? [tag, 0x81, n] : [tag, 0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from(header), content]);
};
const seq = (...parts: Uint8Array[]): Buffer => tlv(0x30, ...parts);
const oid = (hex: string): Buffer => tlv(0x06, Buffer.from(hex, 'hex'));
const ECDSA_SHA256 = seq(oid('2a8648ce3d040302'));
const name = (cn: string): Buffer => seq(tlv(0x31, seq(oid('550403'), tlv(0x0c, Buffer.from(cn)))));
const time = (d: Date): Buffer =>
  tlv(0x17, Buffer.from(d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z'));
const extension = (id: string, critical: boolean, value: Buffer): Buffer =>
  seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));

interface Issued {
  readonly der: Buffer;
  readonly key: { publicKey: KeyObject; privateKey: KeyObject };
  readonly name: string;
  readonly ski: Buffer;
}

let serial = 1;
function issue(options: {
  readonly name: string;
  readonly by?: Issued;
  /** the issuer name written in the certificate (default: the issuer's) */
  readonly issuerName?: string;
  /** undefined: not a CA; a number: CA with that path length; true: CA without a limit */
  readonly ca?: number | true;
  readonly from?: Date;
  readonly to?: Date;
  /** leave out the subject key identifier */
  readonly noSki?: boolean;
}): Issued {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ski = Buffer.from([serial, 0xaa, 0xbb, 0xcc]);
  const issuer = options.by;
  const extensions = [
    options.ca === undefined
      ? extension('551d13', true, seq())
      : extension(
          '551d13',
          true,
          seq(
            tlv(0x01, Buffer.from([0xff])),
            ...(options.ca === true ? [] : [tlv(0x02, Buffer.from([options.ca]))]),
          ),
        ),
    ...(options.noSki === true ? [] : [extension('551d0e', false, tlv(0x04, ski))]),
    ...(issuer === undefined ? [] : [extension('551d23', false, seq(tlv(0x80, issuer.ski)))]),
  ];
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([0x02]))),
    tlv(0x02, Buffer.from([serial++])),
    ECDSA_SHA256,
    name(options.issuerName ?? issuer?.name ?? options.name),
    seq(
      time(options.from ?? new Date('2024-01-01T00:00:00Z')),
      time(options.to ?? new Date('2030-01-01T00:00:00Z')),
    ),
    name(options.name),
    key.publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, seq(...extensions)),
  );
  const signature = sign('sha256', tbs, (issuer?.key ?? key).privateKey);
  const der = seq(tbs, ECDSA_SHA256, tlv(0x03, Buffer.from([0x00]), signature));
  return { der, key, name: options.name, ski };
}

/** `certificate` again with another subject key pair, signed by `by` */
function reissue(certificate: Issued, key: Issued['key'], by: Issued): Issued {
  const tbsOf = (der: Buffer): Buffer => {
    const lengthBytes = der[1]! & 0x80 ? der[1]! & 0x7f : 0;
    const start = 2 + lengthBytes;
    const inner = der[start + 1]! & 0x80 ? der[start + 1]! & 0x7f : 0;
    const length = inner === 0 ? der[start + 1]! : der.readUIntBE(start + 2, inner);
    return der.subarray(start, start + 2 + inner + length);
  };
  const oldSpki = certificate.key.publicKey.export({ type: 'spki', format: 'der' });
  const newSpki = key.publicKey.export({ type: 'spki', format: 'der' });
  const tbs = Buffer.from(
    tbsOf(certificate.der).toString('hex').replace(oldSpki.toString('hex'), newSpki.toString('hex')),
    'hex',
  );
  const der = seq(tbs, ECDSA_SHA256, tlv(0x03, Buffer.from([0x00]), sign('sha256', tbs, by.key.privateKey)));
  return { ...certificate, der, key };
}

function material(
  chain: readonly Issued[],
  validFor = { start: '2024-01-01T00:00:00Z', end: undefined as string | undefined },
): TrustMaterial {
  return toTrustMaterial(
    TrustedRoot.fromJSON({
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [],
      ctlogs: [],
      timestampAuthorities: [],
      certificateAuthorities: [
        {
          subject: { organization: 'test', commonName: 'test' },
          uri: 'https://ca.example',
          certChain: { certificates: chain.map((c) => ({ rawBytes: c.der.toString('base64') })) },
          validFor: validFor.end === undefined ? { start: validFor.start } : validFor,
        },
      ],
    }),
  );
}

function leafOf(issued: Issued): X509Certificate {
  const leaf = X509Certificate.parse(Buffer.from(issued.der));
  registerCertificateBytes(leaf, issued.der);
  return leaf;
}

const AT = new Date('2025-06-01T00:00:00Z');
const verifyAt = (leaf: Issued, chain: readonly Issued[], at: Date = AT, trust = material(chain)) =>
  verifyCertificateCached(leafOf(leaf), [at], trust, 0);
const refused = (run: () => unknown): void => {
  expect(run).toThrow(expect.objectContaining({ code: 'CERTIFICATE_ERROR' }) as Error);
};

describe('verifyCertificateCached: the chain to a CA of the trusted root', () => {
  const root = issue({ name: 'root', ca: true });
  const intermediate = issue({ name: 'intermediate', by: root, ca: 0 });

  it('verifies a leaf of the intermediate, and returns its key', () => {
    const leaf = issue({ name: 'leaf', by: intermediate });
    const signer = verifyAt(leaf, [intermediate, root]);
    expect(signer.key.export({ type: 'spki', format: 'der' })).toStrictEqual(
      leaf.key.publicKey.export({ type: 'spki', format: 'der' }),
    );
  });

  it('refuses a leaf that is not valid at the verified time (before, after), at every time given', () => {
    const leaf = issue({
      name: 'leaf',
      by: intermediate,
      from: new Date('2025-05-01T00:00:00Z'),
      to: new Date('2025-05-02T00:00:00Z'),
    });
    const chain = [intermediate, root];
    expect(() => verifyAt(leaf, chain, new Date('2025-05-01T12:00:00Z'))).not.toThrow();
    refused(() => verifyAt(leaf, chain, new Date('2025-04-30T23:59:59Z')));
    refused(() => verifyAt(leaf, chain, new Date('2025-05-02T00:00:01Z')));
    refused(() =>
      verifyCertificateCached(
        leafOf(leaf),
        [new Date('2025-05-01T12:00:00Z'), new Date('2025-05-03T00:00:00Z')],
        material(chain),
        0,
      ),
    );
  });

  it('refuses a time outside the CA’s validity in the trusted root', () => {
    const leaf = issue({ name: 'leaf', by: intermediate });
    const chain = [intermediate, root];
    const window = material(chain, { start: '2025-01-01T00:00:00Z', end: '2025-12-31T00:00:00Z' });
    expect(() => verifyAt(leaf, chain, AT, window)).not.toThrow();
    refused(() => verifyAt(leaf, chain, new Date('2024-12-31T00:00:00Z'), window));
    refused(() => verifyAt(leaf, chain, new Date('2026-01-01T00:00:00Z'), window));
  });

  it('refuses a leaf issued by a certificate that is not a CA', () => {
    const notCa = issue({ name: 'not-a-ca', by: root });
    const leaf = issue({ name: 'leaf', by: notCa });
    refused(() => verifyAt(leaf, [notCa, root]));
  });

  it('refuses a path longer than a CA’s path length allows', () => {
    const strict = issue({ name: 'strict', by: root, ca: 0 });
    const loose = issue({ name: 'loose', by: root, ca: 1 });
    const belowStrict = issue({ name: 'below-strict', by: strict, ca: 0 });
    const belowLoose = issue({ name: 'below-loose', by: loose, ca: 0 });
    expect(() => verifyAt(issue({ name: 'leaf', by: belowLoose }), [belowLoose, loose, root])).not.toThrow();
    refused(() => verifyAt(issue({ name: 'leaf', by: belowStrict }), [belowStrict, strict, root]));
  });

  it('refuses a leaf whose issuer name is not its issuer’s subject, key identifiers and signature notwithstanding', () => {
    const leaf = issue({ name: 'leaf', by: intermediate, issuerName: 'someone else' });
    refused(() => verifyAt(leaf, [intermediate, root]));
  });

  it('takes the issuer the leaf names, not another CA certificate with the same key', () => {
    // a twin of the intermediate (same key, another name and key identifier) verifies the leaf's
    // signature too; the leaf's authority key identifier and issuer name pick the intermediate
    const twin = issue({ name: 'twin', by: root, ca: 0 });
    const twinWithSameKey = reissue(twin, intermediate.key, root);
    const leaf = issue({ name: 'leaf', by: intermediate });
    expect(() => verifyAt(leaf, [intermediate, twinWithSameKey, root])).not.toThrow();
    const leafWithoutSki = issue({ name: 'leaf', by: intermediate, noSki: true });
    expect(() => verifyAt(leafWithoutSki, [intermediate, twinWithSameKey, root])).not.toThrow();
  });

  it('refuses a leaf signed by another key than its issuer’s', () => {
    const impostor = { ...intermediate, key: generateKeyPairSync('ec', { namedCurve: 'P-256' }) };
    const leaf = issue({ name: 'leaf', by: impostor });
    refused(() => verifyAt(leaf, [intermediate, root]));
  });
});
