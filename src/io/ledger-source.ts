// What ingest reads: the ledger's day files at a commit, only those changed since the watermark
// commit when there is one (git diff), or every file of a plain directory.
import { DEFAULT_REPORTS_DIR } from '../core/ledger/entry.js';
import { SlsaLedgerError } from '../errors.js';
import { runGit } from './git.js';
import {
  readLedgerAtCommit,
  readLedgerDirBounded,
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
   * the watermark is a commit of this repository but not an ancestor of `commit`: the history was
   * rewritten (a force-push); nothing was read
   */
  readonly rewritten?: boolean;
}

export interface ReadLedgerChangesOptions {
  /** a commit-ish; default HEAD */
  readonly ref?: string;
  /** the last ingested commit; files unchanged since it are skipped */
  readonly since?: string | null;
  readonly reportsDir?: string;
}

async function isGitRepo(dir: string): Promise<boolean> {
  const r = await runGit(['rev-parse', '--git-dir'], { cwd: dir, allowFailure: true }).catch(() => undefined);
  return r !== undefined && r.code === 0;
}

/** `git merge-base --is-ancestor`: true when `ancestor` is `commit` or one of its ancestors. */
export async function isAncestor(dir: string, ancestor: string, commit: string): Promise<boolean> {
  const r = await runGit(['merge-base', '--is-ancestor', ancestor, commit], { cwd: dir, allowFailure: true });
  return r.code === 0;
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
      throw new SlsaLedgerError(
        'USAGE_INVALID_FLAG',
        `--ref needs a git repository, and ${repoDir} is not one`,
        {
          details: { flag: 'ref', repo: repoDir },
        },
      );
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
      throw new SlsaLedgerError(
        'USAGE_INVALID_FLAG',
        `--ref needs a git repository, and ${repoDir} is not one`,
        {
          details: { flag: 'ref', repo: repoDir },
        },
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
  let changed: Set<string> | undefined;
  let note: string | undefined;
  const since = options.since ?? null;
  if (since !== null) {
    if (since === commit) return { commit, files: [], refused: [], full: false };
    const known = /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(since) ? await commitOf(repoDir, since) : undefined;
    if (known === undefined) {
      note = `watermark ${since.slice(0, 12)} is not a commit of this repository: reading every file`;
    } else if (!(await isAncestor(repoDir, known, commit))) {
      return { commit, files: [], refused: [], full: false, rewritten: true };
    } else {
      const diff = await runGit(
        ['diff', '--name-only', '-z', '--no-renames', since, commit, '--', reportsDir],
        {
          cwd: repoDir,
        },
      );
      changed = new Set(diff.stdout.toString('utf8').split('\0').filter(Boolean));
    }
  }
  const { files, refused } = await readLedgerAtCommit(repoDir, commit, {
    reportsDir,
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
