// Keyless signing and verification end to end with real sigstore-js code (@sigstore/sign,
// @sigstore/verify) against a local Fulcio and Rekor (@sigstore/mock behind node:http): no network.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkProvenance } from '../../../src/core/verify/policy.js';
import { verifyCertificateSigned, type SigstoreTrust } from '../../../src/core/verify/signature-sigstore.js';
import type { VerificationPolicy } from '../../../src/core/verify/types.js';
import { signWithSigstore } from '../../../src/io/sigstore-signer.js';
import { runCliCaptured } from '../../support/cli.js';
import {
  githubIdentityToken,
  startLocalSigstore,
  type GithubClaims,
  type LocalSigstore,
} from '../../support/sigstore-mock.js';

const REPO = 'acme/widget';
const WORKFLOW = `https://github.com/${REPO}/.github/workflows/release.yml`;
const TAG = 'v1.2.3';
const SHA = 'a'.repeat(40);
const ARTIFACT = Buffer.from('widget binary\n');
const ARTIFACT_SHA256 = createHash('sha256').update(ARTIFACT).digest('hex');

const claims: GithubClaims = {
  workflowUri: `${WORKFLOW}@refs/tags/${TAG}`,
  repository: REPO,
  ref: `refs/tags/${TAG}`,
  sha: SHA,
};

function statement(overrides: { repository?: string; ref?: string; sha?: string } = {}): Buffer {
  const repository = overrides.repository ?? REPO;
  const ref = overrides.ref ?? `refs/tags/${TAG}`;
  return Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'widget', digest: { sha256: ARTIFACT_SHA256 } }],
      predicateType: 'https://slsa.dev/provenance/v1',
      predicate: {
        buildDefinition: {
          buildType: 'https://actions.github.io/buildtypes/workflow/v1',
          externalParameters: {
            workflow: {
              ref,
              repository: `https://github.com/${repository}`,
              path: '.github/workflows/release.yml',
            },
          },
          internalParameters: { github: { event_name: 'push' } },
          resolvedDependencies: [
            {
              uri: `git+https://github.com/${repository}@${ref}`,
              digest: { gitCommit: overrides.sha ?? SHA },
            },
          ],
        },
        runDetails: {
          builder: { id: `https://github.com/${repository}/.github/workflows/release.yml@refs/tags/${TAG}` },
          metadata: {},
        },
      },
    }),
  );
}

const policy: VerificationPolicy = { sourceUri: `github.com/${REPO}`, builderId: WORKFLOW, sourceTag: TAG };

function verify(bundle: unknown, trust: SigstoreTrust, p: VerificationPolicy = policy) {
  const { statement: st, signer } = verifyCertificateSigned({ kind: 'bundle', bundle }, trust);
  return checkProvenance({
    statement: st,
    signer,
    artifacts: [{ name: 'widget', sha256: ARTIFACT_SHA256 }],
    policy: p,
  });
}

async function sign(
  sigstore: LocalSigstore,
  token: string,
  payload = statement(),
): Promise<Record<string, any>> {
  return (await signWithSigstore(payload, 'application/vnd.in-toto+json', {
    fulcioUrl: sigstore.fulcioUrl,
    rekorUrl: sigstore.rekorUrl,
    identityToken: token,
    retries: 0,
  })) as Record<string, any>;
}

