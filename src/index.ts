// The curated public API of slsa-ledger: the async use cases of src/app and the types they take.
// Named exports only; each area adds its exports here.

export {
  SlsaLedgerError,
  VerificationError,
  ValidationError,
  ConflictError,
  UnavailableError,
  UsageError,
  errorCategories,
  exitCodeByCategory,
  type ErrorCode,
  type Category,
} from './errors.js';
export type { Logger, Clock, Signer } from './core/ports.js';
export type * from './core/verify/types.js';

// ledger (DESIGN.md §4): record, flush, check and the entry format
export {
  recordEntry,
  type RecordOptions,
  type RecordResult,
  type RecordOutcome,
  type LedgerWriteOptions,
} from './app/record.js';
export { flushQueue, type FlushOptions, type FlushResult, type FlushItemResult } from './app/flush.js';
export { checkLedger, type CheckOptions, type CheckResult } from './app/check.js';
export {
  parseEntry,
  parseManifest,
  serializeManifest,
  compareTags,
  sortEntries,
  manifestPathFor,
  entryProblems,
  ledgerEntrySchema,
  knownGovernanceFlags,
  type LedgerEntry,
  type EntryProblem,
  type EntryProvenance,
  type EntryValidation,
  type EntryMetrics,
  type GovernanceHistoryItem,
} from './core/ledger/entry.js';
export { applyMergeRule, type MergeResult, type MergeOutcome, type ManifestDay } from './core/ledger/merge.js';
export { findingCodes, type CheckFinding, type FindingCode } from './core/ledger/check.js';
export type { QueueItem } from './core/ledger/queue.js';
export {
  readLedgerFromDir,
  readLedgerFromCommit,
  type LedgerFile,
  type RawLedgerFile,
} from './io/ledger-reader.js';
export type { Publisher, PublishRequest, PublishOutcome } from './io/git-ledger-repo.js';

// attest / verify (DESIGN.md §1, §3): key-signed and keyless provenance, the pure policy
export {
  attestArtifacts,
  resolveBuildContext,
  type AttestOptions,
  type AttestResult,
  type AttestSigning,
  type BuildContextFlags,
} from './app/attest.js';
export {
  verifyArtifacts,
  type VerifyOptions,
  type VerifyResult,
  type ArtifactVerdict,
} from './app/verify.js';
export {
  buildProvenanceStatement,
  buildSlsaPredicate,
  type BuildContext,
  type Subject,
} from './core/provenance/statement.js';
export { computePae, IN_TOTO_PAYLOAD_TYPE } from './core/provenance/dsse.js';
export { checkProvenance, type CheckProvenanceInput } from './core/verify/policy.js';
export { extractFacts, type FactsExtractor } from './core/verify/facts.js';
export { verifyKeySigned, type TrustedPublicKey } from './core/verify/signature-key.js';
export { hashFiles, type FileDigest } from './io/hash.js';
export { readProvenanceFile, type ProvenanceDocument } from './io/provenance-reader.js';

// sigstore (keyless signing; certificate-signed verification with slsa-verifier's builder trust)
/** Verifies a Sigstore bundle offline (certificate, SCT, Rekor proof, DSSE) and returns statement and signer. */
export {
  verifyCertificateSigned,
  buildTrustMaterial,
  certificateIdentity,
  type SigstoreTrust,
  type CertificateSignedProvenance,
} from './core/verify/signature-sigstore.js';
/** slsa-verifier's builder trust for key- and certificate-signed provenance. */
export {
  checkBuilderTrust,
  builderIdMatchesLoose,
  isPinnedReleaseRef,
  GITHUB_ACTIONS_ISSUER,
  TRUSTED_GENERATOR_BUILDERS,
  TRUSTED_DELEGATOR_BUILDERS,
  GITHUB_ATTESTATION_BUILD_TYPES,
} from './core/verify/builder-trust.js';
/** Loads Sigstore trust material: a trusted_root.json, or public good through TUF (cached); never fetches offline. */
export { loadSigstoreTrust, type LoadSigstoreTrustOptions } from './io/trust.js';
/** Keyless signing: DSSE with a Fulcio certificate, witnessed in Rekor (and a TSA), as a bundle v0.3. */
export { signWithSigstore, type SigstoreSignOptions } from './io/sigstore-signer.js';
/** The OIDC identity token for keyless signing (SIGSTORE_ID_TOKEN or GitHub Actions' endpoint). */
export { fetchIdentityToken, type IdentityTokenOptions } from './io/oidc.js';
