import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { X509Certificate } from '@sigstore/core';
import { describe, expect, it } from 'vitest';
import { readVector, readVectorBytes } from '../../../test/support/vectors.js';
import { computeKeyId } from './key-id.js';
import type { TrustedPublicKey } from './signature-key.js';
import {
  buildTrustMaterial,
  certificateIdentity,
  parseStatement,
  verifyBundleSignature,
  verifyCertificateSigned,
  type SigstoreTrust,
} from './signature-sigstore.js';

// Real bundles from slsa-verifier's test data (test/fixtures/vectors, see SOURCE.md there),
// verified against the pinned public-good trusted root, and hand-broken copies of them.
const read = readVector;

const trustedRoot = read('sigstore/trusted_root.json');
const trust: SigstoreTrust = { trustedRoot };
const V03 = 'slsa-verifier/gha_generic/v2.1.0/binary-linux-amd64-workflow_dispatch.intoto.jsonl';
const V02 = 'slsa-verifier/gha_delegator/v2.1.0/binary-linux-amd64-workflow_dispatch.build.slsa';
const BARE = 'slsa-verifier/gha_generic/v2.0.0/binary-linux-amd64-workflow_dispatch.intoto.jsonl';

const bundle = (path = V03): any => read(path);
const verify = (b: unknown, t: SigstoreTrust = trust) =>
  verifyCertificateSigned({ kind: 'bundle', bundle: b }, t);
const bare = (envelope: any, pem = envelope.signatures[0].cert as string) =>
  verifyCertificateSigned({ kind: 'dsse-with-certificate', envelope, certificatePem: pem }, trust);

describe('verifyCertificateSigned: valid bundles', () => {
  it('verifies a bundle v0.3 (dsse entry) and reads the fulcio identity', () => {
    const { statement, signer } = verify(bundle());
    expect(statement.predicateType).toBe('https://slsa.dev/provenance/v0.2');
    expect(signer).toEqual({
      kind: 'certificate',
      buildSignerDigest: 'f7dd8c54c2067bafc12ca7a55595d5ee9b75204a',
      runnerEnvironment: 'github-hosted',
      sourceRepositoryOwnerUri: 'https://github.com/slsa-framework',
      issuer: 'https://token.actions.githubusercontent.com',
      subjectAlternativeName:
        'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1.0',
      sourceRepositoryUri: 'https://github.com/slsa-framework/example-package',
      sourceRepositoryRef: 'refs/heads/main',
      sourceRepositoryDigest: '4d329c75e7ec1725f7c9ce917a8799d408d06be3',
      buildSignerUri:
        'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1.0',
      runInvocationUri:
        'https://github.com/slsa-framework/example-package/actions/runs/13531731005/attempts/1',
      buildConfigUri:
        'https://github.com/slsa-framework/example-package/.github/workflows/verifier-e2e.all.workflow_dispatch.main.all.slsa3.yml@refs/heads/main',
    });
  });

  it('verifies a bundle v0.2 (certificate chain, intoto entry)', () => {
    const { statement, signer } = verify(bundle(V02));
    expect(statement.predicateType).toBe('https://slsa.dev/provenance/v1');
    expect(signer.kind === 'certificate' && signer.subjectAlternativeName).toMatch(
      /delegator_generic_slsa3\.yml@refs\/tags\/v2\.1\.0$/,
    );
  });
});

type Case = readonly [name: string, mutate: (b: any) => unknown, code: string];

