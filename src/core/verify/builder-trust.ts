import { VerificationError } from '../../errors.js';
import type { ProvenanceFacts, SignerIdentity, VerificationPolicy } from './types.js';

/**
 * Decides which builder id is trusted for this provenance (slsa-verifier semantics). Owned by the
 * Sigstore work, which adds the certificate rules (trusted slsa-github-generator builders, loose
 * `--builder-id` match, `vX.Y.Z` pinning, GitHub-attestation style). Until then certificate-signed
 * provenance fails closed.
 */
export function checkBuilderTrust(
  facts: ProvenanceFacts,
  signer: SignerIdentity,
  policy: VerificationPolicy,
): string {
  if (signer.kind === 'certificate') {
    throw new VerificationError(
      'VERIFY_UNTRUSTED_BUILDER',
      'certificate-signed provenance is not supported yet',
      {
        details: { builderId: facts.builderId },
      },
    );
  }
  if (policy.builderId !== undefined && !builderIdMatches(policy.builderId, facts.builderId)) {
    throw new VerificationError(
      'VERIFY_BUILDER_MISMATCH',
      `builder id mismatch: expected ${policy.builderId}, found ${facts.builderId}`,
      { details: { expected: policy.builderId, actual: facts.builderId } },
    );
  }
  return facts.builderId;
}

/** `expected` without `@version` matches any version of the same builder; with one, exactly. */
export function builderIdMatches(expected: string, actual: string): boolean {
  const [expectedName, expectedVersion] = splitBuilderId(expected);
  const [actualName, actualVersion] = splitBuilderId(actual);
  if (expectedName !== actualName) return false;
  return expectedVersion === undefined || expectedVersion === actualVersion;
}

function splitBuilderId(id: string): [string, string | undefined] {
  const at = id.lastIndexOf('@');
  return at === -1 ? [id, undefined] : [id.slice(0, at), id.slice(at + 1)];
}
