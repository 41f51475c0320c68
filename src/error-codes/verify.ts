import type { Category } from './category.js';

// Verification codes (DESIGN.md §3): one per failed check, each mapped to the slsa-verifier error of
// the same meaning. Owned by the attest/verify and Sigstore work.
export const verifyCodes = {
  VERIFY_SIGNATURE_INVALID: 'verification',
  VERIFY_CERTIFICATE_INVALID: 'verification',
  VERIFY_TLOG_INVALID: 'verification',
  VERIFY_TLOG_MISSING: 'verification',
  VERIFY_OIDC_ISSUER_MISMATCH: 'verification',
  VERIFY_UNTRUSTED_BUILDER: 'verification',
  VERIFY_BUILDER_MISMATCH: 'verification',
  VERIFY_INVALID_REF: 'verification',
  VERIFY_SOURCE_MISMATCH: 'verification',
  VERIFY_SUBJECT_DIGEST_MISMATCH: 'verification',
  VERIFY_BRANCH_MISMATCH: 'verification',
  VERIFY_TAG_MISMATCH: 'verification',
  VERIFY_VERSIONED_TAG_MISMATCH: 'verification',
  VERIFY_WORKFLOW_INPUTS_MISMATCH: 'verification',
  VERIFY_COMMIT_MISMATCH: 'verification',
  VERIFY_PAYLOAD_TYPE_INVALID: 'verification',
  VERIFY_STATEMENT_TYPE_INVALID: 'verification',
  VERIFY_PREDICATE_TYPE_INVALID: 'verification',
  VERIFY_BATCH_FAILED: 'verification',
  /** the certificate's build config (top-level workflow) differs from the predicate's (Sigstore work) */
  VERIFY_WORKFLOW_MISMATCH: 'verification',
  /** the certificate's identity (SAN) is not the one asked for (`--cert-identity`, gh's policy flags) */
  VERIFY_IDENTITY_MISMATCH: 'verification',
  /** the certificate lacks a property a policy flag asks for (runner, source ref/digest, signer digest) */
  VERIFY_CERTIFICATE_POLICY_MISMATCH: 'verification',
  /** gh's policy takes Sigstore bundles from v0.2 on (cli/cli `chooseVerifier`: "unsupported bundle version") */
  VERIFY_BUNDLE_VERSION_UNSUPPORTED: 'verification',
  /** no attestation of the predicate type asked for (`--predicate-type`) */
  VERIFY_NO_ATTESTATION: 'verification',
  /** npm: the publish attestation or the provenance names another package or version (slsa-verifier's ErrorMismatchPackageName/Version) */
  VERIFY_PACKAGE_MISMATCH: 'verification',
  /** a verification summary attestation says something else than asked (verify --vsa) */
  VERIFY_VSA_MISMATCH: 'verification',
  /** GitHub's attestations API has none for the digest in the repository or organisation */
  ATTESTATIONS_NOT_FOUND: 'verification',
  /** GitHub's API rate limit: retry after the reset time (details.resetAt) or set GITHUB_TOKEN */
  GITHUB_RATE_LIMITED: 'unavailable',
  INPUT_PROVENANCE_MALFORMED: 'invalid-input',
  INPUT_KEY_INVALID: 'invalid-input',
  INPUT_TRUSTED_ROOT_INVALID: 'invalid-input',
  SIGN_FAILED: 'unavailable',
  OIDC_TOKEN_UNAVAILABLE: 'unavailable',
  TRUST_ROOT_UNAVAILABLE: 'unavailable',
  /** a TUF repository of trust material does not verify (signature, expiry, rollback, target hash): exit 1, not a retry */
  TRUST_ROOT_REFUSED: 'verification',
} as const satisfies Record<string, Category>;