describe('keyless sign -> verify against a local sigstore', () => {
  let sigstore: LocalSigstore;
  let trust: SigstoreTrust;
  let bundle: Record<string, any>;

  beforeAll(async () => {
    sigstore = await startLocalSigstore();
    trust = { trustedRoot: sigstore.trustedRoot };
    bundle = await sign(sigstore, githubIdentityToken(claims));
  });
  afterAll(async () => {
    await sigstore.close();
  });

  it('signs a bundle v0.3 through fulcio and rekor and verifies it', () => {
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(sigstore.requests).toEqual(['POST /api/v2/signingCert', 'POST /api/v1/log/entries']);
    const verified = verify(bundle, trust);
    expect(verified.builderId).toBe(`${WORKFLOW}@refs/tags/${TAG}`);
    expect(verified.signer).toMatchObject({
      kind: 'certificate',
      issuer: 'https://token.actions.githubusercontent.com',
      subjectAlternativeName: `${WORKFLOW}@refs/tags/${TAG}`,
      sourceRepositoryUri: `https://github.com/${REPO}`,
      sourceRepositoryRef: `refs/tags/${TAG}`,
      sourceRepositoryDigest: SHA,
    });
    expect(verified.artifacts).toEqual([{ name: 'widget', sha256: ARTIFACT_SHA256, subject: 'widget' }]);
  });

  it('rejects another identity than the expected builder', async () => {
    const other = await sign(
      sigstore,
      githubIdentityToken({
        ...claims,
        workflowUri: `https://github.com/${REPO}/.github/workflows/evil.yml@refs/tags/${TAG}`,
      }),
    );
    expect(() => verify(other, trust)).toThrowCode('VERIFY_UNTRUSTED_BUILDER');
  });

  it('rejects a certificate of another repository than --source-uri', async () => {
    const other = await sign(
      sigstore,
      githubIdentityToken({
        ...claims,
        repository: 'mallory/widget',
        workflowUri: `https://github.com/mallory/widget/.github/workflows/release.yml@refs/tags/${TAG}`,
      }),
      statement({ repository: 'mallory/widget' }),
    );
    expect(() =>
      verify(other, trust, {
        ...policy,
        builderId: 'https://github.com/mallory/widget/.github/workflows/release.yml',
      }),
    ).toThrowCode('VERIFY_SOURCE_MISMATCH');
  });

  it('rejects a predicate that names another commit than the certificate', async () => {
    const lying = await sign(sigstore, githubIdentityToken(claims), statement({ sha: 'b'.repeat(40) }));
    expect(() => verify(lying, trust)).toThrowCode('VERIFY_COMMIT_MISMATCH');
  });

  it('rejects another oidc issuer', async () => {
    const other = await sign(
      sigstore,
      githubIdentityToken({ ...claims, iss: 'https://accounts.example.com' }),
    );
    expect(() => verify(other, trust)).toThrowCode('VERIFY_OIDC_ISSUER_MISMATCH');
  });

  it('rejects a tampered payload', () => {
    const tampered = structuredClone(bundle);
    const payload = JSON.parse(Buffer.from(tampered.dsseEnvelope.payload, 'base64').toString('utf8'));
    payload.subject[0].digest.sha256 = 'f'.repeat(64);
    tampered.dsseEnvelope.payload = Buffer.from(JSON.stringify(payload)).toString('base64');
    // The rekor entry's payload hash no longer matches: caught before the signature itself.
    expect(() => verify(tampered, trust)).toThrowCode('VERIFY_TLOG_INVALID');
  });

  it('rejects a tampered signature', () => {
    const other = structuredClone(bundle);
    const sig = Buffer.from(other.dsseEnvelope.signatures[0].sig, 'base64');
    sig[sig.length - 1] = (sig[sig.length - 1] ?? 0) ^ 0xff;
    other.dsseEnvelope.signatures[0].sig = sig.toString('base64');
    // The rekor entry records the original signature: the swap is caught there.
    expect(() => verify(other, trust)).toThrowCode('VERIFY_TLOG_INVALID');
  });

  it('rejects a signature that does not cover the envelope (payload type changed)', () => {
    // The rekor entry binds the payload hash and the signature bytes, not the payload type: only
    // the DSSE signature over PAE(type, payload) catches this.
    const other = structuredClone(bundle);
    other.dsseEnvelope.payloadType = 'application/vnd.example+json';
    expect(() => verify(other, trust)).toThrowCode('VERIFY_SIGNATURE_INVALID');
  });

  it.each([
    ['another payload type', 'application/vnd.example+json', statement(), 'VERIFY_PAYLOAD_TYPE_INVALID'],
    [
      'a payload that is not json',
      'application/vnd.in-toto+json',
      Buffer.from('not json'),
      'INPUT_JSON_MALFORMED',
    ],
    [
      'json that is not a statement',
      'application/vnd.in-toto+json',
      Buffer.from('{"a":1}'),
      'INPUT_PROVENANCE_MALFORMED',
    ],
  ] as const)('rejects a validly signed bundle with %s', async (_name, payloadType, payload, code) => {
    const signed = await signWithSigstore(payload, payloadType, {
      fulcioUrl: sigstore.fulcioUrl,
      rekorUrl: sigstore.rekorUrl,
      identityToken: githubIdentityToken(claims),
      retries: 0,
    });
    expect(() => verify(signed, trust)).toThrowCode(code);
  });

  it('rejects a bundle under a foreign trusted root', async () => {
    const foreign = await startLocalSigstore();
    try {
      expect(() => verify(bundle, { trustedRoot: foreign.trustedRoot })).toThrowCode(
        'VERIFY_CERTIFICATE_INVALID',
      );
    } finally {
      await foreign.close();
    }
  });

  it('rejects a bundle whose rekor entry belongs to another envelope', async () => {
    const second = await sign(sigstore, githubIdentityToken(claims), statement({ ref: `refs/tags/${TAG}` }));
    const swapped = structuredClone(bundle);
    swapped.verificationMaterial.tlogEntries = second.verificationMaterial.tlogEntries;
    expect(() => verify(swapped, trust)).toThrowCode('VERIFY_TLOG_INVALID');
  });
});

