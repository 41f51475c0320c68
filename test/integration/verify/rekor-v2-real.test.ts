// Rekor v2 entries on real data (test/fixtures/vectors/sigstore-python/SOURCE.md): a DSSE bundle
// logged as `dsse` 0.0.2 (Sigstore staging's first Rekor v2 log, log2025-alpha1) and one logged as
// `hashedrekord` 0.0.2 over the DSSE pre-authentication encoding (log2025-alpha3, what Rekor v2
// logs for DSSE now), each with its signed checkpoint and an RFC 3161 timestamp (Rekor v2 gives no
// signed entry timestamp), verified offline against staging's trusted root; edited copies and
// another Sigstore's root fail closed. The edits are made here, from the real bundles.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifySigstoreBundle } from '../../../src/app/verify.js';
import { isSlsaLedgerError } from '../../../src/errors.js';
import { runCliCaptured } from '../../support/cli.js';

const DIR = join(import.meta.dirname, '../../fixtures/vectors/sigstore-python');
const STAGING = join(DIR, 'staging_trusted_root.json');
const PUBLIC_GOOD = join(import.meta.dirname, '../../fixtures/vectors/sigstore/trusted_root.json');

const CASES = {
  dsse: {
    bundle: join(DIR, 'rekor2-dsse-0.0.2/bundle.sigstore.json'),
    artifact: join(DIR, 'rekor2-dsse-0.0.2/artifact'),
    identity: 'insecure-cloudtop-shared-user@cloudtop-prod-us-east.iam.gserviceaccount.com',
    issuer: 'https://accounts.google.com',
    kind: 'dsse',
  },
  hashedrekord: {
    bundle: join(DIR, 'rekor2-hashedrekord-dsse/bundle.sigstore.json'),
    artifact: join(import.meta.dirname, '../../fixtures/vectors/sigstore-conformance/a.txt'),
    identity:
      'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main',
    issuer: 'https://token.actions.githubusercontent.com',
    kind: 'hashedrekord',
  },
} as const;

type Case = (typeof CASES)[keyof typeof CASES];
type Bundle = {
  dsseEnvelope: { payload: string; signatures: { sig: string }[] };
  verificationMaterial: {
    tlogEntries: {
      kindVersion: { kind: string; version: string };
      inclusionProof: { rootHash: string; checkpoint: { envelope: string } };
    }[];
  };
};

async function verify(
  c: Case,
  options: { bundle?: string; trustedRoot?: string } = {},
): Promise<{ ok: true } | { ok: false; code: string }> {
  try {
    await verifySigstoreBundle({
      bundle: options.bundle ?? c.bundle,
      artifact: c.artifact,
      trustedRoot: options.trustedRoot ?? STAGING,
      certificateIdentity: c.identity,
      certificateOidcIssuer: c.issuer,
      offline: true,
    });
    return { ok: true };
  } catch (error) {
    if (!isSlsaLedgerError(error)) throw error;
    return { ok: false, code: error.code };
  }
}

function edited(c: Case, edit: (b: Bundle) => void): string {
  const bundle = JSON.parse(readFileSync(c.bundle, 'utf8')) as Bundle;
  edit(bundle);
  const path = join(mkdtempSync(join(tmpdir(), 'rekor2-')), 'bundle.sigstore.json');
  writeFileSync(path, JSON.stringify(bundle));
  return path;
}

/** The same statement with one byte of the subject's name changed (the signature no longer covers it). */
function otherPayload(b: Bundle): void {
  const statement = Buffer.from(b.dsseEnvelope.payload, 'base64').toString('utf8');
  b.dsseEnvelope.payload = Buffer.from(statement.replace('"a.txt"', '"b.txt"')).toString('base64');
}

describe.each(Object.entries(CASES))('Rekor v2, %s 0.0.2 entry of a DSSE bundle (real, staging)', (_, c) => {
  it('is the kind the case says', () => {
    const b = JSON.parse(readFileSync(c.bundle, 'utf8')) as Bundle;
    expect(b.verificationMaterial.tlogEntries[0]?.kindVersion).toEqual({ kind: c.kind, version: '0.0.2' });
  });

  it('verifies against the trusted root of its instance (checkpoint, inclusion, body, TSA timestamp)', async () => {
    expect(await verify(c)).toEqual({ ok: true });
  });

  it('fails closed against another instance (public good: neither its log nor its TSA)', async () => {
    expect(await verify(c, { trustedRoot: PUBLIC_GOOD })).toMatchObject({
      ok: false,
      code: 'VERIFY_TLOG_INVALID',
    });
  });

  it.each([
    ['another payload under the same signature', otherPayload, /^VERIFY_(TLOG|SIGNATURE)_INVALID$/],
    [
      "another envelope signature (the entry's is kept)",
      (b: Bundle) => {
        const sig = Buffer.from(b.dsseEnvelope.signatures[0]?.sig ?? '', 'base64');
        sig.writeUInt8(sig.readUInt8(sig.length - 1) ^ 1, sig.length - 1);
        (b.dsseEnvelope.signatures[0] as { sig: string }).sig = sig.toString('base64');
      },
      /^VERIFY_(TLOG|SIGNATURE)_INVALID$/,
    ],
    [
      "a checkpoint whose root hash is not the proof's",
      (b: Bundle) => {
        const proof = b.verificationMaterial.tlogEntries[0]?.inclusionProof;
        if (proof === undefined) throw new Error('no proof');
        const lines = proof.checkpoint.envelope.split('\n');
        lines[2] = Buffer.alloc(32, 7).toString('base64');
        proof.checkpoint.envelope = lines.join('\n');
      },
      /^VERIFY_TLOG_INVALID$/,
    ],
    [
      'an inclusion proof over another root',
      (b: Bundle) => {
        const proof = b.verificationMaterial.tlogEntries[0]?.inclusionProof;
        if (proof === undefined) throw new Error('no proof');
        proof.rootHash = Buffer.alloc(32, 7).toString('base64');
      },
      /^VERIFY_TLOG_INVALID$/,
    ],
  ] as const)('%s fails closed', async (_n, edit, code) => {
    const r = await verify(c, { bundle: edited(c, edit) });
    expect(r.ok).toBe(false);
    expect((r as { code: string }).code).toMatch(code);
  });
});

describe('through the CLI (gh policy): the hashedrekord-over-DSSE provenance of the beacon workflow', () => {
  it.each([
    [STAGING, 0, undefined],
    [PUBLIC_GOOD, 1, 'VERIFY_TLOG_INVALID'],
  ] as const)('under %s: exit %i', async (root, code, error) => {
    const run = await runCliCaptured(
      [
        'verify',
        CASES.hashedrekord.artifact,
        '--provenance',
        CASES.hashedrekord.bundle,
        '--repo',
        'sigstore-conformance/extremely-dangerous-public-oidc-beacon',
        '--trusted-root',
        root,
        '--offline',
        '--json',
      ],
      { env: { PATH: process.env.PATH ?? '' } },
    );
    expect(run.code).toBe(code);
    expect(run.json().error?.code).toBe(error);
  });
});
