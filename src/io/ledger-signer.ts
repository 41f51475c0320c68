// The signers of the signed ledger (issue 14 item 2): a `BundleSigner` over a key file (ed25519 or
// ECDSA P-256 PEM, passphrase from SLSA_LEDGER_KEY_PASSPHRASE) or over Sigstore keyless signing
// with the workflow's OIDC identity. Both return a Sigstore bundle v0.3 with a DSSE envelope; the
// key, the passphrase and the identity token never leave this module and never reach an error.
import type { BundleSigner, SigningMode } from '../core/ledger-trust/sign.js';
import { buildKeySignedBundle } from '../core/provenance/bundle.js';
import { computePae } from '../core/provenance/dsse.js';
import { createKeySigner } from './key-signer.js';
import { loadPrivateKey, type LoadedPrivateKey } from './keys.js';

/** The environment variable holding the passphrase of an encrypted `--sign-key`. */
export const KEY_PASSPHRASE_ENV = 'SLSA_LEDGER_KEY_PASSPHRASE';

/** Key mode: signs the DSSE PAE with the key and wraps it as a bundle whose key hint is the key id. */
export function createKeyBundleSigner(key: LoadedPrivateKey): BundleSigner {
  const signer = createKeySigner(key);
  return {
    mode: 'key',
    keyId: key.keyId,
    async signDsse(payloadType: string, payload: Uint8Array): Promise<unknown> {
      const signature = await signer.sign(computePae(payloadType, payload));
      return buildKeySignedBundle({ payloadType, payload, signature, keyId: key.keyId });
    },
  };
}

export interface SigstoreBundleSignerOptions {
  readonly fulcioUrl?: string;
  readonly rekorUrl?: string;
  readonly tsaUrl?: string;
  /** asked once per signature: GitHub's OIDC tokens are short-lived, a long flush outlives one */
  readonly identityToken: () => Promise<string>;
  readonly timeoutMs?: number;
  readonly retries?: number;
}

/** Keyless: a Fulcio certificate for the identity token, a Rekor `dsse` entry, optionally a TSA token. */
export function createSigstoreBundleSigner(options: SigstoreBundleSignerOptions): BundleSigner {
  return {
    mode: 'sigstore',
    keyId: '',
    async signDsse(payloadType: string, payload: Uint8Array): Promise<unknown> {
      // @sigstore/sign and its fetch stack load only in keyless mode (a key-mode record stays light)
      const { DEFAULT_FULCIO_URL, DEFAULT_REKOR_URL, signWithSigstore } =
        await import('./sigstore-signer.js');
      const identityToken = await options.identityToken();
      return signWithSigstore(payload, payloadType, {
        fulcioUrl: options.fulcioUrl ?? DEFAULT_FULCIO_URL,
        rekorUrl: options.rekorUrl ?? DEFAULT_REKOR_URL,
        identityToken,
        ...(options.tsaUrl === undefined ? {} : { tsaUrl: options.tsaUrl }),
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        ...(options.retries === undefined ? {} : { retries: options.retries }),
      });
    },
  };
}

export interface LoadLedgerSignerOptions {
  /** from `decideSigningMode(flags, {githubActions: env.GITHUB_ACTIONS === 'true'})` */
  readonly mode: SigningMode;
  /** the environment (passphrase, SIGSTORE_ID_TOKEN, ACTIONS_ID_TOKEN_REQUEST_*); never read from process.env here */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fulcioUrl?: string;
  readonly rekorUrl?: string;
  readonly tsaUrl?: string;
  /** for the OIDC request (tests) */
  readonly fetch?: typeof globalThis.fetch;
}

/**
 * The signer for a signing mode, or undefined for `--no-sign`. A key file is loaded (and checked)
 * now, so a bad key fails before anything is written; the identity token is fetched per signature.
 * @throws SlsaLedgerError `INPUT_KEY_INVALID`, `INPUT_FILE_MISSING`, `INPUT_FILE_NOT_REGULAR`
 */
export async function loadLedgerSigner(options: LoadLedgerSignerOptions): Promise<BundleSigner | undefined> {
  const { mode, env } = options;
  switch (mode.kind) {
    case 'none':
      return undefined;
    case 'key': {
      const passphrase = env[KEY_PASSPHRASE_ENV];
      const key = await loadPrivateKey(
        mode.keyPath,
        passphrase === undefined || passphrase === '' ? undefined : passphrase,
      );
      return createKeyBundleSigner(key);
    }
    case 'sigstore':
      return createSigstoreBundleSigner({
        identityToken: async () =>
          (await import('./oidc.js')).fetchIdentityToken(
            env,
            options.fetch === undefined ? {} : { fetch: options.fetch },
          ),
        ...(options.fulcioUrl === undefined ? {} : { fulcioUrl: options.fulcioUrl }),
        ...(options.rekorUrl === undefined ? {} : { rekorUrl: options.rekorUrl }),
        ...(options.tsaUrl === undefined ? {} : { tsaUrl: options.tsaUrl }),
      });
  }
}
