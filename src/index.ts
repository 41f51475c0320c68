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
export {
  applyMergeRule,
  type MergeResult,
  type MergeOutcome,
  type ManifestDay,
} from './core/ledger/merge.js';
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
/** The Sigstore layer alone: any bundle (DSSE or message signature, certificate or key), Rekor v1/v2, TSA, per-root thresholds. */
export {
  verifyBundleSignature,
  trustedRootsOf,
  type VerifiedBundle,
  type VerifyBundleOptions,
} from './core/verify/signature-sigstore.js';
/** Reads `--trusted-root`: one trusted_root.json or the JSON lines of `gh attestation trusted-root`. */
export { readTrustedRootFile } from './io/trust.js';
/** Refuses a certificate that is not canonical DER (VERIFY_CERTIFICATE_INVALID). */
export { checkDerCertificate } from './core/verify/der.js';
/** `gh attestation verify`'s policy as data and checks; the attestations API client. */
export {
  checkGithubAttestation,
  checkGithubSigner,
  githubSanMatcher,
  type GithubPolicy,
} from './core/verify/github-policy.js';
export { fetchAttestations, type FetchAttestationsOptions } from './io/github-attestations.js';
/** verify's other entry points: one Sigstore bundle (conformance), gh parity, VSAs. */
export {
  verifySigstoreBundle,
  verifyWithGithub,
  verifyVsa,
  parseDigestArgument,
  type VerifySigstoreBundleOptions,
  type VerifyWithGithubOptions,
  type VerifyVsaOptions,
} from './app/verify.js';
/** SLSA Verification Summary Attestations: build one, check one (slsa-verifier verify-vsa semantics). */
export {
  buildVsaStatement,
  checkVsa,
  VSA_PREDICATE_TYPE,
  type BuildVsaOptions,
  type VsaPredicate,
  type VsaExpectations,
} from './core/vsa/vsa.js';
/** Keys for key-signed mode: make (with their key id), store (0600), load (several, for rotation). */
export {
  generateSigningKeyPair,
  writeKeyPair,
  loadPublicKeys,
  loadPrivateKey,
  loadPublicKey,
  type GeneratedKeyPair,
} from './io/keys.js';
export { keygen, type KeygenOptions, type KeygenResult } from './app/keygen.js';
export { createKeySigner } from './io/key-signer.js';
/** Keyless signing: DSSE with a Fulcio certificate, witnessed in Rekor (and a TSA), as a bundle v0.3. */
export { signWithSigstore, type SigstoreSignOptions } from './io/sigstore-signer.js';
/** The OIDC identity token for keyless signing (SIGSTORE_ID_TOKEN or GitHub Actions' endpoint). */
export { fetchIdentityToken, type IdentityTokenOptions } from './io/oidc.js';
/** Audits GitHub workflows against the role matrix (DESIGN.md §6): findings with file, line and rule. */
export {
  auditWorkflows,
  type AuditWorkflowsOptions,
  type AuditWorkflowsResult,
} from './app/audit-workflows.js';
/** Installs the workflows, the action, the config, the migrations and the docs into a repository. */
export {
  initRepository,
  initSettings,
  type InitOptions,
  type InitResult,
  type InitSetting,
} from './app/init.js';
/** The governance core: role matrix as data, workflow rules and report renderers (text, JSON, SARIF 2.1.0). */
export { roleMatrix, type Role, type RoleId } from './core/governance/role-matrix.js';
export {
  checkWorkflow,
  checkWorkflows,
  workflowRules,
  type Finding,
  type RuleId,
  type RuleInfo,
} from './core/governance/rules.js';
export {
  buildSarif,
  renderAuditReport,
  type AuditFormat,
  type AuditReport,
} from './core/governance/report.js';
export { parseWorkflowYaml } from './io/workflow-yaml.js';
export type { WorkflowModel, JobModel, StepModel } from './core/governance/model.js';

// ---- database: migrations, ingest, KPIs (DESIGN.md §5) -----------------------------------------
/**
 * Opens the database: Postgres for a `postgres://` URL, else embedded PGlite (`.slsa-ledger/db`).
 * @throws `DB_UNAVAILABLE` naming the host (never the password), `DB_NOT_MIGRATED`, `DB_LOCKED`
 */
