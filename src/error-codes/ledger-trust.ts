import type { Category } from './category.js';

// Codes of the signed ledger (issue 14 items 2, 4, 6, 7; DESIGN.md §7; docs/trust.md). Owned by the
// ledger-trust work. Codes are API: never rename one, only add.
export const ledgerTrustCodes = {
  /** `check` finding: an entry's current bytes are not the state of any signed transition */
  CHECK_ENTRY_UNSIGNED: 'verification',
  /** `check` finding: a stored transition (or VSA) is malformed, its signature does not verify, or it contradicts itself */
  CHECK_SIGNATURE_INVALID: 'verification',
  /** `check` finding: a transition is signed by an identity the trust policy does not allow for its kind */
  CHECK_SIGNER_UNTRUSTED: 'verification',
  /** `check` finding: an entry's transitions do not form one unbroken hash chain from its record */
  CHECK_CHAIN_BROKEN: 'verification',
  /** `check` finding: history was rewritten (a signed log shrank, a signed entry vanished or rolled back, a merge-rule violation) */
  CHECK_HISTORY_REWRITTEN: 'verification',
  /** `flush`: a queued entry has no signed statement that verifies under the trust policy; left in place */
  FLUSH_ENTRY_UNTRUSTED: 'verification',
  /** `flush`: items are queued but there is no trust policy to authenticate them (none landed; `--allow-unauthenticated` opts out) */
  FLUSH_NO_TRUST_POLICY: 'usage',
  /** the `trust:` section of .slsa-ledger.yml (or a --trust-key) is invalid; `details.problems` lists every problem */
  TRUST_POLICY_INVALID: 'usage',
  /** a writer has no signing mode: pass --sign-key FILE, --sign sigstore, or --no-sign */
  TRUST_SIGN_MODE_REQUIRED: 'usage',
  /** a signed transition statement does not have the ledger-transition/v1 shape */
  TRUST_TRANSITION_INVALID: 'invalid-input',
} as const satisfies Record<string, Category>;
