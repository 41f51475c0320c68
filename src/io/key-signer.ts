import { sign } from 'node:crypto';
import type { Signer } from '../core/ports.js';
import type { LoadedPrivateKey } from './keys.js';

/**
 * A Signer over a local private key: Ed25519 (pure EdDSA) or ECDSA P-256 with SHA-256 and a DER
 * signature (what sigstore-js and cosign produce and verify). The key never leaves this object.
 */
export function createKeySigner(key: LoadedPrivateKey): Signer {
  return {
    keyId: key.keyId,
    sign(data: Uint8Array): Promise<Uint8Array> {
      return Promise.resolve(sign(key.keyType === 'ed25519' ? null : 'sha256', data, key.keyObject));
    },
  };
}