export {
  openDatabase,
  resolveDatabaseUrl,
  readerViews,
  DEFAULT_DATA_DIR,
  INGEST_ROLE,
  READER_ROLE,
  INGEST_FUNCTION,
  type DbClient,
  type DbQueryable,
  type DbRole,
  type DbEngine,
  type OpenDatabaseOptions,
} from './io/db.js';
/** Applies supabase/migrations with checksums. @throws `DB_MIGRATION_CHANGED`, `DB_MIGRATION_FAILED`, `DB_UNAVAILABLE` */
export { migrateDatabase, type MigrateOptions } from './app/migrate.js';
export { applyMigrations, type ApplyMigrationsResult, type MigrationStatus } from './io/migrations.js';
/**
 * Loads the git ledger into the database through `slsa_ingest_batch` (changed files only, batches
 * of one transaction each). @throws `DB_UNAVAILABLE`, `SUPABASE_UNAVAILABLE`, `DB_PERMISSION_DENIED`,
 * `DB_NOT_MIGRATED`, `LEDGER_MANIFEST_INVALID`
 */
export { ingestLedger, type IngestOptions, type IngestResult } from './app/ingest.js';
/**
 * Moves a repository to its new name in the database (a renamed GitHub repository): runs, watermark,
 * manifests, ingests and rollups in one transaction, an audit row per run; never a merge.
 * @throws `INGEST_REPOSITORY_INVALID`, `INGEST_RENAME_REFUSED`, `DB_UNAVAILABLE`, `DB_NOT_MIGRATED`
 */
export { renameRepository, type RenameRepositoryOptions, type RenameRepositoryResult } from './app/ingest.js';
export { createSqlIngestSink, type IngestSink, type IngestItem } from './io/ingest-sink.js';
export { createSupabaseIngestSink, type SupabaseSinkOptions } from './io/supabase-store.js';
/** Every metric of DESIGN.md §5 from the database. @throws `KPI_WINDOW_INVALID`, `DB_UNAVAILABLE` */
export { computeDatabaseKpis, loadKpiReport, type KpiOptions } from './app/kpi.js';
/** The pure KPI reference: the same numbers from entries in memory. */
export {
  computeKpis,
  aggregateRuns,
  buildKpiReport,
  type KpiReport,
  type KpiRun,
  type KpiWindow,
  type KpiAggregates,
} from './core/kpi/kpi.js';
export { resolveKpiWindow } from './core/kpi/window.js';
export { renderKpiTable } from './core/kpi/table.js';

// ---- orchestration and alerts: dispatch, notify, validate, record --via-pr, Jira sign-off ------
/**
 * Triggers the provenance workflow and reports its run id and the dispatch token's expiry and age.
 * @throws `DISPATCH_TOKEN_MISSING`, `DISPATCH_TOKEN_EXPIRED`, `GITHUB_REJECTED`, `DISPATCH_FAILED`, `DISPATCH_RUN_NOT_FOUND`
 */
export { dispatchWorkflow, type DispatchOptions, type DispatchResult } from './app/dispatch.js';
/**
 * Sends one alert to Slack (retried) and optionally a de-duplicated GitHub issue; logs every attempt.
 * @throws `NOTIFY_WEBHOOK_MISSING`, `NOTIFY_REJECTED`, `NOTIFY_FAILED`
 */
export { notifyEvent, type NotifyOptions, type NotifyResult } from './app/notify.js';
/**
 * Security CI: gates a tag's entry on status success, verifies its provenance with a policy derived
 * from the entry, checks an optional Jira sign-off and records the verdict.
 * @throws `VALIDATE_STATUS_NOT_SUCCESS`, `ARTIFACT_UNAVAILABLE`, `VALIDATE_SIGNOFF_MISSING`, any `VERIFY_*` code
 */
