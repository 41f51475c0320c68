import { verify, type KeyObject } from 'node:crypto';
import { VerificationError } from '../../errors.js';
import { computePae, decodeBase64, decodeStatement, envelopePayload } from '../provenance/dsse.js';
import type { DsseEnvelope, InTotoStatement, SignerIdentity } from './types.js';

export { computeKeyId } from './key-id.js';

/** A public key `verify --key` trusts: Ed25519 or ECDSA P-256 (checked when it is loaded). */
export interface TrustedPublicKey {
  readonly keyObject: KeyObject;
  /** hex SHA-256 of the DER SubjectPublicKeyInfo (or the id its publisher gives it, npm's `SHA256:…`) */
  readonly keyId: string;
  /** when the key may have signed (a log entry's time must fall in it), as a Sigstore trusted root says */
  readonly validFor?: { readonly start: Date; readonly end?: Date };
}

/** Checks one signature over the PAE: Ed25519 (pure), ECDSA P-256 with SHA-256 (DER, as sigstore signs). */
export function isValidSignature(key: KeyObject, pae: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (key.asymmetricKeyType === 'ed25519') return verify(null, pae, key, signature);
    if (verify('sha256', pae, key, signature)) return true;
    // ECDSA P-256 as r||s (IEEE P1363, 64 bytes), as some signers write it (Google's BCID VSAs;
    // sigstore's Go verifier accepts it too): the same (r, s), another encoding
    return (
      signature.byteLength === 64 && verify('sha256', pae, { key, dsaEncoding: 'ieee-p1363' }, signature)
    );
  } catch {
    // a malformed DER signature is an invalid signature, not an internal error
    return false;
  }
}

/**
 * Verifies a key-signed DSSE envelope: at least one signature must verify over the DSSE PAE with the
 * trusted key (VERIFY_SIGNATURE_INVALID otherwise); only then is the payload decoded as an in-toto
 * statement. Pure and synchronous.
 */
export function verifyKeySigned(
  envelope: DsseEnvelope,
  key: TrustedPublicKey,
  source: string,
): { statement: InTotoStatement; signer: SignerIdentity } {
  const pae = computePae(envelope.payloadType, envelopePayload(envelope));
  const ok = envelope.signatures.some((s) => {
    const sig = decodeBase64(s.sig);
    return sig !== undefined && sig.length > 0 && isValidSignature(key.keyObject, pae, sig);
  });
  if (!ok) {
    throw new VerificationError(
      'VERIFY_SIGNATURE_INVALID',
      `${source}: no signature verifies with the given public key`,
      { details: { source, keyId: key.keyId, signatures: envelope.signatures.length } },
    );
  }
  return { statement: decodeStatement(envelope, source), signer: { kind: 'key', keyId: key.keyId } };
}
