import { createHash, type KeyObject } from 'node:crypto';

/** The key id slsa-ledger writes in DSSE `keyid` and bundle `publicKey.hint`: hex SHA-256 of the SPKI DER. */
export function computeKeyId(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}
