import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { VerificationError } from '../../errors.js';

// X.509 certificates are DER (RFC 5280 §4.1): one encoding per value. BER also allows long-form
// lengths for short values, indefinite lengths, explicit DEFAULT values and other re-encodings of
// the same certificate; a verifier that accepts them lets one signed certificate take many byte
// forms (different fingerprints, different log entries), whatever @sigstore/verify's lenient
// ASN.1 reader makes of them. The check is a round trip through a maintained X.509 schema
// (@peculiar/asn1-x509): the certificate is parsed and encoded again as DER, and the result must be
// the very bytes given.

/**
 * Refuses a certificate that is not canonical DER (or not a certificate at all).
 * @throws VerificationError `VERIFY_CERTIFICATE_INVALID`
 */
export function checkDerCertificate(der: Uint8Array, what = 'certificate'): void {
  let encoded: ArrayBuffer;
  try {
    encoded = AsnConvert.serialize(AsnConvert.parse(der, Certificate));
  } catch (cause) {
    throw new VerificationError('VERIFY_CERTIFICATE_INVALID', `${what} is not an x.509 certificate in der`, {
      cause,
      details: { reason: 'not-der' },
    });
  }
  const again = new Uint8Array(encoded);
  if (again.byteLength !== der.byteLength || !again.every((b, i) => b === der[i])) {
    throw new VerificationError(
      'VERIFY_CERTIFICATE_INVALID',
      `${what} is not canonical der (a ber re-encoding of a certificate is refused)`,
      { details: { reason: 'non-canonical-der', length: der.byteLength, derLength: again.byteLength } },
    );
  }
}
