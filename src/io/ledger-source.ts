// What ingest reads: the ledger's day files at a commit, only those changed since the watermark
// commit when there is one (git diff), or every file of a plain directory.
import { DEFAULT_REPORTS_DIR } from '../core/ledger/entry.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { planLedgerLocation, type LedgerConfigSection } from '../core/ledger/location.js';
import { SlsaLedgerError, UnavailableError, isSlsaLedgerError } from '../errors.js';
import {
  fetchLedgerRef,
  findLedgerConfigFile,
  readLedgerConfigFile,
  resolveLedgerLocation,
} from './ledger-location.js';
import { checkAppendOnly, logSegmentOf } from '../core/ledger-trust/storage.js';
import { otherLimits } from '../core/input/limits.js';
import { GitObjectReader, hasCompleteHistory, isFirstParentAncestor, listTree, runGit } from './git.js';
import { NAMED_TWICE, pathsNamedTwice } from '../core/ledger/layout.js';
import {
  parseLedgerFiles,
  readLedgerAtCommit,
  readLedgerDirBounded,
  type LedgerFile,
  type RawLedgerFile,
  type RefusedLedgerFile,
} from './ledger-reader.js';

export interface LedgerChanges {
  /** the commit read, or null for a directory that is not a git repository */
  readonly commit: string | null;
  /** the day files to ingest, sorted by path */
  readonly files: readonly RawLedgerFile[];
  /** day files that were not read (a symlink, FIFO or device, over the byte limit), sorted by path */
  readonly refused: readonly RefusedLedgerFile[];
  /** every file was read (no usable watermark) */
  readonly full: boolean;
  /** why a watermark was not used, when it was given but unusable */
  readonly note?: string;
  /**
   * the watermark is not on `commit`'s first-parent history (a force-push; a complete clone without
   * it), or a signed log changed since it other than by appending (`note` says which): the history
   * was rewritten; nothing was read
   */
  readonly rewritten?: boolean;
  /**
   * why `commit`'s tree cannot be read as one ledger (a path under the reports folder named twice:
   * `<commit>:<path>` answers with one entry, a listing or a checkout with the other); nothing was read
   */
  readonly malformed?: string;
}

export interface ReadLedgerChangesOptions {
  /** a commit-ish; default HEAD */
  readonly ref?: string;
  /** the last ingested commit; files unchanged since it are skipped */
  readonly since?: string | null;
  /**
   * read every file even with a usable `since` (`ingest --reconcile`), which is still checked: a
   * watermark not on the head's first-parent history is `rewritten` and nothing is read
   */
  readonly readAll?: boolean;
  readonly reportsDir?: string;
}

export async function isGitRepo(dir: string): Promise<boolean> {
  const r = await runGit(['rev-parse', '--git-dir'], { cwd: dir, allowFailure: true }).catch(() => undefined);
  return r !== undefined && r.code === 0;
}

/**
 * Whether `commit`'s history left `watermark` behind (a force-push): the watermark is not on its
 * first-parent history, or a complete clone does not hold it at all (a clone holding the head's
 * whole history holds every commit that was ever on its first-parent line, so a watermark it lacks
 * was on a line a force-push threw away; a fresh clone never fetches it). Undefined when that
 * cannot be told: a shallow clone without the watermark, or a watermark that is not a commit id.
 */
export async function watermarkLeftBehind(
  repoDir: string,
  watermark: string,
  commit: string,
): Promise<boolean | undefined> {
  if (watermark === commit) return false;
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(watermark)) return undefined;
  if ((await commitOf(repoDir, watermark)) === undefined)
    return (await hasCompleteHistory(repoDir, commit)) ? true : undefined;
  return !(await isFirstParentAncestor(repoDir, watermark, commit));
}

async function commitOf(dir: string, ref: string): Promise<string | undefined> {
  if (ref.startsWith('-')) return undefined;
  const r = await runGit(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], {
    cwd: dir,
    allowFailure: true,
  });
  return r.code === 0 ? r.stdout.toString('utf8').trim() : undefined;
}

