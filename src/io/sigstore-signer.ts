import { SlsaLedgerError } from '../errors.js';

export interface SigstoreSignOptions {
  readonly fulcioUrl: string;
  readonly rekorUrl: string;
  readonly tsaUrl?: string;
  /** OIDC identity token (from GitHub Actions' OIDC endpoint or SIGSTORE_ID_TOKEN) */
  readonly identityToken: string;
}

/**
 * Keyless signing: signs the in-toto statement as DSSE with a Fulcio certificate, witnesses it in
 * Rekor and returns a Sigstore bundle v0.3 (JSON). Owned by the Sigstore work; fails closed until then.
 */
export function signWithSigstore(
  payload: Uint8Array,
  payloadType: string,
  options: SigstoreSignOptions,
): Promise<unknown> {
  void payload;
  void payloadType;
  void options;
  return Promise.reject(new SlsaLedgerError('NOT_IMPLEMENTED', 'keyless signing is not implemented yet'));
}
