// The VSA of a `validate --record` verdict (issue 14 item 3, docs/trust.md "Verdicts as SLSA VSAs"):
// the SLSA Verification Summary Attestation v1 fields filled from what validate checked. Pure.
import { createHash } from 'node:crypto';
import type { LedgerEntry } from '../ledger/entry.js';
import { buildVsaStatement, type VsaPredicate } from './vsa.js';
import type { InTotoStatement } from '../verify/types.js';

/** The verifier id slsa-ledger's verdicts carry (`verify --vsa --verifier-id`). */
export const VALIDATE_VERIFIER_ID = 'https://slsa-ledger.dev/validate/v1';
/** The policy uri: validate's policy is derived from the entry (docs/validate.md) and named by its digest. */
export const VALIDATE_POLICY_URI = 'https://slsa-ledger.dev/policy/derived-from-entry/v1';

export interface VerdictVsaOptions {
  /** the entry judged (before the verdict) */
  readonly entry: LedgerEntry;
  readonly passed: boolean;
  /** the artifacts checked, with their SHA-256 */
  readonly artifacts: readonly { readonly name: string; readonly sha256: string }[];
  /** the provenance documents used, with the SHA-256 of their bytes */
  readonly provenance: readonly { readonly name: string; readonly sha256: string }[];
  /** the verification policy as data: its canonical JSON is digested */
  readonly policy: unknown;
  readonly timeVerified: Date;
  readonly verifierVersion?: string;
  /** the builders that signed the verified provenance (their ids set the build level) */
  readonly builderIds?: readonly string[];
  /**
   * some verified provenance was key-signed: its builder id is the key holder's own claim, not a
   * certificate's, so it earns no more than L2 whatever builder it names
   */
  readonly keySigned?: boolean;
}

/**
 * SLSA Build L3 for slsa-github-generator's isolated builders, L2 for any other hosted, signed
 * provenance. The generator's L3 holds only when its identity comes from a certificate: a
 * key-signed provenance (`keySigned`) names whatever builder its signer writes.
 */
export function buildLevelOf(builderIds: readonly string[], keySigned = false): string {
  return !keySigned &&
    builderIds.length > 0 &&
    builderIds.every((b) => b.startsWith('https://github.com/slsa-framework/slsa-github-generator/'))
    ? 'SLSA_BUILD_LEVEL_3'
    : 'SLSA_BUILD_LEVEL_2';
}

/** The resource the verdict is about: the artifact's URL, else the release page, else the entry's key. */
export function verdictResourceUri(entry: LedgerEntry): string {
  return (
    entry.artifact_url ??
    entry.release_url ??
    `urn:slsa-ledger:${encodeURIComponent(entry.tag)}:${entry.run_id}`
  );
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  return value;
}

/**
 * The VSA statement of a verdict: subject = the artifacts' digests, `resourceUri`, `policy` (uri and
 * digest of the policy's canonical JSON), `inputAttestations` = the provenance digests,
 * `verificationResult`, `verifiedLevels` (`buildLevelOf` the builders; `FAILED` for a failed verdict).
 */
export function buildVerdictVsa(options: VerdictVsaOptions): InTotoStatement & { predicate: VsaPredicate } {
  const policyDigest = createHash('sha256')
    .update(JSON.stringify(canonical(options.policy)))
    .digest('hex');
  return buildVsaStatement({
    subjects: options.artifacts.map((a) => ({ name: a.name, digest: { sha256: a.sha256 } })),
    verifierId: VALIDATE_VERIFIER_ID,
    ...(options.verifierVersion === undefined
      ? {}
      : { verifierVersion: { 'slsa-ledger': options.verifierVersion } }),
    timeVerified: options.timeVerified,
    resourceUri: verdictResourceUri(options.entry),
    policy: { uri: VALIDATE_POLICY_URI, digest: { sha256: policyDigest } },
    inputAttestations: options.provenance.map((p) => ({ uri: p.name, digest: { sha256: p.sha256 } })),
    passed: options.passed,
    verifiedLevels: [buildLevelOf(options.builderIds ?? [], options.keySigned ?? false)],
    slsaVersion: '1.0',
  });
}