describe('keyless signing failures', () => {
  it.each([
    ['an unreachable fulcio', 'http://127.0.0.1:1', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'],
    ['a fulcio that refuses the token', undefined, 'not-a-jwt-secret-token'],
  ] as const)('%s -> SIGN_FAILED, without the token in the error', async (_name, fulcioUrl, token) => {
    const sigstore = await startLocalSigstore();
    try {
      const error = await signWithSigstore(statement(), 'application/vnd.in-toto+json', {
        fulcioUrl: fulcioUrl ?? sigstore.fulcioUrl,
        rekorUrl: sigstore.rekorUrl,
        identityToken: token,
        retries: 0,
        timeoutMs: 5_000,
      }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'SIGN_FAILED' });
      expect(
        JSON.stringify({ m: (error as Error).message, c: String((error as Error).cause) }),
      ).not.toContain(token);
    } finally {
      await sigstore.close();
    }
  });
});

describe('keyless signing with a timestamp authority', () => {
  it('adds an rfc 3161 timestamp that verifies against the trusted tsa', async () => {
    const sigstore = await startLocalSigstore({ withTsa: true });
    try {
      const bundle = (await signWithSigstore(statement(), 'application/vnd.in-toto+json', {
        fulcioUrl: sigstore.fulcioUrl,
        rekorUrl: sigstore.rekorUrl,
        tsaUrl: sigstore.tsaUrl ?? '',
        identityToken: githubIdentityToken(claims),
        retries: 0,
      })) as Record<string, any>;
      expect(bundle.verificationMaterial.timestampVerificationData.rfc3161Timestamps).toHaveLength(1);
      expect(verify(bundle, { trustedRoot: sigstore.trustedRoot }).builderId).toBe(
        `${WORKFLOW}@refs/tags/${TAG}`,
      );
      // the same bundle under a root that does not trust this TSA: the timestamp cannot be verified
      const root = { ...sigstore.trustedRoot, timestampAuthorities: [] };
      expect(() => verify(bundle, { trustedRoot: root })).toThrowCode('VERIFY_TLOG_INVALID');
    } finally {
      await sigstore.close();
    }
  });
});

describe('certificate validity window', () => {
  it('rejects a signature logged after the certificate expired', async () => {
    const now = Date.now();
    // The CA issues 10-minute certificates an hour ago; the log integrates the entry now.
    const sigstore = await startLocalSigstore({
      caClock: new Date(now - 60 * 60 * 1000),
      tlogClock: new Date(now),
    });
    try {
      const bundle = await sign(sigstore, githubIdentityToken(claims));
      expect(() => verify(bundle, { trustedRoot: sigstore.trustedRoot })).toThrowCode(
        'VERIFY_CERTIFICATE_INVALID',
      );
      // the message names the step that failed, below the chain's own "failed to verify"
      expect(() => verify(bundle, { trustedRoot: sigstore.trustedRoot })).toThrow(
        /at the signing time \(failed to verify certificate chain: certificate is not valid or expired at the specified date\)/,
      );
    } finally {
      await sigstore.close();
    }
  });

  it('rejects a signature logged before the certificate was valid', async () => {
    const now = Date.now();
    const sigstore = await startLocalSigstore({
      caClock: new Date(now),
      tlogClock: new Date(now - 60 * 60 * 1000),
    });
    try {
      const bundle = await sign(sigstore, githubIdentityToken(claims));
      expect(() => verify(bundle, { trustedRoot: sigstore.trustedRoot })).toThrowCode(
        'VERIFY_CERTIFICATE_INVALID',
      );
      // the message names the step that failed, below the chain's own "failed to verify"
      expect(() => verify(bundle, { trustedRoot: sigstore.trustedRoot })).toThrow(
        /at the signing time \(failed to verify certificate chain: certificate is not valid or expired at the specified date\)/,
      );
    } finally {
      await sigstore.close();
    }
  });
});

