// sigstore-conformance's bundle-verify suite (test/fixtures/vectors/sigstore-conformance, see
// SOURCE.md): every case through verifySigstoreBundle, offline; a `_fail` suffix is the verdict.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifySigstoreBundle } from '../../../src/app/verify.js';
import { isSlsaLedgerError } from '../../../src/errors.js';

const ROOT = join(import.meta.dirname, '../../fixtures/vectors/sigstore-conformance');
const CASES = join(ROOT, 'bundle-verify');
const PUBLIC_GOOD = join(import.meta.dirname, '../../fixtures/vectors/sigstore/trusted_root.json');
const DEFAULT_IDENTITY =
  'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const DEFAULT_ISSUER = 'https://token.actions.githubusercontent.com';

const cases = readdirSync(CASES, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(CASES, d.name, 'bundle.sigstore.json')))
  .map((d) => d.name)
  .sort();

function optional(dir: string, name: string): string | undefined {
  const p = join(dir, name);
  return existsSync(p) ? p : undefined;
}

async function run(name: string): Promise<{ ok: true } | { ok: false; code: string; message: string }> {
  const dir = join(CASES, name);
  const identity = optional(dir, 'identity');
  const issuer = optional(dir, 'issuer');
  const key = optional(dir, 'key.pub');
  try {
    await verifySigstoreBundle({
      bundle: join(dir, 'bundle.sigstore.json'),
      artifact: optional(dir, 'artifact') ?? join(ROOT, 'a.txt'),
      trustedRoot: optional(dir, 'trusted_root.json') ?? PUBLIC_GOOD,
      ...(key === undefined ? {} : { keys: [key] }),
      certificateIdentity: identity === undefined ? DEFAULT_IDENTITY : readFileSync(identity, 'utf8').trim(),
      certificateOidcIssuer: issuer === undefined ? DEFAULT_ISSUER : readFileSync(issuer, 'utf8').trim(),
      offline: true,
    });
    return { ok: true };
  } catch (error) {
    if (!isSlsaLedgerError(error)) throw error;
    return { ok: false, code: error.code, message: error.message };
  }
}

describe('sigstore-conformance bundle-verify', () => {
  it('has the suite', () => expect(cases.length).toBeGreaterThan(60));
  it.each(cases)('%s', async (name) => {
    const result = await run(name);
    if (process.env.SHOW_CODES) console.log(name, JSON.stringify(result));
    if (name.endsWith('_fail')) {
      expect(result, `${name} must fail`).toMatchObject({ ok: false });
      // a failure is a verdict (exit 1) or bad input (exit 3), never an internal error
      expect((result as { code: string }).code).toMatch(/^(VERIFY_|INPUT_|USAGE_)/);
    } else {
      expect(result).toEqual({ ok: true });
    }
  });
});

describe('strict cryptographic inputs: certificates must be canonical DER', () => {
  // happy-path-v0.3's certificate with the outer SEQUENCE length re-encoded in a longer form
  // (0x83 00 LL LL instead of 0x82 LL LL): the same certificate to a BER reader, other bytes
  function berVariant(): { bundle: Record<string, unknown>; der: Buffer } {
    const bundle = JSON.parse(
      readFileSync(join(CASES, 'happy-path-v0.3', 'bundle.sigstore.json'), 'utf8'),
    ) as { verificationMaterial: { certificate: { rawBytes: string } } };
    const der = Buffer.from(bundle.verificationMaterial.certificate.rawBytes, 'base64');
    expect(der.subarray(0, 2)).toEqual(Buffer.from([0x30, 0x82]));
    const ber = Buffer.concat([Buffer.from([0x30, 0x83, 0x00]), der.subarray(2)]);
    bundle.verificationMaterial.certificate.rawBytes = ber.toString('base64');
    return { bundle: bundle, der: ber };
  }

  it('@sigstore/core reads the BER variant as the same certificate', async () => {
    const { X509Certificate } = await import('@sigstore/core');
    const { der } = berVariant();
    expect(X509Certificate.parse(Buffer.from(der)).subjectAltName).toBe(DEFAULT_IDENTITY);
  });

  it('slsa-ledger refuses it with VERIFY_CERTIFICATE_INVALID', async () => {
    const { verifyBundleSignature } = await import('../../../src/core/verify/signature-sigstore.js');
    const { bundle } = berVariant();
    const trust = { trustedRoot: JSON.parse(readFileSync(PUBLIC_GOOD, 'utf8')) as unknown };
    expect(() =>
      verifyBundleSignature(bundle, trust, { artifact: readFileSync(join(ROOT, 'a.txt')) }),
    ).toThrowCode('VERIFY_CERTIFICATE_INVALID');
  });
});
