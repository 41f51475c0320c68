import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { generateSigningKeyPair, writeKeyPair, type KeyType } from '../io/keys.js';

export interface KeygenOptions {
  /** `ed25519` (default) or `ecdsa-p256` */
  readonly keyType?: KeyType;
  /** the private key file (default `slsa-ledger.key`) */
  readonly out?: string;
  /** the public key file (default: `out` with `.pub` in place of its extension) */
  readonly publicOut?: string;
  /** from SLSA_LEDGER_KEY_PASSPHRASE (never a flag): encrypts the private key */
  readonly passphrase?: string;
  /** replace existing files */
  readonly force?: boolean;
  readonly cwd?: string;
}

export interface KeygenResult {
  readonly keyType: KeyType;
  readonly keyId: string;
  readonly privateKeyPath: string;
  readonly publicKeyPath: string;
  readonly publicKeyPem: string;
  readonly encrypted: boolean;
}

/**
 * Makes a key pair for key-signed mode (`attest --key`, `verify --key`, and the ledger's
 * `--sign-key` / `--trust-key`): the private key 0600, the public key beside it, and the key id
 * that bundles carry (`verificationMaterial.publicKey.hint`). Rotation: make a new pair, sign with
 * it, and give verifiers both public keys (`--key` repeated) until the old signatures age out.
 */
export async function keygen(options: KeygenOptions = {}): Promise<KeygenResult> {
  const keyType = options.keyType ?? 'ed25519';
  const cwd = options.cwd ?? process.cwd();
  const out = resolve(cwd, options.out ?? 'slsa-ledger.key');
  const publicOut = resolve(cwd, options.publicOut ?? `${out.replace(/\.(pem|key)$/, '')}.pub`);
  if (publicOut === out) {
    throw new UsageError('USAGE_INVALID_FLAG', '--public-out must differ from --out', {
      details: { flag: 'public-out' },
    });
  }
  const pair = generateSigningKeyPair(keyType, options.passphrase);
  await writeKeyPair(pair, { privateKey: out, publicKey: publicOut }, options.force === true);
  return {
    keyType,
    keyId: pair.keyId,
    privateKeyPath: out,
    publicKeyPath: publicOut,
    publicKeyPem: pair.publicKeyPem,
    encrypted: options.passphrase !== undefined && options.passphrase !== '',
  };
}