export {
  validateRelease,
  type ValidateOptions,
  type ValidateResult,
  type VerdictRecorder,
  type RecordedVerdict,
} from './app/validate.js';
/** `record --via-pr`: the ledger commit through a pull request (auto-merge where allowed); refused → queued. */
export {
  recordEntryViaPullRequest,
  type RecordViaPullRequestOptions,
  type RecordViaPullRequestResult,
} from './app/record-via-pr.js';
/** The pull-request publisher for `recordEntry` (the swappable push step). */
export { PullRequestPublisher, pullRequestBranch, type PullRequestInfo } from './io/github-pr-publisher.js';
/** The events, their Slack messages and GitHub issues, and the retry policy (pure). */
export {
  notifyEvents,
  buildSlackMessage,
  buildIssue,
  type NotifyEvent,
  type NotifySubject,
} from './core/notify/events.js';
export {
  decideRetry,
  defaultRetryPolicy,
  type RetryPolicy,
  type RetryDecision,
} from './core/notify/retry.js';
/** Notification success ratio and latencies from `out/provenance/notifications.jsonl`. */
export {
  computeNotificationMetrics,
  parseNotificationLog,
  type NotificationAttempt,
  type NotificationMetrics,
} from './core/notify/metrics.js';
export { readNotificationLog, defaultNotificationsLog } from './io/notifications-log.js';
/** Dispatch token expiry/rotation decisions and the verification policy an entry implies (pure). */
export { decideTokenAudit, type TokenAudit, type TokenFlag } from './core/dispatch/token-audit.js';
export { derivePolicy, selectEntry } from './core/validate/validate-plan.js';
export { decideSignoff, defaultSignoffLabel } from './core/validate/signoff.js';
/**
 * The KPI dashboard and its read-only JSON API (`serve`), reading as `slsa_kpi_reader`.
 * @throws `DB_UNAVAILABLE`, `DB_NOT_MIGRATED`, `DASHBOARD_LISTEN_FAILED`, `DASHBOARD_ASSETS_MISSING`
 */
export {
  serveDashboard,
  createDashboardHandler,
  createDatabaseBackend,
  type ServeDashboardOptions,
  type RunningDashboard,
  type DashboardBackend,
} from './app/serve.js';
/** The dashboard's run queries (read-only transactions, bind parameters only). */
export { listRuns, getRun, type RunsPage, type RunSummary, type RunDetail } from './io/runs-query.js';
export { parseRunsQuery, parseKpiQuery, type RunsQuery } from './core/dashboard/query.js';
/**
 * The signed ledger (issue 14, docs/trust.md): transition statements, the trust policy, the storage
 * layout, the pure audit, the queue gate, signature statuses for ingest. Pure unless noted.
 * @throws `TRUST_TRANSITION_INVALID`, `TRUST_POLICY_INVALID`, `TRUST_SIGN_MODE_REQUIRED`
 */
export {
  TRANSITION_PREDICATE_TYPE,
  buildTransitionStatement,
  serializeTransitionStatement,
  canonicalEntryText,
  entryDigest,
  type TransitionKind,
  type TransitionStatement,
  type TransitionPredicate,
  type TransitionWriter,
  type LedgerLocation,
} from './core/ledger-trust/transition.js';
export { parseTransitionStatement } from './core/ledger-trust/transition-parse.js';
export { checkTransitionChange, type ChangeViolation } from './core/ledger-trust/change-rules.js';
export {
  parseTrustPolicy,
  resolveTrustPolicy,
  decideSigner,
  type TrustPolicyDocument,
  type ResolvedTrustPolicy,
  type SignerRule,
} from './core/ledger-trust/policy.js';
export {
  transitionsPathFor,
  vsaPathFor,
  appendLogLines,
  checkAppendOnly,
  parseLedgerLog,
} from './core/ledger-trust/storage.js';
export { verifyStoredBundle, type TrustMaterial } from './core/ledger-trust/bundle-verify.js';
export {
  auditLedgerTrust,
  trustFindingCodes,
  type TrustAuditInput,
  type TrustAuditResult,
  type TrustFinding,
  type TrustDay,
  type TrustCommit,
  type TrustWitness,
} from './core/ledger-trust/audit.js';
export { decideQueuedTransition, type QueueDecision } from './core/ledger-trust/queue-gate.js';
export { verifyEntrySignatures, type SignatureStatus } from './core/ledger-trust/signature-status.js';
export {
  signChange,
  signTransition,
  /** the one VSA signer: a Sigstore bundle (key or keyless) that `verify --vsa` checks */
  signVsa,
  writerFromEnvironment,
  decideSigningMode,
  transitionKindFor,
  type BundleSigner,
  type SigningMode,
} from './core/ledger-trust/sign.js';
/** Signers (key file or Sigstore keyless) and the trust policy loader (I/O). */
export { loadLedgerSigner, createKeyBundleSigner, createSigstoreBundleSigner } from './io/ledger-signer.js';
export { loadLedgerTrust, readTrustPolicyFile, type LedgerTrust } from './io/trust-policy-file.js';