const brokenBundles: readonly Case[] = [
  [
    'unknown media type',
    (b) => ({ ...b, mediaType: 'application/vnd.dev.sigstore.bundle.v9+json' }),
    'INPUT_PROVENANCE_MALFORMED',
  ],
  ['not an object', () => 'bundle', 'INPUT_PROVENANCE_MALFORMED'],
  [
    'no verification material',
    (b) => ({ ...b, verificationMaterial: undefined }),
    'INPUT_PROVENANCE_MALFORMED',
  ],
  [
    'two signatures',
    (b) => {
      b.dsseEnvelope.signatures.push(b.dsseEnvelope.signatures[0]);
      return b;
    },
    'INPUT_PROVENANCE_MALFORMED',
  ],
  [
    'a message signature instead of a dsse envelope',
    (b) => {
      delete b.dsseEnvelope;
      b.messageSignature = { messageDigest: { algorithm: 'SHA2_256', digest: 'AAAA' }, signature: 'AAAA' };
      return b;
    },
    'INPUT_PROVENANCE_MALFORMED',
  ],
  [
    'a certificate but no log entry',
    (b) => {
      b.verificationMaterial.tlogEntries = [];
      return b;
    },
    'VERIFY_TLOG_MISSING',
  ],
  [
    'a log entry with neither promise nor proof',
    (b) => {
      delete b.verificationMaterial.tlogEntries[0].inclusionPromise;
      delete b.verificationMaterial.tlogEntries[0].inclusionProof;
      return b;
    },
    'INPUT_PROVENANCE_MALFORMED',
  ],
  [
    'an inclusion proof but no signed entry timestamp nor tsa token',
    (b) => {
      delete b.verificationMaterial.tlogEntries[0].inclusionPromise;
      return b;
    },
    'VERIFY_TLOG_MISSING',
  ],
  [
    // an integrated time of 0 is no time (sigstore-go): the signed entry timestamp proves nothing
    'a signed entry timestamp with integrated time 0 and no tsa token',
    (b) => {
      b.verificationMaterial.tlogEntries[0].integratedTime = '0';
      return b;
    },
    'VERIFY_TLOG_MISSING',
  ],
  [
    'a truncated inclusion proof',
    (b) => {
      b.verificationMaterial.tlogEntries[0].inclusionProof.hashes.pop();
      return b;
    },
    'VERIFY_TLOG_INVALID',
  ],
  [
    'an inclusion proof against another root hash',
    (b) => {
      b.verificationMaterial.tlogEntries[0].inclusionProof.rootHash = Buffer.alloc(32, 7).toString('base64');
      return b;
    },
    'VERIFY_TLOG_INVALID',
  ],
  [
    'an inclusion proof of another tree size than its checkpoint',
    (b) => {
      const p = b.verificationMaterial.tlogEntries[0].inclusionProof;
      p.treeSize = String(Number(p.treeSize) + 1);
      return b;
    },
    'VERIFY_TLOG_INVALID',
  ],
  [
    'a forged checkpoint signature',
    (b) => {
      const cp = b.verificationMaterial.tlogEntries[0].inclusionProof.checkpoint;
      cp.envelope = cp.envelope.replace(/\n(\d+)\n/, (_: string, n: string) => `\n${Number(n) + 1}\n`);
      return b;
    },
    'VERIFY_TLOG_INVALID',
  ],
  [
    'a signed entry timestamp over another index',
    (b) => {
      const e = b.verificationMaterial.tlogEntries[0];
      e.logIndex = String(Number(e.logIndex) + 1);
      return b;
    },
    'VERIFY_TLOG_INVALID',
  ],
  [
    'a log entry of an unknown log',
    (b) => {
      b.verificationMaterial.tlogEntries[0].logId.keyId = Buffer.alloc(32, 1).toString('base64');
      return b;
    },
    'VERIFY_TLOG_INVALID',
  ],
  [
    'a payload the log entry does not cover',
    (b) => {
      b.dsseEnvelope.payload = Buffer.from('{"_type":"x"}').toString('base64');
      return b;
    },
    'VERIFY_TLOG_INVALID',
  ],
  [
    'a corrupt certificate',
    (b) => {
      b.verificationMaterial.certificate.rawBytes = Buffer.from('not a certificate').toString('base64');
      return b;
    },
    'VERIFY_CERTIFICATE_INVALID',
  ],
  [
    'a certificate of another signing event',
    (b) => {
      b.verificationMaterial.certificate = bundle(
        'slsa-verifier/bcr/MODULE.bazel.intoto.jsonl',
      ).verificationMaterial.certificate;
      return b;
    },
    'VERIFY_CERTIFICATE_INVALID',
  ],
  [
    'a public key instead of a certificate',
    (b) => {
      b.verificationMaterial = {
        publicKey: { hint: 'abc' },
        tlogEntries: b.verificationMaterial.tlogEntries,
      };
      return b;
    },
    'VERIFY_CERTIFICATE_INVALID',
  ],
];

