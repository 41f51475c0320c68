import { VerificationError } from '../../errors.js';
import type { InTotoStatement, SignerIdentity } from './types.js';

/** Trust material for certificate-signed provenance (a parsed Sigstore trusted_root.json). */
export interface SigstoreTrust {
  readonly trustedRoot: unknown;
}

/** A certificate-signed provenance as read from disk: a Sigstore bundle (v0.1–v0.3) or a bare DSSE envelope with a cert. */
export type CertificateSignedProvenance =
  | { readonly kind: 'bundle'; readonly bundle: unknown }
  | { readonly kind: 'dsse-with-certificate'; readonly envelope: unknown; readonly certificatePem: string };

/**
 * Verifies certificate chain, SCTs, transparency-log proof and the DSSE signature, and returns the
 * statement with the signer's identity. Pure and synchronous over pre-loaded trust material.
 * Owned by the Sigstore work; until it lands, this fails closed.
 */
export function verifyCertificateSigned(
  provenance: CertificateSignedProvenance,
  trust: SigstoreTrust,
): { statement: InTotoStatement; signer: SignerIdentity } {
  void provenance;
  void trust;
  throw new VerificationError(
    'VERIFY_CERTIFICATE_INVALID',
    'certificate-signed provenance is not supported yet',
  );
}
