// Where the ledger is, resolved against the real clone and remote: flags, then the `ledger:`
// section of `.slsa-ledger.yml` (the working directory's, else the clone's: `findLedgerConfigFile`), then
// `origin` and the remote's own default branch (`git ls-remote --symref <remote> HEAD`).
// Used by every writer (`record`, `flush`, `validate --record`) and by the read commands.
import { resolve } from 'node:path';
import {
  parseLedgerConfigSection,
  parseSymrefHead,
  planLedgerLocation,
  readerTrackingRef,
  type LedgerConfigSection,
  type LedgerLocation,
  type LedgerLocationFlags,
} from '../core/ledger/location.js';
import { UnavailableError, UsageError } from '../errors.js';
import { CONFIG_FILE_NAME, configSection, findConfigFileFrom, readConfigFile } from './config-file.js';
import { fetchForcedInto, lsRemoteHead, remoteHeadOfClone } from './git-ledger-repo.js';

export type { LedgerLocation, LedgerLocationFlags, LedgerConfigSection } from '../core/ledger/location.js';

export { CONFIG_FILE_NAME, findConfigFileFrom };

/**
 * The `.slsa-ledger.yml` that says where the ledger is: the working directory's (the operator's
 * own, e.g. the default branch's checkout in the shipped workflows), else the `--repo` clone's.
 * The working directory's wins because `--repo` may be a checkout of the ledger branch itself (the
 * shipped `ledger-check.yml`, `manifest-ingest.yml` and `provenance-validate.yml` pass such a
 * worktree): anyone who can push to that branch could otherwise add a `.slsa-ledger.yml` there
 * naming another branch or reports folder, and `check` and `ingest` would read a decoy.
 */
export function findLedgerConfigFile(repoDir: string, cwd: string | undefined): string | undefined {
  return (cwd === undefined ? undefined : findConfigFileFrom(cwd)) ?? findConfigFileFrom(repoDir);
}

/**
 * Reads the `ledger:` section of a config file (bounded YAML, duplicate keys refused).
 * @throws SlsaLedgerError `CONFIG_INVALID`, the INPUT_FILE_* codes
 */
export async function readLedgerConfigFile(path: string): Promise<LedgerConfigSection | undefined> {
  return parseLedgerConfigSection(configSection(await readConfigFile(path), 'ledger'), path);
}

export interface ResolveLedgerLocationOptions {
  /** a clone of the ledger repository (any directory inside it) */
  readonly repoDir: string;
  /** the working directory; its `.slsa-ledger.yml` wins over the clone's (`findLedgerConfigFile`) */
  readonly cwd?: string;
  /** flags / library options; undefined fields were not given */
  readonly flags?: LedgerLocationFlags;
  /**
   * the `ledger:` section already read; `null` reads no config file; undefined looks for
   * `.slsa-ledger.yml` above `cwd`, then in the clone
   */
  readonly config?: LedgerConfigSection | null;
}

export interface ResolvedLedgerLocation extends LedgerLocation {
  /** `ledger.clock_skew` of the config file, when set */
  readonly clockSkewS?: number;
}

async function loadSection(
  options: ResolveLedgerLocationOptions,
): Promise<{ section: LedgerConfigSection | undefined; file?: string }> {
  if (options.config === null) return { section: undefined };
  if (options.config !== undefined) return { section: options.config };
  const file = findLedgerConfigFile(options.repoDir, options.cwd);
  if (file === undefined) return { section: undefined };
  return { section: await readLedgerConfigFile(file), file };
}

const REMOTE_HINT =
  'check the remote URL (git remote -v), the network and the credentials (GITHUB_TOKEN), or pass --remote NAME';

/**
 * Asks the remote for its default branch.
 * @throws `LEDGER_REPO_INVALID` (no such remote), `LEDGER_REMOTE_UNAVAILABLE` (exit 5, with
 *   `details.hint`), `LEDGER_BRANCH_UNKNOWN` (the remote has no default branch: pass --branch)
 */
export async function remoteDefaultBranch(repoDir: string, remote: string): Promise<string> {
  const out = await lsRemoteHead(repoDir, remote);
  if (!out.ok) {
    if (out.remotes === undefined) {
      throw new UsageError('LEDGER_REPO_INVALID', `${repoDir} is not a git clone (pass --repo DIR)`, {
        details: { repo: repoDir },
      });
    }
    if (!out.remotes.includes(remote)) {
      throw new UsageError(
        'LEDGER_REPO_INVALID',
        `${repoDir} has no remote '${remote}' (pass --remote NAME)`,
        {
          details: { repo: repoDir, remote },
        },
      );
    }
    const lines = out.stderr
      .split('\n')
      .map((l) => l.replace(/^fatal:\s*/, '').trim())
      .filter((l) => l !== '');
    throw new UnavailableError(
      'LEDGER_REMOTE_UNAVAILABLE',
      `cannot reach remote '${remote}' to find its default branch: ${lines[0] ?? 'unknown error'}`,
      { details: { remote, hint: REMOTE_HINT, stderr: out.stderr.slice(0, 2000) } },
    );
  }
  const branch = parseSymrefHead(out.stdout);
  if (branch === undefined) {
    throw new UsageError(
      'LEDGER_BRANCH_UNKNOWN',
      `remote '${remote}' has no default branch (empty repository?): pass --branch NAME or set ledger.branch in ${CONFIG_FILE_NAME}`,
      { details: { remote } },
    );
  }
  return branch;
}