describe('verifyCertificateSigned: bad bundles get a coded error, never a pass', () => {
  it.each(brokenBundles)('%s -> %s', (_name, mutate, code) => {
    expect(() => verify(mutate(bundle()))).toThrowCode(code);
  });
});

describe('verifyCertificateSigned: trust material', () => {
  const without = (field: 'certificateAuthorities' | 'tlogs' | 'ctlogs'): SigstoreTrust => ({
    trustedRoot: { ...trustedRoot, [field]: [] },
  });

  it.each([
    ['no fulcio ca', without('certificateAuthorities'), 'VERIFY_CERTIFICATE_INVALID'],
    ['no rekor key', without('tlogs'), 'VERIFY_TLOG_INVALID'],
    ['no ct log key (no verifiable sct)', without('ctlogs'), 'VERIFY_CERTIFICATE_INVALID'],
  ] as const)('a trusted root with %s -> %s', (_name, t, code) => {
    expect(() => verify(bundle(), t)).toThrowCode(code);
  });

  it.each([
    ['not an object', 'root'],
    ['another media type', { ...trustedRoot, mediaType: 'application/json' }],
    [
      'a malformed key',
      {
        ...trustedRoot,
        tlogs: [
          { ...trustedRoot.tlogs[0], publicKey: { rawBytes: 'AAAA', keyDetails: 'PKIX_ECDSA_P256_SHA_256' } },
        ],
      },
    ],
  ] as const)('a trusted root that is %s -> INPUT_TRUSTED_ROOT_INVALID', (_name, root) => {
    expect(() => buildTrustMaterial(root)).toThrowCode('INPUT_TRUSTED_ROOT_INVALID');
    expect(() => verify(bundle(), { trustedRoot: root })).toThrowCode('INPUT_TRUSTED_ROOT_INVALID');
  });
});

describe('verifyCertificateSigned: dsse envelopes with a certificate and no log entry', () => {
  it('fails closed with VERIFY_TLOG_MISSING even when the signature is good', () => {
    expect(() => bare(read(BARE))).toThrowCode('VERIFY_TLOG_MISSING');
  });

  it.each([
    [
      'a bad signature',
      (e: any) => ({
        ...e,
        signatures: [{ ...e.signatures[0], sig: Buffer.alloc(70, 1).toString('base64') }],
      }),
      'VERIFY_SIGNATURE_INVALID',
    ],
    [
      'two signatures',
      (e: any) => ({ ...e, signatures: [e.signatures[0], e.signatures[0]] }),
      'INPUT_PROVENANCE_MALFORMED',
    ],
    ['no payload', (e: any) => ({ ...e, payload: undefined }), 'INPUT_PROVENANCE_MALFORMED'],
    [
      'an empty sig',
      (e: any) => ({ ...e, signatures: [{ cert: e.signatures[0].cert, sig: '' }] }),
      'INPUT_PROVENANCE_MALFORMED',
    ],
  ] as const)('%s -> %s', (_name, mutate, code) => {
    expect(() => bare(mutate(read(BARE)), read(BARE).signatures[0].cert)).toThrowCode(code);
  });

  it('a corrupt certificate -> VERIFY_CERTIFICATE_INVALID', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    expect(() => bare(read(BARE), pem)).toThrowCode('VERIFY_CERTIFICATE_INVALID');
  });
});

