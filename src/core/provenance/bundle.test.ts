import { bundleToJSON, toDSSEBundle } from '@sigstore/bundle';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildKeySignedBundle } from './bundle.js';

// the reference: what @sigstore/bundle builds for a key-signed DSSE envelope
function viaLibrary(o: { payloadType: string; payload: Uint8Array; signature: Uint8Array; keyId: string }) {
  return bundleToJSON(
    toDSSEBundle({
      artifact: Buffer.from(o.payload),
      artifactType: o.payloadType,
      signature: Buffer.from(o.signature),
      keyHint: o.keyId,
    }),
  );
}

describe('buildKeySignedBundle', () => {
  it('is the bundle @sigstore/bundle builds, byte for byte once serialised, for any input', () => {
    fc.assert(
      fc.property(
        fc.record({
          payloadType: fc.oneof(fc.constant('application/vnd.in-toto+json'), fc.string()),
          payload: fc.uint8Array({ maxLength: 300 }),
          signature: fc.uint8Array({ maxLength: 120 }),
          keyId: fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$/), fc.string()),
        }),
        (o) => {
          const ours = buildKeySignedBundle(o);
          expect(JSON.stringify(ours)).toBe(JSON.stringify(viaLibrary(o)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('encodes a subarray by its own bytes, not its backing buffer', () => {
    const backing = Buffer.from('xxpayloadyy');
    const payload = backing.subarray(2, 9);
    const b = buildKeySignedBundle({ payloadType: 't', payload, signature: Buffer.from('s'), keyId: 'k' });
    expect(Buffer.from(b.dsseEnvelope!.payload, 'base64').toString()).toBe('payload');
  });
});