/**
 * The commit `ref` names in `repoDir` (default HEAD), or null when `repoDir` is not a git repository.
 * @throws SlsaLedgerError `USAGE_INVALID_FLAG` when `ref` names no commit
 */
export async function resolveLedgerCommit(repoDir: string, ref?: string): Promise<string | null> {
  if (!(await isGitRepo(repoDir))) {
    if (ref !== undefined) {
      throw refNeedsRepository(repoDir);
    }
    return null;
  }
  const commit = await commitOf(repoDir, ref ?? 'HEAD');
  if (commit === undefined) {
    throw new SlsaLedgerError(
      'USAGE_INVALID_FLAG',
      `--ref '${ref ?? 'HEAD'}' does not name a commit in ${repoDir}`,
      {
        details: { flag: 'ref', ref: ref ?? 'HEAD' },
      },
    );
  }
  return commit;
}

/**
 * The day files to ingest from `repoDir` at `ref`: those changed since `since` when it is a commit
 * of this repository, else all of them.
 * @throws SlsaLedgerError `USAGE_INVALID_FLAG` when `ref` names no commit; `LEDGER_GIT_FAILED`
 */
export async function readLedgerChanges(
  repoDir: string,
  options: ReadLedgerChangesOptions = {},
): Promise<LedgerChanges> {
  const reportsDir = (options.reportsDir ?? DEFAULT_REPORTS_DIR).replace(/^\.\//, '').replace(/\/+$/, '');
  if (!(await isGitRepo(repoDir))) {
    if (options.ref !== undefined) {
      throw refNeedsRepository(repoDir);
    }
    if (!existsSync(join(repoDir, reportsDir))) {
      throw new SlsaLedgerError(
        'LEDGER_NOT_FOUND',
        `${repoDir} is neither a git clone nor a folder holding a ledger (no ${reportsDir}/ in it)`,
        { details: { repo: repoDir, reportsDir } },
      );
    }
    const { files, refused } = await readLedgerDirBounded(repoDir, { reportsDir });
    return { commit: null, files, refused, full: true };
  }
  const ref = options.ref ?? 'HEAD';
  const commit = await commitOf(repoDir, ref);
  if (commit === undefined) {
    throw new SlsaLedgerError('USAGE_INVALID_FLAG', `--ref '${ref}' does not name a commit in ${repoDir}`, {
      details: { flag: 'ref', ref },
    });
  }
  // one ledger per commit: a reports folder whose tree names a path twice is refused whole, before
  // the witness reads a log by its path and the day files are read from the listing
  const listing = await listTree(repoDir, commit, reportsDir);
  const twice = pathsNamedTwice(listing.map((t) => t.path));
  if (twice.length > 0) {
    const more = twice.length > 1 ? ` (and ${twice.length - 1} more)` : '';
    return {
      commit,
      files: [],
      refused: [],
      full: false,
      malformed: `${twice[0]}${more} at ${commit.slice(0, 12)} is ${NAMED_TWICE}`,
    };
  }
  let changed: Set<string> | undefined;
  let note: string | undefined;
  const since = options.since ?? null;
  if (since !== null) {
    if (since === commit && options.readAll !== true) return { commit, files: [], refused: [], full: false };
    const left = await watermarkLeftBehind(repoDir, since, commit);
    if (left === true) return { commit, files: [], refused: [], full: false, rewritten: true };
    if (left === undefined) {
      // only a shallow clone cannot tell: it is read whole, as before
      note = `watermark ${since.slice(0, 12)} is not a commit of this shallow clone: reading every file`;
    } else {
      const diff = await runGit(
        ['diff', '--name-only', '-z', '--no-renames', since, commit, '--', reportsDir],
        {
          cwd: repoDir,
        },
      );
      const paths = diff.stdout.toString('utf8').split('\0').filter(Boolean);
      const rewrite = await logRewrittenSince(repoDir, since, commit, paths);
      if (rewrite !== undefined)
        return { commit, files: [], refused: [], full: false, rewritten: true, note: rewrite };
      if (options.readAll !== true) changed = new Set(paths);
    }
  }
  const { files, refused } = await readLedgerAtCommit(repoDir, commit, {
    reportsDir,
    listing,
    ...(changed === undefined ? {} : { only: changed }),
  });
  return {
    commit,
    files,
    refused,
    full: changed === undefined,
    ...(note === undefined ? {} : { note }),
  };
}

/**
 * The witness by content (issue 14 item 5): every signed log segment changed between the watermark
 * and the head must only have grown at its end. Ancestry alone lets a plain commit through that
 * cuts a log's last lines and puts its entry back to the earlier signed state (a verdict or a
 * status rolled back): the head pass would call that state `verified`. Returns why not, or
 * undefined. A segment over `ledgerLogBytes` is never read and counts as rewritten (a writer never
 * appends to a segment past `ledgerLogSegmentBytes`).
 */
async function logRewrittenSince(
  repoDir: string,
  since: string,
  commit: string,
  paths: readonly string[],
): Promise<string | undefined> {
  const logs = paths.filter((p) => logSegmentOf(p) !== undefined);
  if (logs.length === 0) return undefined;
  const reader = new GitObjectReader(repoDir);
  const text = async (rev: string, path: string): Promise<string | undefined | null> => {
    const o = await reader.readWithin(`${rev}:${path}`, otherLimits.ledgerLogBytes);
    if (o === undefined) return undefined;
    return 'tooLarge' in o ? null : o.bytes.toString('utf8');
  };
  try {
    for (const path of logs) {
      const before = await text(since, path);
      if (before === undefined) continue; // a new segment
      const after = await text(commit, path);
      if (before === null || after === null)
        return `${path} changed since the watermark ${since.slice(0, 12)} and is over the limit for signed logs`;
      const check = checkAppendOnly(before, after);
      if (!check.ok) return `${path} since the watermark ${since.slice(0, 12)}: ${check.reason}`;
    }
    return undefined;
  } finally {
    reader.close();
  }
}

/** What a read command reads: the clone's root, the commit, and where it came from. */
export interface LedgerReadTarget {
  /** the repository's root (work tree root, or the git dir of a bare repository) */
  readonly root: string;
  readonly gitDir: string;
  /** the commit read */
  readonly commit: string;
  /** the ref read: `--ref` as given, or the private ref the ledger branch was fetched into */
  readonly ref: string;
  /** how the commit was found, for messages: `origin/main (fetched)`, `--ref HEAD` */
  readonly label: string;
  readonly reportsDir: string;
  /** the remote and branch fetched (absent with `--ref` or a clone without remotes) */
  readonly location?: { readonly remote: string; readonly branch: string };
  /**
   * with `--ref` and `--branch` (and `--remote`, else `ledger.remote` or origin): the ledger the
   * ref is read as, for the statements' location check; nothing is fetched
   */
  readonly auditedAs?: { readonly remote: string; readonly branch: string };
}

export interface ResolveReadTargetOptions {
  /** a clone, or any folder inside it */
  readonly repoDir: string;
  /** read this commit-ish of the clone instead of fetching the ledger branch (e.g. `HEAD`) */
  readonly ref?: string;
  readonly remote?: string;
  readonly branch?: string;
  readonly reportsDir?: string;
  /** the working directory, for its `.slsa-ledger.yml` */
  readonly cwd?: string;
}

const READ_HINT = 'pass --ref HEAD to read the local clone as it is, or check the remote (git remote -v)';

/**
 * The repository root of any folder inside a clone.
 * @throws `LEDGER_NOT_FOUND` (exit 3) when `dir` is not inside a git repository
 */
export async function repositoryRoot(dir: string): Promise<{ root: string; gitDir: string }> {
  const probe = await runGit(['rev-parse', '--is-bare-repository', '--absolute-git-dir'], {
    cwd: dir,
    allowFailure: true,
  }).catch(() => undefined);
  if (probe === undefined || probe.code !== 0) {
    throw new SlsaLedgerError(
      'LEDGER_NOT_FOUND',
      `${dir} is not a git repository holding a ledger (pass --repo CLONE)`,
      { details: { repo: dir } },
    );
  }
  const [bare = '', gitDir = ''] = probe.stdout.toString('utf8').trim().split('\n');
  if (bare === 'true') return { root: gitDir, gitDir };
  const top = await runGit(['rev-parse', '--show-toplevel'], { cwd: dir });
  return { root: top.stdout.toString('utf8').trim(), gitDir };
}

async function configSection(
  root: string,
  cwd: string | undefined,
): Promise<LedgerConfigSection | undefined> {
  const file = findLedgerConfigFile(root, cwd);
  return file === undefined ? undefined : readLedgerConfigFile(file);
}

/**
 * Where a read command reads (issue 13 item 1): by default the remote's ledger branch (flags, then
 * `.slsa-ledger.yml` `ledger:`, then the remote's default branch), fetched into a private ref
 * right now, so what `record` just pushed is what is read; `ref` reads that commit-ish of the
 * clone instead, without fetching. A clone without any remote is read at `HEAD`.
 * @throws `LEDGER_NOT_FOUND` (exit 3: not a git repository; the ledger branch does not exist),
 *   `LEDGER_REMOTE_UNAVAILABLE` (exit 5, `details.hint`), `LEDGER_REPO_INVALID` (unknown ref or
 *   remote), `CONFIG_INVALID`, `LEDGER_BRANCH_UNKNOWN`
 */
export async function resolveReadTarget(options: ResolveReadTargetOptions): Promise<LedgerReadTarget> {
  const { root, gitDir } = await repositoryRoot(options.repoDir);
  const section = await configSection(root, options.cwd);
  const plan = planLedgerLocation(
    { remote: options.remote, branch: options.branch, reportsDir: options.reportsDir },
    section,
  );
  const reportsDir = plan.reportsDir;
  const explicit = options.ref;
  let useRef = explicit;
  if (useRef === undefined && options.remote === undefined && section?.remote === undefined) {
    const remotes = await runGit(['remote'], { cwd: root, allowFailure: true });
    if (remotes.stdout.toString('utf8').trim() === '') useRef = 'HEAD'; // nothing to fetch from
  }
  if (useRef !== undefined) {
    const commit = await commitOf(root, useRef);
    if (commit === undefined) {
      throw new SlsaLedgerError(
        'LEDGER_REPO_INVALID',
        `--ref '${useRef}' does not name a commit in ${root}`,
        {
          details: { repo: root, ref: useRef },
        },
      );
    }
    return {
      root,
      gitDir,
      commit,
      ref: useRef,
      label: explicit === undefined ? `${useRef} (the clone has no remote)` : `--ref ${useRef}`,
      reportsDir,
      ...(explicit !== undefined && options.branch !== undefined
        ? { auditedAs: { remote: plan.remote, branch: options.branch } }
        : {}),
    };
  }
  let location;
  let fetched;
  try {
    location = await resolveLedgerLocation({
      repoDir: root,
      flags: { remote: options.remote, branch: options.branch, reportsDir: options.reportsDir },
      config: section ?? null,
    });
    fetched = await fetchLedgerRef(root, location);
  } catch (error) {
    if (isSlsaLedgerError(error) && error.code === 'LEDGER_REMOTE_UNAVAILABLE') {
      throw new UnavailableError('LEDGER_REMOTE_UNAVAILABLE', `${error.message} (${READ_HINT})`, {
        cause: error,
        details: { ...(error.details ?? {}), hint: READ_HINT },
      });
    }
    throw error;
  }
  if (fetched.commit === undefined) {
    throw new SlsaLedgerError(
      'LEDGER_NOT_FOUND',
      `remote '${location.remote}' has no branch '${location.branch}': there is no ledger to read yet (pass --branch, or --ref HEAD for the local clone)`,
      { details: { repo: root, remote: location.remote, branch: location.branch } },
    );
  }
  return {
    root,
    gitDir,
    commit: fetched.commit,
    ref: fetched.ref,
    label: `${location.remote}/${location.branch} (fetched)`,
    reportsDir: location.reportsDir,
    location: { remote: location.remote, branch: location.branch },
  };
}

/**
 * Refuses a commit that holds no ledger: nothing under the reports folder and no commit up to it
 * that ever wrote there (`check` decides the same from its history). A read command given a
 * repository that is not a ledger fails, never reports an empty success (issue 13 item 1).
 * @throws `LEDGER_NOT_FOUND` (exit 3)
 */
export async function assertLedgerAt(target: LedgerReadTarget): Promise<void> {
  const { root, commit, reportsDir, label } = target;
  const last = await runGit(['log', '-1', '--format=%H', commit, '--', reportsDir], { cwd: root });
  if (last.stdout.toString('utf8').trim() !== '') return;
  throw new SlsaLedgerError(
    'LEDGER_NOT_FOUND',
    `no ledger at ${label} (${commit.slice(0, 12)}) of ${root}: nothing under ${reportsDir}/ and no commit ever wrote there (check --repo, --ref, --reports-dir)`,
    {
      details: {
        repo: root,
        commit,
        reportsDir,
        // read from the remote's ledger branch (not --ref): `ingest` tells a ledger not written yet
        ...(target.location === undefined
          ? {}
          : { remote: target.location.remote, branch: target.location.branch }),
      },
    },
  );
}

/**
 * Every entry of the ledger for a read command that wants all of it (`validate --repo`): a clone is
 * read at its remote's ledger branch, fetched now (or at `ref`); a plain folder holding a ledger is
 * read from its files, bounded (symlinks, FIFOs and devices refused without blocking).
 * @throws `LEDGER_NOT_FOUND` (exit 3), `LEDGER_MANIFEST_INVALID`, `INPUT_FILE_NOT_REGULAR`,
 *   `INPUT_TOO_LARGE`, `LEDGER_REMOTE_UNAVAILABLE` (exit 5)
 */
export async function readLedgerForRead(
  repoDir: string,
  options: Omit<ResolveReadTargetOptions, 'repoDir'> = {},
): Promise<{ files: LedgerFile[]; commit: string | null; label: string }> {
  if (!(await isGitRepo(repoDir))) {
    if (options.ref !== undefined) {
      throw refNeedsRepository(repoDir);
    }
    const changes = await readLedgerChanges(repoDir, {
      ...(options.reportsDir === undefined ? {} : { reportsDir: options.reportsDir }),
    });
    const first = changes.refused[0];
    if (first !== undefined) {
      throw new SlsaLedgerError(first.code, first.message, { details: { path: first.path } });
    }
    return { files: parseLedgerFiles(changes.files), commit: null, label: repoDir };
  }
  const target = await resolveReadTarget({ ...options, repoDir });
  await assertLedgerAt(target);
  const read = await readLedgerAtCommit(target.root, target.commit, { reportsDir: target.reportsDir });
  const first = read.refused[0];
  if (first !== undefined) {
    throw new SlsaLedgerError(first.code, first.message, { details: { path: first.path } });
  }
  return { files: parseLedgerFiles(read.files), commit: target.commit, label: target.label };
}

/**
 * Every commit on the first-parent history of `commit` (newest first): the commits a watermark of
 * this ledger can be, for recognising the ledger under another name (a renamed repository).
 * @throws SlsaLedgerError `LEDGER_GIT_FAILED`
 */
export async function listFirstParentCommits(repoDir: string, commit: string): Promise<string[]> {
  const out = await runGit(['rev-list', '--first-parent', commit], { cwd: repoDir });
  return out.stdout
    .toString('utf8')
    .split('\n')
    .filter((line) => /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(line));
}

function refNeedsRepository(repoDir: string): SlsaLedgerError {
  return new SlsaLedgerError(
    'USAGE_INVALID_FLAG',
    `--ref needs a git repository, and ${repoDir} is not one`,
    {
      details: { flag: 'ref', repo: repoDir },
    },
  );
}