describe('parseStatement: the verified payload', () => {
  const payload = (subject: unknown) =>
    Buffer.from(
      JSON.stringify({
        _type: 'https://in-toto.io/Statement/v1',
        subject,
        predicateType: 'https://slsa.dev/verification_summary/v1',
        predicate: {},
      }),
    );

  it('reads a statement whose subjects are resource descriptors', () => {
    const subject = [{ name: 'a', digest: { sha256: 'ab'.repeat(32) } }];
    expect(parseStatement('application/vnd.in-toto+json', payload(subject)).subject).toEqual(subject);
  });

  it.each([
    ['a null subject', [null]],
    ['no digest set', [{ name: 'a' }]],
    ['a digest set that is a list', [{ name: 'a', digest: ['x'] }]],
    ['an empty digest set', [{ name: 'a', digest: {} }]],
    ['a digest value that is a number', [{ name: 'a', digest: { sha256: 1 } }]],
    ['neither name nor uri', [{ digest: { sha256: 'ab' } }]],
  ])('%s -> INPUT_PROVENANCE_MALFORMED (callers index subjects: never a crash)', (_name, subject) => {
    expect(() => parseStatement('application/vnd.in-toto+json', payload(subject))).toThrowCode(
      'INPUT_PROVENANCE_MALFORMED',
    );
  });
  const good = [{ name: 'a', digest: { sha256: 'ab'.repeat(32) } }];

  it.each([
    'application/vnd.in-toto+json; charset=utf-8',
    'application/vnd.in-toto+jsonl',
    'APPLICATION/VND.IN-TOTO+JSON',
    'application/json',
  ])(
    'the payload type %j -> VERIFY_PAYLOAD_TYPE_INVALID (exact, as sigstore-go and slsa-verifier)',
    (type) => {
      expect(() => parseStatement(type, payload(good))).toThrowCode('VERIFY_PAYLOAD_TYPE_INVALID');
    },
  );

  it.each([
    ['no _type', { _type: undefined }],
    ['no predicateType', { predicateType: undefined }],
    ['subject that is no list', { subject: { name: 'a', digest: { sha256: 'ab' } } }],
    ['a list as the statement', null],
  ])('%s -> INPUT_PROVENANCE_MALFORMED', (_name, change) => {
    const statement = JSON.parse(payload(good).toString('utf8')) as Record<string, unknown>;
    const raw = change === null ? [statement] : { ...statement, ...change };
    expect(() =>
      parseStatement('application/vnd.in-toto+json', Buffer.from(JSON.stringify(raw))),
    ).toThrowCode('INPUT_PROVENANCE_MALFORMED');
  });
});

describe('verifyBundleSignature: what the mutation audit found untested', () => {
  const MANAGED = 'sigstore-conformance/bundle-verify/managed-key-happy-path';
  const keyOf = (pem: string): TrustedPublicKey => {
    const keyObject = createPublicKey(pem);
    return { keyObject, keyId: computeKeyId(keyObject) };
  };

  it('picks the given key the bundle names (publicKey.hint), not the first one', () => {
    const b = read(`${MANAGED}/bundle.sigstore.json`);
    const right = keyOf(readVectorBytes(`${MANAGED}/key.pub`).toString('utf8'));
    const other = keyOf(
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
        type: 'spki',
        format: 'pem',
      }) as string,
    );
    const named = { keyObject: right.keyObject, keyId: b.verificationMaterial.publicKey.hint as string };
    const artifact = readVectorBytes('sigstore-conformance/a.txt');
    const verified = verifyBundleSignature(b, trust, { artifact, publicKeys: [other, named] });
    expect(verified.signer).toStrictEqual({ kind: 'key', keyId: named.keyId });
    expect(() => verifyBundleSignature(b, trust, { artifact, publicKeys: [other] })).toThrowCode(
      'VERIFY_SIGNATURE_INVALID',
    );
  });

  it('refuses a chain certificate after the leaf that is not canonical DER (bundle v0.2)', () => {
    const b = bundle(V02);
    const certificates = b.verificationMaterial.x509CertificateChain.certificates as { rawBytes: string }[];
    const leaf = Buffer.from(certificates[0]!.rawBytes, 'base64');
    expect(leaf[1]).toBe(0x82);
    // the leaf again with a long-form outer length padded with a zero byte: BER, not DER
    const ber = Buffer.concat([Buffer.from([0x30, 0x83, 0x00]), leaf.subarray(2)]);
    expect(() => verify(b)).not.toThrow();
    certificates.push({ rawBytes: ber.toString('base64') });
    expect(() => verify(b)).toThrowCode('VERIFY_CERTIFICATE_INVALID');
  });
});