/** The location before the branch is known: flags and the config file (no git call). */
export interface PlannedLedgerLocation {
  readonly remote: string;
  /** undefined: the remote's default branch */
  readonly branch: string | undefined;
  readonly reportsDir: string;
  readonly source: LedgerLocation['source'];
  readonly configFile?: string;
  readonly clockSkewS?: number;
}

/**
 * Flags, then the `ledger:` section of the config file: everything but the remote's default branch.
 * @throws `CONFIG_INVALID`, `LEDGER_REPO_INVALID`
 */
export async function planLocation(options: ResolveLedgerLocationOptions): Promise<PlannedLedgerLocation> {
  const { section, file } = await loadSection({ ...options, repoDir: resolve(options.repoDir) });
  const plan = planLedgerLocation(options.flags ?? {}, section);
  return {
    remote: plan.remote,
    branch: plan.branch,
    reportsDir: plan.reportsDir,
    source: plan.source,
    ...(file === undefined ? {} : { configFile: file }),
    ...(section?.clock_skew === undefined ? {} : { clockSkewS: section.clock_skew }),
  };
}

/**
 * For the writers: the remote's default branch, or — when the remote cannot be reached — the one
 * the clone knows (`refs/remotes/<remote>/HEAD`, set by `git clone`), so the entry is queued where
 * it belongs instead of lost. `from` says which (only an answer of the remote is worth caching).
 * @throws as `remoteDefaultBranch` when the clone knows none either
 */
export async function writerDefaultBranch(
  repoDir: string,
  remote: string,
): Promise<{ readonly branch: string; readonly from: 'remote' | 'clone' }> {
  try {
    return { branch: await remoteDefaultBranch(repoDir, remote), from: 'remote' };
  } catch (error) {
    if (!(error instanceof UnavailableError)) throw error;
    const known = await remoteHeadOfClone(repoDir, remote);
    if (known === undefined) throw error;
    return { branch: known, from: 'clone' };
  }
}

/**
 * Where the ledger is: `{remote, branch, reportsDir, source}`. The remote is asked only when no
 * flag and no config names the branch.
 * @throws `CONFIG_INVALID`, `LEDGER_REPO_INVALID`, `LEDGER_REMOTE_UNAVAILABLE`, `LEDGER_BRANCH_UNKNOWN`
 */
export async function resolveLedgerLocation(
  options: ResolveLedgerLocationOptions,
): Promise<ResolvedLedgerLocation> {
  const repoDir = resolve(options.repoDir);
  const planned = await planLocation(options);
  const branch = planned.branch ?? (await remoteDefaultBranch(repoDir, planned.remote));
  return { ...planned, branch };
}

export interface FetchedLedgerRef {
  /** the private ref the branch was fetched into (`refs/slsa-ledger-read/<remote>/<branch>`) */
  readonly ref: string;
  /** its commit; undefined when the remote has no such branch (an empty ledger) */
  readonly commit: string | undefined;
}

/**
 * For the read commands: fetches the ledger branch into a private ref (forced, so a rewritten
 * history is seen and can be reported) and returns the ref and its commit. The user's branches,
 * remote-tracking refs, index and working tree do not change.
 * @throws `LEDGER_REMOTE_UNAVAILABLE` (exit 5, `details.hint`)
 */
export async function fetchLedgerRef(repoDir: string, location: LedgerLocation): Promise<FetchedLedgerRef> {
  const ref = readerTrackingRef(location.remote, location.branch);
  const out = await fetchForcedInto(repoDir, location.remote, location.branch, ref);
  if (!out.ok) {
    const last = out.stderr.trim().split('\n').pop() ?? 'unknown error';
    throw new UnavailableError(
      'LEDGER_REMOTE_UNAVAILABLE',
      `cannot fetch ${location.branch} from ${location.remote}: ${last.toLowerCase()}`,
      { details: { remote: location.remote, branch: location.branch, hint: REMOTE_HINT } },
    );
  }
  return { ref, commit: out.commit };
}
