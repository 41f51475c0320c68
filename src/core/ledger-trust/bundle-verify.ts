// Who signed a stored bundle: key mode with Node's crypto over the DSSE PAE (the public key parsed
// once, looked up by the bundle's key hint), keyless through the project's Sigstore verification
// (certificate chain to the trusted root's Fulcio, SCTs, Rekor entry, DSSE signature). Pure and
// synchronous over pre-loaded trust material; every failure is a result, not a throw, because the
// audit reports it and carries on with the next line.
import { isSlsaLedgerError } from '../../errors.js';
import { computePae, decodeBase64, IN_TOTO_PAYLOAD_TYPE } from '../provenance/dsse.js';
import { isValidSignature, type TrustedPublicKey } from '../verify/signature-key.js';
import { verifyCertificateSigned, type SigstoreTrust } from '../verify/signature-sigstore.js';
import type { SignerIdentity } from '../verify/types.js';

export const BUNDLE_V03_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

/** What verifies signatures: the policy's public keys by key id, and Sigstore trust for keyless bundles. */
export interface TrustMaterial {
  readonly keys: ReadonlyMap<string, TrustedPublicKey>;
  /** a parsed trusted_root.json (`--trusted-root`, or Sigstore's via TUF); keep one object for the whole run */
  readonly sigstore?: SigstoreTrust;
}

export type BundleVerification =
  | { readonly ok: true; readonly signer: SignerIdentity; readonly payload: Uint8Array }
  | {
      readonly ok: false;
      /** `invalid`: malformed or the signature does not verify; `unknown-signer`: no trusted material names the signer */
      readonly failure: 'invalid' | 'unknown-signer';
      readonly message: string;
    };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fail(failure: 'invalid' | 'unknown-signer', message: string): BundleVerification {
  return { ok: false, failure, message };
}

interface DsseParts {
  readonly payloadType: string;
  readonly payload: Uint8Array;
  readonly keyid: string | undefined;
  readonly sig: Uint8Array;
}

function dsseParts(bundle: Record<string, unknown>): DsseParts | string {
  const env = bundle.dsseEnvelope;
  if (!isObject(env)) return 'the bundle holds no dsse envelope';
  if (env.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    return `the dsse payload type is ${JSON.stringify(env.payloadType ?? null)}, expected ${IN_TOTO_PAYLOAD_TYPE}`;
  }
  const payload = typeof env.payload === 'string' ? decodeBase64(env.payload) : undefined;
  if (payload === undefined || payload.length === 0) return 'the dsse payload is missing or not base64';
  if (!Array.isArray(env.signatures) || env.signatures.length !== 1) {
    return 'the dsse envelope must carry exactly one signature';
  }
  const s: unknown = env.signatures[0];
  if (!isObject(s)) return 'the dsse signature is not an object';
  const sig = typeof s.sig === 'string' ? decodeBase64(s.sig) : undefined;
  if (sig === undefined || sig.length === 0) return 'the dsse signature has no base64 sig';
  if (s.keyid !== undefined && typeof s.keyid !== 'string') return 'the dsse keyid is not a string';
  return { payloadType: env.payloadType, payload, keyid: s.keyid, sig };
}

/**
 * Verifies one stored Sigstore bundle (v0.3, DSSE): a key-signed one (`verificationMaterial.
 * publicKey.hint` = key id) with the trusted key of that id, a certificate-signed one with the
 * Sigstore trust material. Returns the signer and the signed payload bytes.
 */
export function verifyStoredBundle(bundle: unknown, material: TrustMaterial): BundleVerification {
  if (!isObject(bundle)) return fail('invalid', 'the bundle is not a json object');
  const vm = bundle.verificationMaterial;
  if (!isObject(vm)) return fail('invalid', 'the bundle has no verificationMaterial');
  const parts = dsseParts(bundle);
  if (typeof parts === 'string') return fail('invalid', parts);

  if (vm.publicKey !== undefined) {
    if (bundle.mediaType !== BUNDLE_V03_MEDIA_TYPE) {
      return fail('invalid', `a key-signed bundle must be ${BUNDLE_V03_MEDIA_TYPE}`);
    }
    const hint = isObject(vm.publicKey) ? vm.publicKey.hint : undefined;
    if (typeof hint !== 'string' || hint === '')
      return fail('invalid', 'the key-signed bundle names no key (publicKey.hint)');
    if (parts.keyid !== undefined && parts.keyid !== '' && parts.keyid !== hint) {
      return fail('invalid', 'the dsse keyid and the bundle key hint differ');
    }
    const key = material.keys.get(hint);
    if (key === undefined)
      return fail('unknown-signer', `signed by key ${hint.slice(0, 12)}…, which no trusted key matches`);
    if (!isValidSignature(key.keyObject, computePae(parts.payloadType, parts.payload), parts.sig)) {
      return fail('invalid', `the signature does not verify with key ${hint.slice(0, 12)}…`);
    }
    return { ok: true, signer: { kind: 'key', keyId: key.keyId }, payload: parts.payload };
  }

  if (material.sigstore === undefined) {
    return fail(
      'unknown-signer',
      'signed keylessly, but no keyless signer is trusted (no sigstore trust material)',
    );
  }
  try {
    const { signer } = verifyCertificateSigned({ kind: 'bundle', bundle }, material.sigstore);
    return { ok: true, signer, payload: parts.payload };
  } catch (error) {
    if (isSlsaLedgerError(error)) return fail('invalid', `${error.code}: ${error.message}`);
    throw error;
  }
}
