import { bundleToJSON, toDSSEBundle, type SerializedBundle } from '@sigstore/bundle';

/**
 * A Sigstore bundle v0.3 (JSON) holding a key-signed DSSE envelope with public-key verification
 * material (`publicKey.hint` = the key id), built with @sigstore/bundle so the shape is sigstore's.
 * There is no transparency-log entry: key-signed provenance is verified with the public key.
 */
export function buildKeySignedBundle(options: {
  readonly payloadType: string;
  readonly payload: Uint8Array;
  readonly signature: Uint8Array;
  readonly keyId: string;
}): SerializedBundle {
  const bundle = toDSSEBundle({
    artifact: Buffer.from(options.payload),
    artifactType: options.payloadType,
    signature: Buffer.from(options.signature),
    keyHint: options.keyId,
  });
  return bundleToJSON(bundle);
}
