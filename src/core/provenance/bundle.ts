import type { SerializedBundle } from '@sigstore/bundle';

/**
 * A Sigstore bundle v0.3 (JSON) holding a key-signed DSSE envelope with public-key verification
 * material (`publicKey.hint` = the key id). There is no transparency-log entry: key-signed
 * provenance is verified with the public key.
 *
 * Written out rather than built with @sigstore/bundle's `toDSSEBundle` + `bundleToJSON`: those
 * load the protobuf-specs JSON codecs (~75 KB of start-up code) for every key-mode `record`, and
 * the shape is fixed. bundle.test.ts holds the output equal, key order included, to the
 * library's for any payload, signature and key id.
 */
export function buildKeySignedBundle(options: {
  readonly payloadType: string;
  readonly payload: Uint8Array;
  readonly signature: Uint8Array;
  readonly keyId: string;
}): SerializedBundle {
  const b64 = (bytes: Uint8Array): string =>
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  // proto3 JSON (what @sigstore/bundle emits) leaves out a string field that is empty
  const field = <K extends string>(key: K, value: string): Partial<Record<K, string>> =>
    (value === '' ? {} : { [key]: value }) as Partial<Record<K, string>>;
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { publicKey: field('hint', options.keyId), timestampVerificationData: {} },
    dsseEnvelope: {
      ...field('payload', b64(options.payload)),
      ...field('payloadType', options.payloadType),
      signatures: [{ ...field('sig', b64(options.signature)), ...field('keyid', options.keyId) }],
    },
  } as SerializedBundle;
}
