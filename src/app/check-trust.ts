// Who wrote what (issue 14 item 4, docs/trust.md "What check verifies"): the trust audit of a ledger
// commit under the checker's policy. `check` calls `checkTrustFindings` once (through
// `checkLedgerTrust`); `ingest` computes `signature_status` from the same reader. The ledger is read
// and audited in groups of days (`ledgerLogsReadBytes`), so a ledger of any size is audited whole
// while memory holds one group. The policy comes from the checker's own `.slsa-ledger.yml` (never from
// the ledger ref being checked) or `--trust-key PUB`.
import {
  auditLedgerHistoryStreamed,
  auditLedgerTrustStreamed,
  type TrustAuditResult,
  type TrustFinding,
} from '../core/ledger-trust/audit.js';
import type { LogRewrite } from '../core/ingest/accept-rewrites.js';
import { logSegmentOf } from '../core/ledger-trust/storage.js';
import { resolve } from 'node:path';
import type { Logger } from '../core/ports.js';
import { isFirstParentAncestor, runGit, symbolicFullName } from '../io/git.js';
import { findConfigFileFrom } from '../io/ledger-location.js';
import {
  listTrustDaysAt,
  readTrustDayGroups,
  readTrustHistoryChunks,
  readTrustLogGroups,
} from '../io/ledger-trust-reader.js';
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
  /**
   * the last verified head: its logs must still be prefixes of the audited ones, and the history
   * replay starts from them (read from git at that commit, group by group)
   */
  readonly witnessCommit?: string;
  /** audit the history after this commit only (an ancestor of `commit`); default: all of it */
  readonly historySince?: string;
  /** audit the history (default true) */
  readonly history?: boolean;
}

/** The trust audit of the ledger at `commit`: findings (never thrown) and each entry's status. */
export async function checkLedgerTrust(options: CheckLedgerTrustOptions): Promise<TrustAuditResult> {
  const { repoDir, commit, reportsDir, witnessCommit } = options;
  const head = await listTrustDaysAt(repoDir, commit, reportsDir);
  const witness =
    witnessCommit === undefined ? undefined : await listTrustDaysAt(repoDir, witnessCommit, reportsDir);
  return auditLedgerTrustStreamed(
    {
      policy: options.trust.policy,
      material: options.trust.material,
      ...(options.location === undefined ? {} : { location: options.location }),
      ...(witnessCommit === undefined ? {} : { witnessCommit }),
    },
    {
      ...(witness === undefined ? {} : { witnessLogs: readTrustLogGroups(repoDir, witness) }),
      ...(options.history === false
        ? {}
        : { history: readTrustHistoryChunks(repoDir, commit, reportsDir, options.historySince) }),
      days: readTrustDayGroups(repoDir, head, witness === undefined ? {} : { witness }),
    },
  );
}

/**
 * The ledger a ref belongs to, when the ref names it: `refs/remotes/<remote>/<branch>`, the readers'
 * `refs/slsa-ledger-read/<remote>/<branch>`, or a local branch tracking a remote one. Undefined
 * otherwise (statements are then not checked against a ledger location).
 */
export async function ledgerIdentityOfRef(repoDir: string, ref: string): Promise<LedgerIdentity | undefined> {
  const git = gitValue(repoDir);
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
  if (remote === undefined || branch === undefined) return undefined;
  return ledgerIdentityOfRemote(repoDir, remote, branch);
}

/** One git value of the clone (trimmed stdout), undefined when git fails or prints nothing. */
const gitValue =
  (repoDir: string) =>
  async (args: string[]): Promise<string | undefined> => {
    const r = await runGit(args, { cwd: repoDir, allowFailure: true });
    const out = r.stdout.toString('utf8').trim();
    return r.code === 0 && out !== '' ? out : undefined;
  };

/**
 * The ledger `branch` of the clone's remote `remote` (its URL from the clone's config, a local path
 * resolved against the clone): what the statements of that ledger name. Undefined when the clone
 * has no such remote.
 */
export async function ledgerIdentityOfRemote(
  repoDir: string,
  remote: string,
  branch: string,
): Promise<LedgerIdentity | undefined> {
  if (!/^[A-Za-z0-9._-]+$/.test(remote)) return undefined;
  const url = await gitValue(repoDir)(['remote', 'get-url', remote]);
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
  /**
   * the head last audited under this same policy (check's witness, `trusted`): history after it,
   * and its logs must still be prefixes; none (a first audit, another policy, or only checks without
   * a policy since): the whole history
   */
  readonly witnessCommit?: string | null;
  /**
   * the ledger `ref` is audited as (`check --ref REF --branch B [--remote R]`): the statements must
   * name it, whatever branch the ref itself tracks
   */
  readonly auditedAs?: LedgerIdentity;
  readonly logger?: Logger;
}

/** `check`'s one call: the trust findings of the ledger at `commit`. */
export async function checkTrustFindings(options: TrustFindingsOptions): Promise<TrustFinding[]> {
  const { repoDir, commit, reportsDir } = options;
  const location = options.auditedAs ?? (await ledgerIdentityOfRef(repoDir, options.ref));
  if (location === undefined)
    options.logger?.info(
      `trust: ${options.ref} names no remote branch; statements are not checked against a ledger location (name the ledger with --branch and --remote)`,
    );
  let witnessCommit: string | undefined;
  const previous = options.witnessCommit ?? undefined;
  if (previous !== undefined && previous !== commit) {
    const known = await runGit(['cat-file', '-e', `${previous}^{commit}`], {
      cwd: repoDir,
      allowFailure: true,
    });
    if (known.code === 0) witnessCommit = previous;
  }
  const descends =
    witnessCommit !== undefined && (await isFirstParentAncestor(repoDir, witnessCommit, commit));
  // after a verified head that still is an ancestor, only the commits since; else all of history
  const result = await checkLedgerTrust({
    repoDir,
    commit,
    reportsDir,
    trust: options.trust,
    ...(location === undefined ? {} : { location }),
    ...(witnessCommit === undefined ? {} : { witnessCommit }),
    ...(descends && witnessCommit !== undefined ? { historySince: witnessCommit } : {}),
  });
  return [...result.findings];
}

/**
 * Where a signed log of the ledger at `commit` did not only grow over its whole first-parent
 * history: `check`'s history replay (streamed in chunks, so memory holds one chunk however long the
 * history), keeping its findings about logs (a segment rewritten, cut, removed, or appended to after
 * a later one was written). `ingest` runs it when it has no watermark to compare with (a first or
 * `--full` read): a log cut in an earlier commit and its run put back to an earlier signed state
 * reads as verified at the head. No policy is needed: nothing is verified, only compared. Each
 * rewrite names the commit that made it (what `ingest --accept-rewrite` acknowledges).
 */
export async function findLogRewrites(
  repoDir: string,
  commit: string,
  reportsDir: string,
): Promise<LogRewrite[]> {
  const findings = await auditLedgerHistoryStreamed(readTrustHistoryChunks(repoDir, commit, reportsDir));
  const rewrites: LogRewrite[] = [];
  for (const f of findings) {
    // the replay names the commit of every change it compares (`ingest --accept-rewrite` takes it)
    if (f.code !== 'CHECK_HISTORY_REWRITTEN' || f.path === undefined || f.commit === undefined) continue;
    if (logSegmentOf(f.path) === undefined) continue;
    rewrites.push({ commit: f.commit, path: f.path, message: f.message });
  }
  return rewrites;
}
