import { describe, expect, it } from 'vitest';
import { sign } from 'node:crypto';
import { makeTestKey } from '../../../test/support/trust-ledger.js';
import { verifyStoredBundle, type TrustMaterial } from './bundle-verify.js';

const ed = makeTestKey('ed25519');
const p256 = makeTestKey('p256');
const material: TrustMaterial = { keys: new Map([ed, p256].map((k) => [k.keyId, k.trusted])) };
const payload = Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}');

type Bundle = {
  mediaType: string;
  verificationMaterial: Record<string, unknown>;
  dsseEnvelope: { payload: string; payloadType: string; signatures: { sig: string; keyid?: string }[] };
};
const signed = async (k = ed): Promise<Bundle> =>
  (await k.signer.signDsse('application/vnd.in-toto+json', payload)) as Bundle;

describe('verifyStoredBundle (key mode)', () => {
  it.each([
    ['ed25519', ed],
    ['ecdsa p-256', p256],
  ])('verifies %s and returns the signer and payload', async (_n, k) => {
    const result = verifyStoredBundle(await signed(k), material);
    expect(result).toEqual({
      ok: true,
      signer: { kind: 'key', keyId: k.keyId },
      payload: expect.any(Uint8Array),
    });
    expect(result.ok && Buffer.from(result.payload).toString()).toBe(payload.toString());
  });

  it('does not know a key it was not given', async () => {
    const result = verifyStoredBundle(await signed(makeTestKey()), material);
    expect(result).toMatchObject({ ok: false, failure: 'unknown-signer' });
  });

  const cases: readonly [string, (b: Bundle) => unknown][] = [
    ['not an object', () => 'x'],
    ['no verification material', (b) => ({ ...b, verificationMaterial: undefined })],
    ['no envelope', (b) => ({ ...b, dsseEnvelope: undefined })],
    [
      'another payload type',
      (b) => ({ ...b, dsseEnvelope: { ...b.dsseEnvelope, payloadType: 'text/plain' } }),
    ],
    ['a payload that is not base64', (b) => ({ ...b, dsseEnvelope: { ...b.dsseEnvelope, payload: '!!' } })],
    ['an empty payload', (b) => ({ ...b, dsseEnvelope: { ...b.dsseEnvelope, payload: '' } })],
    [
      'two signatures',
      (b) => ({
        ...b,
        dsseEnvelope: {
          ...b.dsseEnvelope,
          signatures: [...b.dsseEnvelope.signatures, ...b.dsseEnvelope.signatures],
        },
      }),
    ],
    [
      'a signature that is not an object',
      (b) => ({ ...b, dsseEnvelope: { ...b.dsseEnvelope, signatures: ['x'] } }),
    ],
    ['an empty sig', (b) => ({ ...b, dsseEnvelope: { ...b.dsseEnvelope, signatures: [{ sig: '' }] } })],
    [
      'a keyid that is not text',
      (b) => ({
        ...b,
        dsseEnvelope: { ...b.dsseEnvelope, signatures: [{ ...b.dsseEnvelope.signatures[0], keyid: 1 }] },
      }),
    ],
    [
      'a keyid other than the hint',
      (b) => ({
        ...b,
        dsseEnvelope: {
          ...b.dsseEnvelope,
          signatures: [{ ...b.dsseEnvelope.signatures[0], keyid: p256.keyId }],
        },
      }),
    ],
    [
      'another media type',
      (b) => ({ ...b, mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.2' }),
    ],
    ['no hint', (b) => ({ ...b, verificationMaterial: { publicKey: {} } })],
    [
      'a changed payload',
      (b) => ({
        ...b,
        dsseEnvelope: { ...b.dsseEnvelope, payload: Buffer.from('{"_type":"x"}').toString('base64') },
      }),
    ],
    [
      'a signature by another trusted key under this hint',
      (b) => ({
        ...b,
        verificationMaterial: { publicKey: { hint: p256.keyId } },
        dsseEnvelope: { ...b.dsseEnvelope, signatures: [{ sig: b.dsseEnvelope.signatures[0]!.sig }] },
      }),
    ],
    [
      'a truncated signature',
      (b) => ({
        ...b,
        dsseEnvelope: {
          ...b.dsseEnvelope,
          signatures: [{ ...b.dsseEnvelope.signatures[0], sig: b.dsseEnvelope.signatures[0]!.sig.slice(8) }],
        },
      }),
    ],
  ];
  it.each(cases)('refuses %s', async (_name, change) => {
    const result = verifyStoredBundle(change(await signed()), material);
    expect(result).toMatchObject({ ok: false, failure: 'invalid' });
  });

  it('without sigstore trust, a certificate-signed bundle has no trusted signer', async () => {
    const b = await signed();
    const keyless = { ...b, verificationMaterial: { certificate: { rawBytes: 'AAAA' } } };
    expect(verifyStoredBundle(keyless, material)).toMatchObject({ ok: false, failure: 'unknown-signer' });
  });

  it('with sigstore trust, a malformed certificate-signed bundle is invalid, not an error', async () => {
    const b = await signed();
    const keyless = { ...b, verificationMaterial: { certificate: { rawBytes: 'AAAA' }, tlogEntries: [] } };
    const trusted: TrustMaterial = {
      ...material,
      sigstore: { trustedRoot: { mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1' } },
    };
    expect(verifyStoredBundle(keyless, trusted)).toMatchObject({ ok: false, failure: 'invalid' });
  });
});

// Mutation audit (issue 14, seventeenth session): a trusted key's signature over something other
// than an in-toto DSSE envelope (another payload type, or the raw payload without the PAE, as a
// `sign-blob` of the same bytes would be) must never count as a signed statement.
describe('verifyStoredBundle (key mode), mutation audit', () => {
  it('refuses a bundle properly signed under another payload type', async () => {
    const b = (await ed.signer.signDsse('text/plain', payload)) as Bundle;
    expect(verifyStoredBundle(b, material)).toMatchObject({ ok: false, failure: 'invalid' });
  });

  it('refuses a signature over the raw payload instead of the DSSE PAE', async () => {
    const b = await signed();
    const raw = sign(null, payload, ed.privateKey).toString('base64');
    const forged = {
      ...b,
      dsseEnvelope: { ...b.dsseEnvelope, signatures: [{ ...b.dsseEnvelope.signatures[0]!, sig: raw }] },
    };
    expect(verifyStoredBundle(forged, material)).toMatchObject({ ok: false, failure: 'invalid' });
  });

  it('an empty key hint is malformed (invalid), not an unknown signer', async () => {
    const b = await signed();
    const { keyid: _keyid, ...sigWithoutKeyid } = b.dsseEnvelope.signatures[0]!;
    const noHint = {
      ...b,
      verificationMaterial: { ...b.verificationMaterial, publicKey: { hint: '' } },
      dsseEnvelope: { ...b.dsseEnvelope, signatures: [sigWithoutKeyid] },
    };
    expect(verifyStoredBundle(noHint, material)).toMatchObject({ ok: false, failure: 'invalid' });
  });
});
