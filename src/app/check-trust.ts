// Who wrote what (issue 14 item 4, docs/trust.md "What check verifies"): the trust audit of a ledger
// commit under the checker's policy. `check` calls `checkLedgerTrust` once; `ingest` calls
// `ledgerSignatureStatuses`. The policy comes from the checker's own `.slsa-ledger.yml` (never from
// the ledger ref being checked) or `--trust-key PUB`.
import {
  auditLedgerTrust,
  auditLedgerTrustChunked,
  type TrustAuditResult,
  type TrustFinding,
  type TrustWitness,
} from '../core/ledger-trust/audit.js';
import { resolve } from 'node:path';
import type { Logger } from '../core/ports.js';
import { isFirstParentAncestor, runGit, symbolicFullName } from '../io/git.js';
import { findConfigFileFrom } from '../io/ledger-location.js';
import { readTrustDaysAt, readTrustHistoryChunks, readTrustWitnessAt } from '../io/ledger-trust-reader.js';
import { loadLedgerTrust, type LedgerTrust } from '../io/trust-policy-file.js';
import { ledgerIdentity, type LedgerIdentity } from './ledger-signing.js';

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
  const input = {
    days,
    policy: options.trust.policy,
    material: options.trust.material,
    ...(options.location === undefined ? {} : { location: options.location }),
    ...(options.witness === undefined ? {} : { witness: options.witness }),
  };
  return options.history === false
    ? auditLedgerTrust(input)
    : auditLedgerTrustChunked(
        input,
        readTrustHistoryChunks(repoDir, commit, reportsDir, options.witness?.commit),
      );
}

/**
 * The ledger a ref belongs to, when the ref names it: `refs/remotes/<remote>/<branch>`, the readers'
 * `refs/slsa-ledger-read/<remote>/<branch>`, or a local branch tracking a remote one. Undefined
 * otherwise (statements are then not checked against a ledger location).
 */
export async function ledgerIdentityOfRef(repoDir: string, ref: string): Promise<LedgerIdentity | undefined> {
  const git = async (args: string[]): Promise<string | undefined> => {
    const r = await runGit(args, { cwd: repoDir, allowFailure: true });
    const out = r.stdout.toString('utf8').trim();
    return r.code === 0 && out !== '' ? out : undefined;
  };
  const full = await symbolicFullName(repoDir, ref);
  if (full === undefined) return undefined;
  let remote: string | undefined;
  let branch: string | undefined;
  const m = /^refs\/(?:remotes|slsa-ledger-read|slsa-ledger)\/([^/]+)\/(.+)$/.exec(full);
  if (m !== null) {
    remote = m[1];
    branch = m[2];
  } else if (full.startsWith('refs/heads/')) {
    const local = full.slice('refs/heads/'.length);
    remote = await git(['config', '--get', `branch.${local}.remote`]);
    const merge = await git(['config', '--get', `branch.${local}.merge`]);
    branch = merge?.replace(/^refs\/heads\//, '');
  }
  if (remote === undefined || branch === undefined || !/^[A-Za-z0-9._-]+$/.test(remote)) return undefined;
  const url = await git(['remote', 'get-url', remote]);
  if (url === undefined) return undefined;
  const isLocal = !/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !/^[^/]+:/.test(url);
  return ledgerIdentity(isLocal ? resolve(repoDir, url) : url, branch);
}

export interface TrustFindingsOptions {
  readonly repoDir: string;
  readonly ref: string;
  readonly commit: string;
  readonly reportsDir: string;
  readonly trust: LedgerTrust;
  /** the head verified before (check's witness): history after it, and its logs must still be prefixes */
  readonly witnessCommit?: string | null;
  readonly logger?: Logger;
}

/** `check`'s one call: the trust findings of the ledger at `commit`. */
export async function checkTrustFindings(options: TrustFindingsOptions): Promise<TrustFinding[]> {
  const { repoDir, commit, reportsDir } = options;
  const location = await ledgerIdentityOfRef(repoDir, options.ref);
  if (location === undefined)
    options.logger?.info(
      `trust: ${options.ref} names no remote branch; statements are not checked against a ledger location`,
    );
  let witness: TrustWitness | undefined;
  const previous = options.witnessCommit ?? undefined;
  if (previous !== undefined && previous !== commit) {
    const known = await runGit(['cat-file', '-e', `${previous}^{commit}`], {
      cwd: repoDir,
      allowFailure: true,
    });
    if (known.code === 0) witness = await readTrustWitnessAt(repoDir, previous, reportsDir);
  }
  const descends = witness !== undefined && (await isFirstParentAncestor(repoDir, witness.commit, commit));
  const days = await readTrustDaysAt(repoDir, commit, reportsDir);
  // after a verified head that still is an ancestor, only the commits since; else all of history
  const result = await auditLedgerTrustChunked(
    {
      days,
      policy: options.trust.policy,
      material: options.trust.material,
      ...(location === undefined ? {} : { location }),
      ...(witness === undefined ? {} : { witness }),
    },
    readTrustHistoryChunks(repoDir, commit, reportsDir, descends ? witness!.commit : undefined),
  );
  return [...result.findings];
}