describe('a trusted root whose CA certificate does not verify', () => {
  it('says which step of the chain failed, not only that the chain did not verify', async () => {
    const sigstore = await startLocalSigstore();
    try {
      const bundle = await sign(sigstore, githubIdentityToken(claims));
      // the root certificate's signature with its last byte changed: still well-formed DER, the
      // leaf still names it as issuer, but it no longer signs itself
      const root = structuredClone(sigstore.trustedRoot) as {
        certificateAuthorities: { certChain: { certificates: { rawBytes: string }[] } }[];
      };
      const cert = root.certificateAuthorities[0]!.certChain.certificates[0]!;
      const der = Buffer.from(cert.rawBytes, 'base64');
      der[der.length - 1] = (der[der.length - 1] as number) ^ 0x01;
      cert.rawBytes = der.toString('base64');
      expect(() => verify(bundle, { trustedRoot: root })).toThrowCode('VERIFY_CERTIFICATE_INVALID');
      expect(() => verify(bundle, { trustedRoot: root })).toThrow(
        /at the signing time \(failed to verify certificate chain: no valid certificate path found from the trusted root's ca certificate sha256:[0-9a-f]{16}: failed to verify certificate chain: no valid certificate path found\)/,
      );
    } finally {
      await sigstore.close();
    }
  });
});

describe('cli: attest --sigstore -> verify --trusted-root', () => {
  it('signs through the local fulcio and rekor and verifies offline with the same policy slsa-verifier would use', async () => {
    const sigstore = await startLocalSigstore();
    const dir = mkdtempSync(join(tmpdir(), 'slsa-ledger-sigstore-cli-'));
    try {
      writeFileSync(join(dir, 'widget'), ARTIFACT);
      writeFileSync(join(dir, 'trusted_root.json'), JSON.stringify(sigstore.trustedRoot));
      const env = { PATH: process.env.PATH, HOME: dir, SIGSTORE_ID_TOKEN: githubIdentityToken(claims) };
      const attest = await runCliCaptured(
        [
          'attest',
          'widget',
          '--sigstore',
          '--fulcio-url',
          sigstore.fulcioUrl,
          '--rekor-url',
          sigstore.rekorUrl,
          '--repository',
          `https://github.com/${REPO}`,
          '--ref',
          `refs/tags/${TAG}`,
          '--sha',
          SHA,
          '--workflow-path',
          '.github/workflows/release.yml',
          '--run-id',
          '42',
          '--event-name',
          'push',
          '--json',
        ],
        { env, cwd: dir },
      );
      expect(attest.code, attest.stdout + attest.stderr).toBe(0);
      expect(attest.stdout).not.toContain(env.SIGSTORE_ID_TOKEN);
      const verifyArgs = (builderId: string) => [
        'verify',
        'widget',
        '--provenance',
        'provenance.sigstore.json',
        '--source-uri',
        `github.com/${REPO}`,
        '--source-tag',
        TAG,
        '--builder-id',
        builderId,
        '--trusted-root',
        'trusted_root.json',
        '--offline',
        '--json',
      ];
      const ok = await runCliCaptured(verifyArgs(WORKFLOW), {
        env: { PATH: process.env.PATH, HOME: dir },
        cwd: dir,
      });
      expect(ok.code, ok.stdout).toBe(0);
      expect(ok.json().result.verdicts[0]).toMatchObject({
        ok: true,
        builderId: `${WORKFLOW}@refs/tags/${TAG}`,
      });
      const bad = await runCliCaptured(verifyArgs(`https://github.com/${REPO}/.github/workflows/other.yml`), {
        env: { PATH: process.env.PATH, HOME: dir },
        cwd: dir,
      });
      expect({ exit: bad.code, code: bad.json().error?.code }).toEqual({
        exit: 1,
        code: 'VERIFY_UNTRUSTED_BUILDER',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await sigstore.close();
    }
  });
});