describe('certificateIdentity: the Fulcio extensions', () => {
  // a certificate with only what certificateIdentity reads (not signed: it reads, never verifies)
  const tlv = (tag: number, ...parts: Uint8Array[]): Buffer => {
    const content = Buffer.concat(parts);
    const n = content.length;
    return Buffer.concat([
      Buffer.from(n < 0x80 ? [tag, n] : n < 0x100 ? [tag, 0x81, n] : [tag, 0x82, n >> 8, n & 0xff]),
      content,
    ]);
  };
  const seq = (...parts: Uint8Array[]): Buffer => tlv(0x30, ...parts);
  const fulcio = (arc: number): Buffer =>
    tlv(0x06, Buffer.from([0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01, arc]));
  const ALGORITHM = seq(tlv(0x06, Buffer.from('2a8648ce3d040302', 'hex')));
  const NAME = seq(tlv(0x31, seq(tlv(0x06, Buffer.from('550403', 'hex')), tlv(0x0c, Buffer.from('x')))));
  const SAN = 'https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1';
  const san = (name: Buffer = tlv(0x86, Buffer.from(SAN))): Buffer =>
    seq(tlv(0x06, Buffer.from('551d11', 'hex')), tlv(0x04, seq(name)));
  const raw = (arc: number, value: string): Buffer => seq(fulcio(arc), tlv(0x04, Buffer.from(value)));
  const utf8 = (arc: number, value: string, tag = 0x0c): Buffer =>
    seq(fulcio(arc), tlv(0x04, tlv(tag, Buffer.from(value))));
  const certificate = (...extensions: Buffer[]): X509Certificate => {
    const spki = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
      type: 'spki',
      format: 'der',
    });
    const validity = seq(tlv(0x17, Buffer.from('250101000000Z')), tlv(0x17, Buffer.from('260101000000Z')));
    const tbs = seq(
      tlv(0xa0, tlv(0x02, Buffer.from([2]))),
      tlv(0x02, Buffer.from([1])),
      ALGORITHM,
      NAME,
      validity,
      NAME,
      spki,
      tlv(0xa3, seq(...extensions)),
    );
    return X509Certificate.parse(Buffer.from(seq(tbs, ALGORITHM, tlv(0x03, Buffer.from([0, 0x30, 0])))));
  };
  const ISSUER = 'https://token.actions.githubusercontent.com';

  it('reads the issuer from the current (1.8) and the deprecated (1.1) extension when they agree', () => {
    expect(certificateIdentity(certificate(san(), raw(1, ISSUER), utf8(8, ISSUER)))).toStrictEqual({
      kind: 'certificate',
      issuer: ISSUER,
      subjectAlternativeName: SAN,
    });
    expect(certificateIdentity(certificate(san(), raw(1, ISSUER))).issuer).toBe(ISSUER);
    expect(certificateIdentity(certificate(san(), utf8(8, ISSUER))).issuer).toBe(ISSUER);
  });

  it.each([
    ['an issuer the two extensions disagree on', [san(), raw(1, ISSUER), utf8(8, 'https://evil.example')]],
    [
      'a source ref the two extensions disagree on',
      [san(), raw(6, 'refs/tags/v1'), utf8(14, 'refs/tags/v2')],
    ],
    ['a current extension that is no UTF8String', [san(), utf8(8, ISSUER, 0x16)]],
    ['an empty subject alternative name', [san(tlv(0x81, Buffer.alloc(0))), utf8(8, ISSUER)]],
    ['no subject alternative name', [utf8(8, ISSUER)]],
  ])('refuses %s (VERIFY_CERTIFICATE_INVALID)', (_name, extensions) => {
    expect(() => certificateIdentity(certificate(...extensions))).toThrowCode('VERIFY_CERTIFICATE_INVALID');
  });
});

