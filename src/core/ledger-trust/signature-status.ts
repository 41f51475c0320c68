// The database copy's view of signatures (issue 14 item 7, signature side): for each run ingest
// loads, whether its current state is signed by someone the policy trusts. Values agreed with the
// database (`signature_status`): `verified`, `unsigned`, `invalid`, `untrusted`, and `unverified`
// (the default) when no trust policy was given, so nothing was checked.
import { auditLedgerTrust, readDayEntries, type EntrySignatureStatus, type TrustDay } from './audit.js';
import type { TrustMaterial } from './bundle-verify.js';
import type { ResolvedTrustPolicy } from './policy.js';

export type SignatureStatus = EntrySignatureStatus | 'unverified';

export interface RunSignatureStatus {
  readonly path: string;
  readonly tag: string;
  readonly run_id: number;
  readonly signature_status: SignatureStatus;
  /** who signed the current state, when verified */
  readonly signer?: string;
}

/**
 * The signature status of every valid entry of the given days (the day files with their
 * `transitions.jsonl` and `vsa.jsonl` as read from the ingested commit). Without a policy every
 * run is `unverified`. `invalid` covers a signature that does not verify, a broken chain and a
 * state that went back; `untrusted` a signer the policy does not allow for a change of that run.
 */
export function verifyEntrySignatures(
  days: readonly TrustDay[],
  trust: { readonly policy: ResolvedTrustPolicy; readonly material: TrustMaterial } | undefined,
  location?: { readonly repository: string; readonly branch: string },
): RunSignatureStatus[] {
  if (trust === undefined) {
    return days.flatMap((day) =>
      (readDayEntries(day.manifest, day.path) ?? []).map((e) => ({
        path: day.path,
        tag: e.tag,
        run_id: e.run_id,
        signature_status: 'unverified' as const,
      })),
    );
  }
  const result = auditLedgerTrust({
    days,
    policy: trust.policy,
    material: trust.material,
    ...(location === undefined ? {} : { location }),
  });
  return result.entries.map((e) => ({
    path: e.path,
    tag: e.tag,
    run_id: e.run_id,
    signature_status: e.status,
    ...(e.signer === undefined ? {} : { signer: e.signer }),
  }));
}
