import { bundleToJSON } from '@sigstore/bundle';
import {
  DSSEBundleBuilder,
  FulcioSigner,
  RekorWitness,
  TSAWitness,
  type IdentityProvider,
  type Witness,
} from '@sigstore/sign';
import { SlsaLedgerError, UnavailableError } from '../errors.js';

/** Sigstore public-good defaults. */
export const DEFAULT_FULCIO_URL = 'https://fulcio.sigstore.dev';
export const DEFAULT_REKOR_URL = 'https://rekor.sigstore.dev';

export interface SigstoreSignOptions {
  readonly fulcioUrl: string;
  readonly rekorUrl: string;
  readonly tsaUrl?: string;
  /** OIDC identity token (from GitHub Actions' OIDC endpoint or SIGSTORE_ID_TOKEN) */
  readonly identityToken: string;
  /** per-request timeout (ms) and retries of the Fulcio/Rekor/TSA clients */
  readonly timeoutMs?: number;
  readonly retries?: number;
}

/**
 * Keyless signing: signs the payload as DSSE with an ephemeral key certified by Fulcio for the
 * identity token, witnesses it in Rekor (a `dsse` entry) and optionally a timestamp authority,
 * and returns the Sigstore bundle v0.3 as JSON. Throws SIGN_FAILED (the services refused or are
 * unreachable); the identity token never appears in errors.
 */
export async function signWithSigstore(
  payload: Uint8Array,
  payloadType: string,
  options: SigstoreSignOptions,
): Promise<unknown> {
  if (options.identityToken === '') {
    throw new SlsaLedgerError('OIDC_TOKEN_UNAVAILABLE', 'keyless signing needs an identity token');
  }
  const fetchOptions = { timeout: options.timeoutMs ?? 30_000, retry: options.retries ?? 2 };
  const identityProvider: IdentityProvider = { getToken: () => Promise.resolve(options.identityToken) };
  const witnesses: Witness[] = [
    new RekorWitness({
      rekorBaseURL: options.rekorUrl,
      entryType: 'dsse',
      fetchOnConflict: true,
      ...fetchOptions,
    }),
  ];
  if (options.tsaUrl !== undefined) {
    witnesses.push(new TSAWitness({ tsaBaseURL: options.tsaUrl, ...fetchOptions }));
  }
  const builder = new DSSEBundleBuilder({
    signer: new FulcioSigner({ identityProvider, fulcioBaseURL: options.fulcioUrl, ...fetchOptions }),
    witnesses,
  });
  try {
    const bundle = await builder.create({ data: Buffer.from(payload), type: payloadType });
    return bundleToJSON(bundle);
  } catch (cause) {
    throw new UnavailableError(
      'SIGN_FAILED',
      `keyless signing failed: ${describe(cause, options.identityToken)}`,
      {
        cause: new Error(describe(cause, options.identityToken)),
        details: { fulcioUrl: options.fulcioUrl, rekorUrl: options.rekorUrl, tsaUrl: options.tsaUrl ?? null },
      },
    );
  }
}

function describe(cause: unknown, token: string): string {
  const message = cause instanceof Error ? cause.message : String(cause);
  return message.split(token).join('[redacted]').toLowerCase();
}