describe('verifyBundleSignature: the thresholds follow the trusted root', () => {
  // GitHub's own instance (private repositories): a TSA timestamp, no log entry, no SCT, and a
  // trusted root with neither logs nor CT logs. The same bundle under that root with public good's
  // logs added must show what they would require.
  const GH = 'other-tools/github-instance';
  const [publicGood, github] = readVectorBytes(`${GH}/gh-trusted-root.jsonl`)
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>) as [
    Record<string, unknown>,
    Record<string, unknown>,
  ];
  const ghBundle = (): unknown =>
    read(`${GH}/actions-attest-build-provenance-attestation-13531551.sigstore.json`);

  it('verifies under its own root', () => {
    expect(verifyBundleSignature(ghBundle(), { trustedRoot: github }).timestamps.map((t) => t.kind)).toEqual([
      'tsa',
    ]);
  });

  it('needs an SCT once the root trusts a CT log', () => {
    expect(() =>
      verifyBundleSignature(ghBundle(), { trustedRoot: { ...github, ctlogs: publicGood.ctlogs } }),
    ).toThrowCode('VERIFY_CERTIFICATE_INVALID');
  });

  it('needs a transparency-log entry once the root trusts a log', () => {
    expect(() =>
      verifyBundleSignature(ghBundle(), { trustedRoot: { ...github, tlogs: publicGood.tlogs } }),
    ).toThrowCode('VERIFY_TLOG_MISSING');
  });

  it('under several roots, answers with the failure under the root whose CA issued the certificate', () => {
    // a public-good bundle: under GitHub's root its chain fails, under public good without its
    // log key the log entry does; the answer is public good's, whatever the order of the roots
    const withoutLog = { ...trustedRoot, tlogs: [] };
    for (const trustedRoots of [
      [github, withoutLog],
      [withoutLog, github],
    ]) {
      expect(() => verifyBundleSignature(bundle(), { trustedRoots })).toThrowCode('VERIFY_TLOG_INVALID');
    }
  });

  it('needs a verified timestamp: without its TSA token it proves no time', () => {
    const b = ghBundle() as { verificationMaterial: { timestampVerificationData: unknown } };
    b.verificationMaterial.timestampVerificationData = { rfc3161Timestamps: [] };
    expect(() => verifyBundleSignature(b, { trustedRoot: github })).toThrowCode('VERIFY_TLOG_MISSING');
  });
});

describe('verifyBundleSignature: one signed certificate, one byte form', () => {
  // GitHub's instance bundle (a TSA timestamp, no log entry to pin the certificate's bytes) with its
  // certificate's outer signature algorithm rewritten from ecdsa-with-SHA384 to sha384WithRSAEncryption:
  // not signed, and @sigstore/core verifies with the hash it maps from either. Go's x509 parser
  // (sigstore-go, slsa-verifier, gh) refuses a certificate whose two algorithm identifiers differ.
  const GH = 'other-tools/github-instance';
  const header = (tag: number, n: number): Buffer =>
    Buffer.from(n < 0x80 ? [tag, n] : n < 0x100 ? [tag, 0x81, n] : [tag, 0x82, n >> 8, n & 0xff]);
  const element = (der: Buffer, at: number): { end: number } => {
    const first = der[at + 1]!;
    if (first < 0x80) return { end: at + 2 + first };
    const n = first & 0x7f;
    return { end: at + 2 + n + der.readUIntBE(at + 2, n) };
  };
  const withOuterAlgorithm = (der: Buffer, algorithm: Buffer): Buffer => {
    const contentStart = 2 + (der[1]! & 0x7f);
    const tbsEnd = element(der, contentStart).end;
    const algorithmEnd = element(der, tbsEnd).end;
    const content = Buffer.concat([
      der.subarray(contentStart, tbsEnd),
      algorithm,
      der.subarray(algorithmEnd),
    ]);
    return Buffer.concat([header(0x30, content.length), content]);
  };
  const SHA384_WITH_RSA = Buffer.from('300d06092a864886f70d01010c0500', 'hex');

  it('refuses a certificate whose outer signature algorithm is not its TBS one', () => {
    const [, github] = readVectorBytes(`${GH}/gh-trusted-root.jsonl`)
      .toString('utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as unknown);
    const b = read(`${GH}/actions-attest-build-provenance-attestation-13531551.sigstore.json`);
    const der = Buffer.from(b.verificationMaterial.certificate.rawBytes as string, 'base64');
    expect(der.includes(Buffer.from('06082a8648ce3d040303', 'hex'))).toBe(true);
    b.verificationMaterial.certificate.rawBytes = withOuterAlgorithm(der, SHA384_WITH_RSA).toString('base64');
    expect(() => verifyBundleSignature(b, { trustedRoot: github })).toThrowCode('VERIFY_CERTIFICATE_INVALID');
  });
});

describe('verifyBundleSignature: the verified times', () => {
  it('a Rekor v2 entry (an inclusion proof, no signed entry timestamp) gives no time: only the TSA token does', () => {
    const staging = read('sigstore-python/staging_trusted_root.json');
    const b = read('sigstore-python/rekor2-dsse-0.0.2/bundle.sigstore.json');
    const verified = verifyBundleSignature(b, { trustedRoot: staging });
    expect(verified.timestamps.map((t) => t.kind)).toEqual(['tsa']);
  });
});
