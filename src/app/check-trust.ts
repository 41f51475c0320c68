// Who wrote what (issue 14 item 4, docs/trust.md "What check verifies"): the trust audit of a ledger
// commit under the checker's policy. `check` calls `checkLedgerTrust` once; `ingest` calls
// `ledgerSignatureStatuses`. The policy comes from the checker's own `.slsa-ledger.yml` (never from
// the ledger ref being checked) or `--trust-key PUB`.
import { auditLedgerTrust, type TrustAuditResult, type TrustWitness } from '../core/ledger-trust/audit.js';
import type { Logger } from '../core/ports.js';
import { findConfigFileFrom } from '../io/ledger-location.js';
import { readTrustDaysAt, readTrustHistoryAt } from '../io/ledger-trust-reader.js';
import { loadLedgerTrust, type LedgerTrust } from '../io/trust-policy-file.js';
import type { LedgerIdentity } from './ledger-signing.js';

export interface LoadCheckerTrustOptions {
  /** where the checker runs: its `.slsa-ledger.yml` (found upwards from here) holds the `trust:` policy */
  readonly cwd: string;
  /** an explicit config file instead of the search */
  readonly configPath?: string;
  /** `--trust-key PUB`, repeatable */
  readonly trustKeys?: readonly string[];
  /** `--trusted-root FILE` */
  readonly trustedRoot?: string;
  readonly offline?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logger?: Logger;
}

/**
 * The checker's trust policy and material, or undefined when there is neither a `trust:` section
 * nor a `--trust-key` (the trust audit is then skipped).
 * @throws `TRUST_POLICY_INVALID`, `CONFIG_INVALID`, `INPUT_KEY_INVALID`, the INPUT_FILE_* codes
 */
export async function loadCheckerTrust(options: LoadCheckerTrustOptions): Promise<LedgerTrust | undefined> {
  const configPath = options.configPath ?? findConfigFileFrom(options.cwd);
  return loadLedgerTrust({
    ...(configPath === undefined ? {} : { configPath }),
    trustKeyPaths: options.trustKeys ?? [],
    ...(options.trustedRoot === undefined ? {} : { trustedRootPath: options.trustedRoot }),
    ...(options.offline === undefined ? {} : { offline: options.offline }),
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
}

export interface CheckLedgerTrustOptions {
  readonly repoDir: string;
  /** the commit audited */
  readonly commit: string;
  readonly reportsDir: string;
  readonly trust: LedgerTrust;
  /** the ledger the statements must be signed for (`ledgerIdentity(remote url, branch)`) */
  readonly location?: LedgerIdentity;
  /** the last verified head: history is audited after it, and its logs must still be prefixes */
  readonly witness?: TrustWitness;
  /** audit the history (default true) */
  readonly history?: boolean;
}

/** The trust audit of the ledger at `commit`: findings (never thrown) and each entry's status. */
export async function checkLedgerTrust(options: CheckLedgerTrustOptions): Promise<TrustAuditResult> {
  const { repoDir, commit, reportsDir } = options;
  const days = await readTrustDaysAt(repoDir, commit, reportsDir);
  const history =
    options.history === false
      ? undefined
      : await readTrustHistoryAt(repoDir, commit, reportsDir, options.witness?.commit);
  return auditLedgerTrust({
    days,
    policy: options.trust.policy,
    material: options.trust.material,
    ...(options.location === undefined ? {} : { location: options.location }),
    ...(history === undefined ? {} : { history }),
    ...(options.witness === undefined ? {} : { witness: options.witness }),
  });
}
