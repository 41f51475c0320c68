// The ledger's git repository: fetch the remote branch into a private ref, read the ledger at a
// commit, build a commit on top of the fetched head with a temporary index (the user's working
// tree, index and branches are never touched), push it and classify the answer.
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { limits, otherLimits } from '../core/input/limits.js';
import { parseJson } from '../core/input/strict-json.js';
import { DEFAULT_REPORTS_DIR, manifestDayOf } from '../core/ledger/entry.js';
import { logSegmentOf, type LogKind } from '../core/ledger-trust/storage.js';
import { branchNameProblem } from '../core/ledger/location.js';
import type { Logger } from '../core/ports.js';
import { isSlsaLedgerError, SlsaLedgerError, UnavailableError, UsageError } from '../errors.js';
import { CONFIG_LIST_ARGS, revParseArgs } from './clone-probe.js';
import { readInputFile, writeFileAtomic } from './files.js';
import {
  GitObjectReader,
  gitText,
  isFirstParentAncestor,
  runGit,
  scrubCredentials,
  startGitFedLater,
  takeObjectReader,
  type GitFedLater,
  type GitOutput,
} from './git.js';
import { editTreeBody, findInTree, listTree, writeLooseObject } from './git-objects.js';

/** A blob read within a bound: its bytes, or only its size when it is over the bound. */
export interface BoundedBlob {
  readonly size: number;
  /** undefined when the blob is larger than the bound (never read) */
  readonly bytes: Buffer | undefined;
}

import { readLedgerFromCommit, type LedgerFile } from './ledger-reader.js';

/** What the remote said to a push. */
export type PublishOutcome =
  | { readonly kind: 'landed' }
  | { readonly kind: 'non-fast-forward' }
  | { readonly kind: 'refused'; readonly reason: string };

export interface PublishRequest {
  readonly repo: GitLedgerRepo;
  /** the commit to publish; its parent is `parent` */
  readonly commit: string;
  readonly parent: string | undefined;
  readonly branch: string;
  /** the entry's key, for publishers that name branches after it (e.g. `provenance/<tag>-<run_id>`) */
  readonly tag: string;
  readonly runId: number;
  readonly manifestPath: string;
}

/** The swappable push step of `record` and `flush`: a direct push (default) or a pull request. */
export interface Publisher {
  publish(request: PublishRequest): Promise<PublishOutcome>;
}

/**
 * The read-after-write's two git processes started while the push runs (`prepareOwnFastForward`):
 * the checkout of `commit`'s paths (`restore --source`) and the compare-and-swap of `branch`
 * from `parent` to `commit` (`update-ref --stdin`).
 */
export interface PreparedFastForward {
  readonly branch: string;
  readonly parent: string;
  readonly commit: string;
  readonly checkout: GitFedLater;
  readonly move: GitFedLater;
  /** both processes read an empty input and change nothing (idempotent; nothing once fed) */
  cancel(): void;
}

/** A day file's blob at a commit, before it is read. */
export interface DayBlob {
  readonly path: string;
  readonly oid: string;
  /** `100644`, `100755`; `120000` is a symlink, `160000` a submodule */
  readonly mode: string;
  readonly type: string;
  readonly size: number;
}

/** The error of a rewritten ledger branch (the caller queues the entry and raises the alert). */
export function historyRewritten(
  remote: string,
  branch: string,
  lastSeen: string | undefined,
  head: string | undefined,
): SlsaLedgerError {
  return new SlsaLedgerError(
    'LEDGER_HISTORY_REWRITTEN',
    `the history of ${remote}/${branch} was rewritten: ${head === undefined ? 'the remote branch' : `its head ${head.slice(0, 12)}`} does not descend from ${lastSeen === undefined ? 'the head this clone saw before' : lastSeen.slice(0, 12)}, the last head this clone saw; nothing is written on top of it`,
    { details: { remote, branch, last_seen: lastSeen ?? null, head: head ?? null } },
  );
}

/** A file to write (bytes) or delete (null) in a commit. */
export interface CommitFile {
  readonly path: string;
  readonly bytes: Uint8Array | null;
}

export interface GitLedgerRepoOptions {
  /** a clone of the ledger repository (any directory inside its work tree, or a bare repository) */
  readonly repoDir: string;
  readonly remote?: string;
  readonly reportsDir?: string;
  readonly logger?: Logger;
}

/**
 * From this many bytes of file contents, a commit that goes through `git fast-import` (the first
 * commit, a deletion, an unreadable parent tree) is written as a pack (see createCommit).
 */
const LARGE_COMMIT_BYTES = 1 << 20;

const FALLBACK_NAME = 'slsa-ledger';
const FALLBACK_EMAIL = 'slsa-ledger@users.noreply.github.com';

/** Who commits: the environment (GIT_AUTHOR_*, GIT_COMMITTER_*), then user.name/email, then slsa-ledger. */
interface CommitIdentity {
  readonly authorName: string;
  readonly authorEmail: string;
  readonly committerName: string;
  readonly committerEmail: string;
}

/** `git config -z --list` -> key (lower-case section and name) -> last value. */
function parseConfigList(out: Buffer): Map<string, string> {
  const map = new Map<string, string>();
  for (const item of out.toString('utf8').split('\0')) {
    if (item === '') continue;
    const nl = item.indexOf('\n');
    const key = nl === -1 ? item : item.slice(0, nl);
    map.set(key, nl === -1 ? 'true' : item.slice(nl + 1));
  }
  return map;
}

/** A loose-object store the writer may write into itself (see `objectStoreOf`). */
interface ObjectStore {
  readonly dir: string;
  /** zlib level of loose objects */
  readonly level: number;
}

/**
 * The objects directory, when writing loose objects the way git does is certain to be what git
 * would do: SHA-1 objects (no `extensions.*`: another object format, a partial clone…), no fsync
 * of object files asked for (`core.fsync`, `core.fsyncObjectFiles`), no shared-repository
 * permissions. Otherwise undefined, and commits go through `git fast-import`.
 */
function objectStoreOf(config: Map<string, string>, dir: string | undefined): ObjectStore | undefined {
  if (dir === undefined) return undefined;
  for (const key of config.keys()) {
    if (
      key.startsWith('extensions.') ||
      key === 'core.fsync' ||
      key === 'core.fsyncobjectfiles' ||
      key === 'core.fsyncmethod' ||
      key === 'core.sharedrepository'
    )
      return undefined;
  }
  const text = config.get('core.loosecompression') ?? config.get('core.compression');
  if (text === undefined) return { dir, level: 1 };
  if (!/^-?\d+$/.test(text)) return undefined;
  const level = Number(text);
  if (level < -1 || level > 9) return undefined;
  return { dir, level: level === -1 ? 6 : level };
}

/**
 * What `git maintenance run --auto` checks before it does anything, for a repository whose
 * config names no maintenance task (then the only automatic task is `gc --auto`): `gc.auto`
 * (default 6700) and `gc.autoPackLimit` (default 50). Undefined when git must be asked (a
 * `maintenance.*` key, a value that is not a plain integer).
 */
export interface AutoGcLimits {
  /** `gc.auto`; 0 or less: never */
  readonly looseObjects: number;
  /** `gc.autoPackLimit`; 0 or less: never */
  readonly packs: number;
}

export function autoGcLimitsOf(config: ReadonlyMap<string, string>): AutoGcLimits | undefined {
  for (const key of config.keys()) if (key.startsWith('maintenance.')) return undefined;
  const int = (key: string, fallback: number): number | undefined => {
    const text = config.get(key);
    if (text === undefined) return fallback;
    return /^-?\d{1,9}$/.test(text) ? Number(text) : undefined;
  };
  const looseObjects = int('gc.auto', 6700);
  const packs = int('gc.autopacklimit', 50);
  return looseObjects === undefined || packs === undefined ? undefined : { looseObjects, packs };
}

/**
 * Whether `gc --auto` would run, by git's own estimate (builtin/gc.c `need_to_gc`): more loose
 * objects in `objects/17` than `gc.auto` / 256 (rounded up), or more local packs without a
 * `.keep` than `gc.autoPackLimit`. `loose17` and `packs` are those directories' names.
 */
export function autoGcDue(
  limits: AutoGcLimits,
  loose17: readonly string[],
  packs: readonly string[],
): boolean {
  if (limits.looseObjects <= 0) return false;
  if (limits.packs > 0) {
    const names = new Set(packs);
    const counted = packs.filter((n) => n.endsWith('.pack') && !names.has(`${n.slice(0, -5)}.keep`));
    if (counted.length > limits.packs) return true;
  }
  const threshold = Math.ceil(limits.looseObjects / 256);
  return loose17.filter((n) => /^[0-9a-f]{38}$/.test(n)).length > threshold;
}

function sanitizeIdent(s: string): string {
  return s.replace(/[<>\n]/g, '').trim() || 'unknown';
}

export class GitLedgerRepo {
  private constructor(
    /** the repository's top directory (work tree root, or the git dir when bare) */
    readonly root: string,
    /** the git directory (for the private refs under refs/slsa-ledger) */
    readonly gitDir: string,
    readonly remote: string,
    /** the remote's URL, credentials scrubbed */
    readonly remoteUrl: string,
    readonly reportsDir: string,
    private readonly identity: CommitIdentity,
    readonly signs: boolean,
    readonly bare: boolean,
    /** where a small commit's objects are written directly (undefined: always `git fast-import`) */
    private readonly objectStore: ObjectStore | undefined = undefined,
    /** git's auto-gc limits when this object may check them itself (see `fetch`) */
    private readonly autoGc: AutoGcLimits | undefined = undefined,
    /** an object reader already started in the clone (`takeObjectReader`) */
    objects: GitObjectReader | undefined = undefined,
  ) {
    this.objects = objects;
  }

  /**
   * Whether the fetch may skip git's automatic maintenance: only when git's own check would find
   * nothing to do (`autoGcDue`), read here in a fraction of a millisecond where the
   * `git maintenance run --auto` a fetch starts costs a process (~10 ms a record). When it is
   * due, or the config names maintenance tasks, the fetch runs it as git always does.
   */
  private maintenanceIdle(): boolean {
    if (this.autoGc === undefined || this.objectStore === undefined) return false;
    const list = (dir: string): string[] | undefined => {
      try {
        return readdirSync(dir);
      } catch (error) {
        return (error as NodeJS.ErrnoException).code === 'ENOENT' ? [] : undefined;
      }
    };
    const loose = list(join(this.objectStore.dir, '17'));
    const packs = list(join(this.objectStore.dir, 'pack'));
    if (loose === undefined || packs === undefined) return false;
    return !autoGcDue(this.autoGc, loose, packs);
  }

  /** one `git cat-file --batch` for the reads between two fetches */
  private objects: GitObjectReader | undefined;

  /**
   * What each commit this object wrote itself changed against its parent (`writeCommitObjects`),
   * so the read-after-write needs no `git diff-tree` (a process, ~10 ms); undefined when the
   * commit replaced a folder by a file or the reverse (the diff is then asked of git).
   */
  private readonly ownCommits = new Map<string, { parent: string; changes: RawChange[] | undefined }>();

  private reader(): GitObjectReader {
    this.objects ??= new GitObjectReader(this.root);
    return this.objects;
  }

  /**
   * What a commit this object wrote itself changes against `parent`, as `git diff-tree -r`
   * lists it; undefined for any other commit, or one that replaced a file by a folder or the reverse.
   */
  ownCommitChanges(commit: string, parent: string): readonly RawChange[] | undefined {
    const own = this.ownCommits.get(commit);
    return own?.parent === parent ? own.changes : undefined;
  }

  /** Ends the object reader (the next read starts a new one). */
  close(): void {
    this.objects?.close();
    this.objects = undefined;
  }

  /**
   * Opens a clone and checks that `remote` is configured.
   * @throws UsageError `LEDGER_REPO_INVALID`
   */
  static async open(options: GitLedgerRepoOptions): Promise<GitLedgerRepo> {
    const dir = resolve(options.repoDir);
    const remote = options.remote ?? 'origin';
    const reportsDir = (options.reportsDir ?? DEFAULT_REPORTS_DIR).replace(/^\.\//, '').replace(/\/+$/, '');
    if (
      !/^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/.test(reportsDir) ||
      reportsDir.split('/').some((p) => p === '..' || p === '.')
    ) {
      throw new UsageError(
        'LEDGER_REPO_INVALID',
        `--reports-dir must be a relative path inside the repository (letters, digits, . _ - /), got '${reportsDir}'`,
      );
    }
    if (!/^[A-Za-z0-9._-]+$/.test(remote)) {
      throw new UsageError(
        'LEDGER_REPO_INVALID',
        `--remote must be the name of a configured remote, got '${remote}'`,
      );
    }
    // the config is read at the same time (inside a work tree, any directory gives the same list)
    // (bin.ts starts both for `record` and `flush` while the CLI loads: src/io/clone-probe.ts)
    const listed = runGit(CONFIG_LIST_ARGS, { cwd: dir, allowFailure: true }).catch(() => undefined);
    const revParse = (args: readonly string[]): Promise<GitOutput> =>
      runGit(revParseArgs(args), {
        cwd: dir,
        allowFailure: true,
      }).catch((error: unknown) => {
        // git cannot even start there: a file, a FIFO, a device, a symlink loop, a path under a file
        const errno = (error as NodeJS.ErrnoException).code;
        const why = errno === 'ENOTDIR' || errno === 'ELOOP' ? 'not a directory' : (error as Error).message;
        throw new UsageError('LEDGER_REPO_INVALID', `${dir} is not a git clone: ${why} (pass --repo DIR)`, {
          cause: error,
          details: { repo: dir },
        });
      });
    let probe = await revParse(['--show-toplevel']);
    // git 2.25+ refuses --show-toplevel outside a work tree: a bare repository is asked again
    // without it (one more process, only there)
    if (probe.code !== 0) {
      const again = await revParse([]);
      if (again.code === 0 && again.stdout.toString('utf8').split('\n')[1] === 'true') probe = again;
    }
    if (probe.code !== 0) {
      throw new UsageError('LEDGER_REPO_INVALID', `${dir} is not a git clone (pass --repo DIR)`, {
        details: { repo: dir },
      });
    }
    const [objectsLine, ...lines] = probe.stdout.toString('utf8').trim().split('\n');
    const bare = lines[0] === 'true';
    const root = bare ? (lines[lines.length - 1] ?? dir) : (lines[1] ?? dir);
    const config = parseConfigList((await listed)?.stdout ?? Buffer.alloc(0));
    const url = config.get(`remote.${remote.toLowerCase()}.url`) ?? config.get(`remote.${remote}.url`);
    if (url === undefined) {
      throw new UsageError('LEDGER_REPO_INVALID', `${root} has no remote '${remote}' (pass --remote NAME)`, {
        details: { repo: root, remote },
      });
    }
    // a local path names the same remote from every clone only once resolved
    const isLocal = !/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !/^[^/]+:/.test(url);
    const env = process.env;
    const pick = (envKey: string, configKey: string, fallback: string): string =>
      env[envKey] ?? config.get(configKey) ?? fallback;
    const identity: CommitIdentity = {
      authorName: pick('GIT_AUTHOR_NAME', 'user.name', FALLBACK_NAME),
      authorEmail: pick('GIT_AUTHOR_EMAIL', 'user.email', FALLBACK_EMAIL),
      committerName: pick('GIT_COMMITTER_NAME', 'user.name', FALLBACK_NAME),
      committerEmail: pick('GIT_COMMITTER_EMAIL', 'user.email', FALLBACK_EMAIL),
    };
    return new GitLedgerRepo(
      root,
      lines[lines.length - 1] ?? join(root, '.git'),
      remote,
      scrubCredentials(isLocal ? resolve(root, url) : url),
      reportsDir,
      identity,
      /^(true|yes|on|1)$/i.test(config.get('commit.gpgsign') ?? ''),
      bare,
      objectStoreOf(
        config,
        objectsLine === undefined || objectsLine === '' ? undefined : resolve(dir, objectsLine),
      ),
      autoGcLimitsOf(config),
      // bin.ts starts the reader of a record or a flush in the directory it names, the one
      // rev-parse answered for
      takeObjectReader(dir),
    );
  }

  /** The private ref the fetched head of `branch` is kept in. */
  trackingRef(branch: string): string {
    return `refs/slsa-ledger/${this.remote}/${branch}`;
  }

  /**
   * Fetches `branch` of the remote; returns its head, or undefined when the branch does not exist yet.
   * Never forced: a remote head that does not descend from the one fetched before is refused by git
   * and reported as `LEDGER_HISTORY_REWRITTEN` (issue 14 item 5). `allowRewrite` (the queue branch
   * only, whose items the queue gate checks one by one) drops the old private ref and fetches anew.
   * @throws UnavailableError `LEDGER_REMOTE_UNAVAILABLE`; SlsaLedgerError `LEDGER_HISTORY_REWRITTEN`
   */
  async fetch(
    branch: string,
    options: {
      readonly allowRewrite?: boolean;
      /** called once the fetch process has started */
      readonly onStarted?: () => void;
    } = {},
  ): Promise<string | undefined> {
    await this.clearStaleRefLocks();
    // the reader (one started before the fetch too: a record's, bin.ts) finds what the fetch brings:
    // every read after it names an object by its id or a ref git resolves anew at each request, and
    // cat-file looks a loose object up by its path and rescans the packs after a miss (a pack the
    // fetch wrote, or a repack by its `gc --auto`); a read by id is never stale (issue 14 performance,
    // docs/ledger.md "Twenty-seventh session")
    const ref = this.trackingRef(branch);
    for (let pass = 0; ; pass++) {
      const fetching = runGit(
        [
          ...(this.maintenanceIdle() ? ['-c', 'maintenance.auto=false'] : []),
          'fetch',
          // not --quiet: with it git says nothing about a rejected (non-fast-forward) update and
          // exits 1, so a rewrite the private ref cannot follow (an orphan force-pushed over the
          // branch) read as an unreachable remote instead of LEDGER_HISTORY_REWRITTEN
          '--no-progress',
          '--no-tags',
          '--no-write-fetch-head',
          // no opportunistic update of refs/remotes/<remote>/*: only the private ref moves
          '--refmap=',
          this.remote,
          `refs/heads/${branch}:${ref}`,
        ],
        { cwd: this.root, allowFailure: true, env: { GIT_TERMINAL_PROMPT: '0' } },
      );
      if (pass === 0) options.onStarted?.();
      const out = await fetching;
      if (out.code === 0) {
        const head = await this.reader().read(`${ref}^{commit}`);
        if (head === undefined)
          throw new SlsaLedgerError('LEDGER_GIT_FAILED', `git fetch left no commit in ${ref}`);
        return head.oid;
      }
      if (/couldn't find remote ref/i.test(out.stderr)) {
        const had = await this.resolve(ref);
        if (had !== undefined && options.allowRewrite !== true) {
          throw historyRewritten(this.remote, branch, had, undefined);
        }
        await runGit(['update-ref', '-d', ref], { cwd: this.root, allowFailure: true });
        return undefined;
      }
      if (/non-fast-forward|\[rejected\]/i.test(out.stderr)) {
        if (options.allowRewrite === true && pass === 0) {
          await runGit(['update-ref', '-d', ref], { cwd: this.root, allowFailure: true });
          continue;
        }
        throw historyRewritten(this.remote, branch, await this.resolve(ref), undefined);
      }
      throw new UnavailableError(
        'LEDGER_REMOTE_UNAVAILABLE',
        `cannot fetch ${branch} from ${this.remote} (${this.remoteUrl}): ${lastLine(out.stderr)}`,
        {
          details: {
            remote: this.remote,
            branch,
            stderr: out.stderr.slice(0, 2000),
            hint: 'check the remote URL (git remote -v), the network and the credentials (GITHUB_TOKEN)',
          },
        },
      );
    }
  }

  /** The commit a ref names, or undefined. */
  async resolve(ref: string): Promise<string | undefined> {
    const out = await runGit(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], {
      cwd: this.root,
      allowFailure: true,
    });
    return out.code === 0 ? out.stdout.toString('utf8').trim() : undefined;
  }

  /**
   * True when `ancestor` is `descendant` or on its first-parent line (the witness test: a merge
   * keeping an old head only as its second parent is a rewrite; `isFirstParentAncestor`).
   */
  descendsFrom(ancestor: string, descendant: string): Promise<boolean> {
    return isFirstParentAncestor(this.root, ancestor, descendant);
  }

  /** True when `ancestor` is `descendant` or one of its ancestors (both present locally). */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const out = await runGit(['merge-base', '--is-ancestor', ancestor, descendant], {
      cwd: this.root,
      allowFailure: true,
    });
    return out.code === 0;
  }

  // ---- the witness: the last head of the ledger branch this clone saw (issue 14 item 5) ----

  /** `.git/slsa-ledger/witness/<hash of remote URL and branch>.json` */
  witnessPath(branch: string): string {
    const key = createHash('sha256').update(`${this.remoteUrl}\n${branch}`).digest('hex').slice(0, 32);
    return join(this.gitDir, 'slsa-ledger', 'witness', `${key}.json`);
  }

  /** The last head seen, or undefined (never seen, or the file is unreadable: reported by the caller). */
  /** Whether `oid` names a commit in this clone's objects (through the object reader, no process). */
  async hasCommit(oid: string): Promise<boolean> {
    return (await this.reader().read(`${oid}^{commit}`))?.oid === oid;
  }

  async readWitness(branch: string): Promise<string | undefined> {
    let bytes: Buffer;
    try {
      bytes = await readInputFile(this.witnessPath(branch), 'witness', { maxBytes: limits.state.maxBytes });
    } catch (error) {
      if (isSlsaLedgerError(error) && error.code === 'INPUT_FILE_MISSING') return undefined;
      throw error;
    }
    const value = parseJson(bytes, 'state', `witness ${this.witnessPath(branch)}`) as { head?: unknown };
    return typeof value.head === 'string' && /^[0-9a-f]{40,64}$/.test(value.head) ? value.head : undefined;
  }

  async writeWitness(branch: string, head: string): Promise<void> {
    const path = this.witnessPath(branch);
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(
      path,
      `${JSON.stringify({ remote_url: this.remoteUrl, branch, head, seen_at: new Date().toISOString() })}\n`,
    );
  }

  // ---- the remote's default branch, as last asked (issue 14 performance) ----

  /** `.git/slsa-ledger/default-branch/<hash of the remote URL>.json` */
  defaultBranchPath(): string {
    const key = createHash('sha256').update(this.remoteUrl).digest('hex').slice(0, 32);
    return join(this.gitDir, 'slsa-ledger', 'default-branch', `${key}.json`);
  }

  /**
   * The remote's default branch as this clone last asked it (`ls-remote --symref`), or undefined:
   * never asked, another remote URL, or a file that is not what `writeDefaultBranch` writes.
   */
  async readDefaultBranch(): Promise<string | undefined> {
    try {
      const bytes = await readInputFile(this.defaultBranchPath(), 'state', {
        maxBytes: limits.state.maxBytes,
      });
      const value = parseJson(bytes, 'state', 'default branch cache') as {
        remote_url?: unknown;
        branch?: unknown;
      };
      if (value.remote_url !== this.remoteUrl || typeof value.branch !== 'string') return undefined;
      return branchNameProblem(value.branch) === undefined ? value.branch : undefined;
    } catch (error) {
      if (isSlsaLedgerError(error)) return undefined;
      throw error;
    }
  }

  async writeDefaultBranch(branch: string): Promise<void> {
    const path = this.defaultBranchPath();
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(
      path,
      `${JSON.stringify({ remote_url: this.remoteUrl, branch, asked_at: new Date().toISOString() })}\n`,
    );
  }

  async dropDefaultBranch(): Promise<void> {
    await rm(this.defaultBranchPath(), { force: true });
  }

  // ---- read-after-write: move the user's branch when that is safe (issue 13 item 1) ----

  /**
   * One `status --porcelain=v2 --branch` answers what is checked out, where it points and whether
   * the tracked files are clean (three git processes before). It reads only the work tree and
   * the index, so a writer starts it while its push runs.
   */
  readCheckout(): Promise<GitOutput> {
    // --no-optional-locks: status only reads; it does not rewrite the index (stat data it
    // refreshed), which in a clone of years of day files took as long as the status itself
    return runGit(
      [
        '--no-optional-locks',
        'status',
        '--porcelain=v2',
        '--branch',
        '--no-ahead-behind',
        '--untracked-files=no',
      ],
      { cwd: this.root, allowFailure: true },
    );
  }

  /**
   * Fast-forwards the local `branch` to `commit` when it is checked out in this work tree, the
   * tree is clean and the branch is an ancestor of `commit`; otherwise leaves everything alone.
   * Returns what it did.
   */
  async fastForwardCheckedOut(
    branch: string,
    commit: string,
    /** the commit's parent when known (an ancestor of `commit` without asking git) */
    parent?: string,
    /** `readCheckout()` started earlier (e.g. while the push ran) */
    checkout?: Promise<GitOutput>,
    /** `prepareOwnFastForward` of this commit (used or cancelled here) */
    prepared?: PreparedFastForward,
  ): Promise<
    'fast-forwarded' | 'not-checked-out' | 'dirty' | 'diverged' | 'up-to-date' | 'bare' | 'too-large'
  > {
    try {
      if (this.bare) return 'bare';
      const status = await (checkout ?? this.readCheckout());
      const seen = parseCheckout(status);
      if (seen === undefined || seen.branch !== branch) return 'not-checked-out';
      const local = seen.oid;
      if (local === commit) return 'up-to-date';
      // the commit's parent is the fetched head: the usual case needs no merge-base
      if (local !== undefined && local !== parent && !(await this.isAncestor(local, commit)))
        return 'diverged';
      if (!seen.clean) return 'dirty';
      // behind by more than our own commit: what others pushed is checked out only within the
      // limits, so a pusher's 32 MiB blob under hundreds of paths never fills the user's disk
      if (local !== undefined && local !== parent && !(await this.changesWithin(local, commit)))
        return 'too-large';
      // the usual case: the branch is at our own commit's parent, which changed a few files
      if (local !== undefined && local === parent) {
        const own = await this.fastForwardOwnCommit(branch, parent, commit, prepared);
        if (own !== undefined) return own;
      }
      // `merge --ff-only` updates the branch, index and work tree together and refuses anything else
      const merged = await runGit(['merge', '--ff-only', '--quiet', commit], {
        cwd: this.root,
        allowFailure: true,
      });
      return merged.code === 0 ? 'fast-forwarded' : 'dirty';
    } finally {
      prepared?.cancel();
    }
  }

  /**
   * Starts the two git processes of the read-after-write's usual case (`fastForwardOwnCommit`: the
   * checkout of the commit's paths and the compare-and-swap of the branch) while the commit's push
   * runs, each waiting for its input, so that once the push has landed the read-after-write only
   * writes to them: their start (Node's spawn, ~5 ms of its main thread each, and git's own) runs
   * while the push does (issue 14 performance). Only when `checkout` (a `readCheckout()` already
   * answered) shows `branch` checked out, clean and at `parent`, and `commit` is one this object
   * wrote that `fastForwardOwnCommit` may take; undefined otherwise. What is prepared must be
   * passed to `fastForwardCheckedOut` or cancelled: cancelled (or left by a process that dies), its
   * processes read an empty input and change nothing — `restore` with no path refuses, and
   * `update-ref --stdin` with no command does nothing.
   */
  prepareOwnFastForward(
    branch: string,
    parent: string,
    commit: string,
    checkout: GitOutput,
  ): PreparedFastForward | undefined {
    if (this.bare) return undefined;
    const seen = parseCheckout(checkout);
    if (seen === undefined || seen.branch !== branch || seen.oid !== parent || !seen.clean) return undefined;
    const changes = this.ownCommitChanges(commit, parent);
    if (changes === undefined || ownCommitPaths(changes) === undefined) return undefined;
    const options = { cwd: this.root };
    return {
      branch,
      parent,
      commit,
      checkout: startGitFedLater(
        [
          '--literal-pathspecs',
          'restore',
          `--source=${commit}`,
          '--staged',
          '--worktree',
          '--pathspec-from-file=-',
          '--pathspec-file-nul',
        ],
        options,
      ),
      move: startGitFedLater(
        ['update-ref', '-m', `slsa-ledger: fast-forward to ${commit}`, '--stdin'],
        options,
      ),
      cancel() {
        this.checkout.cancel();
        this.move.cancel();
      },
    };
  }

  /**
   * Read-after-write when the checked-out branch is at the landed commit's parent and the commit
   * only adds or changes a few plain files (a day file, its log segment, a key-index shard): a
   * `checkout <commit> -- <those paths>` and a compare-and-swap `update-ref` of the branch touch
   * only them, where `merge --ff-only` walks the whole tree and rebuilds the index's cache tree
   * (~25 ms in five years of day files against ~6 ms in one day; issue 14 performance). Anything
   * else (a deletion, a mode that is not a plain file, an added path the work tree already holds,
   * more than `OWN_COMMIT_MAX_PATHS` paths, a checkout git refuses) is left to `merge --ff-only`:
   * returns undefined. If the branch moved meanwhile, the paths are put back as they were.
   */
  private async fastForwardOwnCommit(
    branch: string,
    parent: string,
    commit: string,
    prepared: PreparedFastForward | undefined,
  ): Promise<'fast-forwarded' | 'diverged' | undefined> {
    let changes = this.ownCommitChanges(commit, parent);
    if (changes === undefined) {
      const diff = await runGit(['diff-tree', '-r', '-z', '--no-renames', '--no-abbrev', parent, commit], {
        cwd: this.root,
        allowFailure: true,
      });
      if (diff.code !== 0) return undefined;
      changes = parseRawDiff(diff.stdout.toString('utf8'));
    }
    const own = changes === undefined ? undefined : ownCommitPaths(changes);
    if (own === undefined) return undefined;
    const { paths, added } = own;
    // an untracked file where the commit adds one: `merge --ff-only` refuses, and so must we
    for (const path of added) if (await pathExists(join(this.root, path))) return undefined;
    const ahead =
      prepared !== undefined &&
      prepared.branch === branch &&
      prepared.parent === parent &&
      prepared.commit === commit
        ? prepared
        : undefined;
    // the checkout (index.lock) and the compare-and-swap of the branch (its ref lock) take
    // different locks: they run at once, and whichever fails undoes the other
    const [checkedOut, moved] = await Promise.all([
      ahead !== undefined
        ? ahead.checkout.feed(paths.map((p) => `${p}\0`).join(''))
        : runGit(['--literal-pathspecs', 'checkout', '-q', commit, '--', ...paths], {
            cwd: this.root,
            allowFailure: true,
          }),
      ahead !== undefined
        ? ahead.move.feed(`update refs/heads/${branch} ${commit} ${parent}\n`)
        : runGit(
            [
              'update-ref',
              '-m',
              `slsa-ledger: fast-forward to ${commit}`,
              `refs/heads/${branch}`,
              commit,
              parent,
            ],
            { cwd: this.root, allowFailure: true },
          ),
    ]);
    if (checkedOut.code === 0 && moved.code === 0) return 'fast-forwarded';
    if (checkedOut.code !== 0) {
      // git refused the checkout (and changed nothing): the branch goes back, and
      // `merge --ff-only` decides; if it moved on meanwhile, it is someone else's
      if (moved.code !== 0) return 'diverged';
      const back = await runGit(
        [
          'update-ref',
          '-m',
          `slsa-ledger: undo fast-forward to ${commit}`,
          `refs/heads/${branch}`,
          parent,
          commit,
        ],
        { cwd: this.root, allowFailure: true },
      );
      return back.code === 0 ? undefined : 'diverged';
    }
    // the branch moved between the status and now: the paths go back to the parent's versions
    const changed = paths.filter((p) => !added.includes(p));
    if (changed.length > 0)
      await runGit(['--literal-pathspecs', 'checkout', '-q', parent, '--', ...changed], { cwd: this.root });
    if (added.length > 0)
      await runGit(['--literal-pathspecs', 'rm', '-q', '-f', '--', ...added], { cwd: this.root });
    return 'diverged';
  }

  /**
   * Whether the files `from..to` changes are each within the day-file limit and together within
   * `ledgerReadBytes` (sizes from `git cat-file --batch-check`, nothing read).
   */
  private async changesWithin(from: string, to: string): Promise<boolean> {
    const diff = await runGit(['diff', '--raw', '-z', '--no-renames', '--no-abbrev', from, to], {
      cwd: this.root,
    });
    const oids = diff.stdout
      .toString('utf8')
      .split('\0')
      .flatMap((field) => /^:[0-7]{6} [0-7]{6} [0-9a-f]+ ([0-9a-f]{40,64}) /.exec(field)?.[1] ?? [])
      .filter((oid) => !/^0+$/.test(oid));
    if (oids.length === 0) return true;
    const check = await runGit(['cat-file', '--batch-check=%(objectsize)'], {
      cwd: this.root,
      input: `${oids.join('\n')}\n`,
    });
    let total = 0;
    for (const line of check.stdout.toString('utf8').split('\n')) {
      const size = Number(line);
      if (line === '' || !Number.isFinite(size)) continue;
      if (size > limits.dayFile.maxBytes) return false;
      total += size;
    }
    return total <= otherLimits.ledgerReadBytes;
  }

  // ---- day files, read with limits (issue 13 items 2 and 3) ----

  /**
   * The regular-file blobs of the day files at `commit` with their sizes (`ls-tree -l`): a
   * symlink or submodule where a day file should be is reported, never followed.
   */
  async listDayBlobs(commit: string | undefined): Promise<DayBlob[]> {
    if (commit === undefined) return [];
    const blobs = await this.listPaths(commit, [this.reportsDir]);
    return blobs.filter((b) => manifestDayOf(b.path, this.reportsDir) !== undefined);
  }

  /** `ls-tree -r -l` of the given paths (files or folders) at `commit`, with modes and sizes. */
  async listPaths(commit: string, paths: readonly string[]): Promise<DayBlob[]> {
    const out = await runGit(['ls-tree', '-r', '-l', '-z', '--full-tree', commit, '--', ...paths], {
      cwd: this.root,
    });
    const blobs: DayBlob[] = [];
    for (const record of out.stdout.toString('utf8').split('\0')) {
      if (record === '') continue;
      const tab = record.indexOf('\t');
      const [mode = '', type = '', oid = '', size = ''] = record.slice(0, tab).split(/ +/);
      blobs.push({ path: record.slice(tab + 1), oid, mode, type, size: Number(size) });
    }
    return blobs;
  }

  /**
   * Files at `commit` with their modes and ids, from the tree objects of their folders (through
   * the object reader: no process per call). Sizes are not in a tree: `size` is NaN, and the
   * blobs are read with `readBlobsWithin`, which refuses an oversized one from its header.
   */
  async statPaths(commit: string, paths: readonly string[]): Promise<DayBlob[]> {
    const folders = new Map<string, Promise<Buffer | undefined>>();
    const found = await Promise.all(
      paths.map(async (path) => {
        const slash = path.lastIndexOf('/');
        const folder = slash === -1 ? '' : path.slice(0, slash);
        let tree = folders.get(folder);
        if (tree === undefined) {
          tree = this.readTree(commit, folder);
          folders.set(folder, tree);
        }
        const body = await tree;
        const item =
          body === undefined ? undefined : findInTree(body, commit.length / 2, path.slice(slash + 1));
        if (item === undefined) return undefined;
        // modes as ls-tree prints them
        const mode = item.mode.padStart(6, '0');
        const type = mode === '040000' ? 'tree' : mode === '160000' ? 'commit' : 'blob';
        return { path, mode, type, oid: item.oid, size: Number.NaN };
      }),
    );
    return found.filter((b) => b !== undefined);
  }

  /**
   * The segment numbers of a day's log (`transitions` or `vsa`) at `commit`: regular files only,
   * from the day folder's tree object (no process; nothing of the segments is read).
   */
  async logSegmentNumbers(commit: string | undefined, dayPath: string, kind: LogKind): Promise<number[]> {
    if (commit === undefined) return [];
    const folder = dayPath.slice(0, dayPath.lastIndexOf('/'));
    const body = await this.readTree(commit, folder);
    if (body === undefined) return [];
    const numbers: number[] = [];
    for (const item of listTree(body, commit.length / 2) ?? []) {
      if (item.mode !== '100644' && item.mode !== '100755') continue;
      const seg = logSegmentOf(`${folder}/${item.name}`);
      if (seg?.kind === kind) numbers.push(seg.n);
    }
    return numbers;
  }

  /** The body of the tree at `<commit>:<folder>`, or undefined when there is no such tree. */
  private async readTree(commit: string, folder: string): Promise<Buffer | undefined> {
    const tree = await this.reader().readWithin(`${commit}:${folder}`, limits.dayFile.maxBytes);
    if (tree === undefined || tree.type !== 'tree' || 'tooLarge' in tree) return undefined;
    return tree.bytes;
  }

  /**
   * The last commit reachable from `commit` that changed `path` (as `git log -1 -- path`), or
   * undefined. Usually `commit` itself (the last write kept the index): when the tree at `path`
   * differs from its one parent's (or a root commit has it), that is answered from the objects
   * alone; otherwise `git log` walks the history.
   */
  async lastChange(commit: string, path: string): Promise<string | undefined> {
    const reader = this.reader();
    const object = await reader.read(commit);
    if (object?.type === 'commit') {
      const header = object.bytes.subarray(0, Math.max(0, object.bytes.indexOf('\n\n'))).toString('utf8');
      const parents = header
        .split('\n')
        .filter((l) => l.startsWith('parent '))
        .map((l) => l.slice('parent '.length));
      const bound = limits.dayFile.maxBytes;
      const [here, before] = await Promise.all([
        reader.readWithin(`${commit}:${path}`, bound),
        parents.length === 1 ? reader.readWithin(`${parents[0]}:${path}`, bound) : undefined,
      ]);
      if (here !== undefined && parents.length === 0) return commit;
      if (here !== undefined && parents.length === 1 && before?.oid !== here.oid) return commit;
    }
    const out = await gitText(['log', '-1', '--format=%H', commit, '--', path], { cwd: this.root });
    return out === '' ? undefined : out;
  }

  /** Paths under `prefix` that differ between two commits. */
  async changedPaths(from: string, to: string, prefix: string): Promise<string[]> {
    if (from === to) return [];
    const out = await runGit(['diff', '--name-only', '-z', '--no-renames', from, to, '--', prefix], {
      cwd: this.root,
    });
    return out.stdout
      .toString('utf8')
      .split('\0')
      .filter((p) => p !== '');
  }

  /** Reads blobs by object id (in order). */
  async readBlobs(oids: readonly string[]): Promise<(Buffer | undefined)[]> {
    return this.readObjects(oids);
  }

  /**
   * Reads blobs by object id (in order), none larger than `maxBytes`: an oversized one comes back
   * with its size only, its contents never read. Undefined where absent.
   */
  async readBlobsWithin(oids: readonly string[], maxBytes: number): Promise<(BoundedBlob | undefined)[]> {
    const reader = this.reader();
    const objects = await Promise.all(oids.map((oid) => reader.readWithin(oid, maxBytes)));
    return objects.map((o) => {
      if (o === undefined) return undefined;
      if ('tooLarge' in o) return { size: o.size, bytes: undefined };
      return { size: o.bytes.length, bytes: o.bytes };
    });
  }

  /** Objects by name (id or `<rev>:<path>`), in order, through the one reader; undefined where absent. */
  private async readObjects(names: readonly string[]): Promise<(Buffer | undefined)[]> {
    const reader = this.reader();
    const objects = await Promise.all(names.map((n) => reader.read(n)));
    return objects.map((o) => o?.bytes);
  }
  /**
   * Removes `*.lock` files under refs/slsa-ledger left by a git killed mid-update. Only slsa-ledger
   * writes those refs, and only while holding the local ledger lock, so any such file is stale
   * when called under that lock; without this a SIGKILL at the wrong moment would block every
   * later fetch.
   */
  private async clearStaleRefLocks(): Promise<void> {
    const dir = join(this.gitDir, 'refs', 'slsa-ledger');
    let names: string[];
    try {
      names = await readdir(dir, { recursive: true });
    } catch {
      return;
    }
    for (const name of names) if (name.endsWith('.lock')) await rm(join(dir, name), { force: true });
  }

  /** Every day file of the ledger at `commit` (none when undefined). */
  async readLedger(commit: string | undefined): Promise<LedgerFile[]> {
    if (commit === undefined) return [];
    return readLedgerFromCommit(this.root, commit, { reportsDir: this.reportsDir });
  }

  /** Bytes of files at `commit` (undefined where absent). */
  async readFiles(commit: string | undefined, paths: readonly string[]): Promise<(Buffer | undefined)[]> {
    if (commit === undefined) return paths.map(() => undefined);
    return this.readObjects(paths.map((p) => `${commit}:${p}`));
  }

  /**
   * One file at `commit`, read only when at most `maxBytes`: an oversized one comes back with its
   * size only (its contents never read). Undefined when absent.
   */
  async readFileWithin(
    commit: string | undefined,
    path: string,
    maxBytes: number,
  ): Promise<BoundedBlob | undefined> {
    if (commit === undefined) return undefined;
    const [blob] = await this.readBlobsWithin([`${commit}:${path}`], maxBytes);
    return blob;
  }

  /** Paths under `prefix` at `commit`. */
  async listFiles(commit: string | undefined, prefix: string): Promise<string[]> {
    if (commit === undefined) return [];
    const out = await runGit(['ls-tree', '-r', '-z', '--name-only', '--full-tree', commit, '--', prefix], {
      cwd: this.root,
    });
    return out.stdout
      .toString('utf8')
      .split('\0')
      .filter((p) => p !== '');
  }

  /**
   * Builds a commit of `files` on top of `parent` without a checkout: the user's working tree,
   * index and branches never change. Unsigned commits go through one `git fast-import`; when the
   * repository's config signs commits, a temporary index and `git commit-tree -S` sign it.
   */
  async createCommit(
    parent: string | undefined,
    files: readonly CommitFile[],
    message: string,
    /** tests: the commit time (ms) and the path taken */
    options: { readonly time?: number; readonly via?: 'objects' | 'fast-import' } = {},
  ): Promise<string> {
    if (this.signs) {
      const tmp = await mkdtemp(join(tmpdir(), 'slsa-ledger-commit-'));
      try {
        return await this.createSignedCommit(tmp, parent, files, message);
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    }
    const now = `${Math.floor((options.time ?? Date.now()) / 1000)} +0000`;
    const id = this.identity;
    const bytes = files.reduce((n, f) => n + (f.bytes?.length ?? 0), 0);
    const author = `${sanitizeIdent(id.authorName)} <${sanitizeIdent(id.authorEmail)}> ${now}`;
    const committer = `${sanitizeIdent(id.committerName)} <${sanitizeIdent(id.committerEmail)}> ${now}`;
    // a commit on a parent, files written (not deleted): its objects are written here, as git
    // writes loose objects (no process); fast-import does everything else. A 4 MiB day file too
    // (twenty-third session): deflating it here at git's loose level (~30 ms) costs less than the
    // fast-import process (~105 ms), and the read-after-write then knows what the commit changed
    // (no `diff-tree`): a record into a 10,000-entry day 930 → 790 ms
    if (
      options.via !== 'fast-import' &&
      this.objectStore !== undefined &&
      parent !== undefined &&
      files.every((f) => f.bytes !== null)
    ) {
      const made = await this.writeCommitObjects(this.objectStore, parent, files, author, committer, message);
      if (made !== undefined) return made;
    }
    if (options.via === 'objects') {
      throw new SlsaLedgerError('INTERNAL', 'this commit cannot be written without git fast-import');
    }
    const msg = Buffer.from(message, 'utf8');
    const parts: (string | Uint8Array)[] = [
      // `get-mark` prints the commit's id on stdout: no marks file, no temporary directory
      'feature done\nfeature get-mark\n',
      'commit refs/slsa-ledger/last-commit\n',
      'mark :1\n',
      `author ${author}\n`,
      `committer ${committer}\n`,
      `data ${msg.length}\n`,
      msg,
      '\n',
      ...(parent === undefined ? [] : [`from ${parent}\n`]),
    ];
    for (const file of files) {
      if (file.bytes === null) {
        parts.push(`D ${file.path}\n`);
        continue;
      }
      parts.push(`M 100644 inline ${file.path}\n`, `data ${file.bytes.length}\n`, file.bytes, '\n');
    }
    parts.push('\nget-mark :1\ndone\n');
    // A large commit (a 10,000-entry day file is ~4 MiB) is kept as the pack fast-import writes,
    // at zlib's fastest level: by default git would deflate it into a pack, inflate it again and
    // deflate it once more as loose objects. Small commits stay loose as before (one pack per
    // record would make gc --auto repack every 50 records).
    const big = bytes >= LARGE_COMMIT_BYTES;
    const out = await runGit(
      [
        ...(big ? ['-c', 'fastimport.unpackLimit=1', '-c', 'pack.compression=1'] : []),
        'fast-import',
        '--quiet',
        '--force',
      ],
      { cwd: this.root, input: parts },
    );
    const mark = /^([0-9a-f]{40,64})$/m.exec(out.stdout.toString('utf8'));
    if (mark === null)
      throw new SlsaLedgerError('LEDGER_GIT_FAILED', 'git fast-import did not report the commit it made');
    return mark[1]!;
  }

  /**
   * The commit `git fast-import` would make of `files` on `parent` (same trees, same commit
   * bytes, so the same id), its objects written as loose objects: a blob per file, the trees from
   * the changed folders up to the root (each read from the parent's tree through the object
   * reader; a file or link where a folder must be is replaced by the folder, as fast-import does),
   * and the commit. Undefined when a tree cannot be read (the caller uses fast-import).
   */
  private async writeCommitObjects(
    store: ObjectStore,
    parent: string,
    files: readonly CommitFile[],
    author: string,
    committer: string,
    message: string,
  ): Promise<string | undefined> {
    const reader = this.reader();
    const commit = await reader.read(parent);
    if (commit?.type !== 'commit' || parent.length !== 40) return undefined;
    // the folders to rewrite, each with the files and folders changed in it
    interface Folder {
      readonly files: Map<string, Uint8Array>;
      readonly folders: Set<string>;
    }
    const folders = new Map<string, Folder>();
    const folder = (path: string): Folder => {
      let f = folders.get(path);
      if (f === undefined) {
        f = { files: new Map(), folders: new Set() };
        folders.set(path, f);
        if (path !== '') {
          const slash = path.lastIndexOf('/');
          folder(slash === -1 ? '' : path.slice(0, slash)).folders.add(path.slice(slash + 1));
        }
      }
      return f;
    };
    for (const file of files) {
      const slash = file.path.lastIndexOf('/');
      const name = file.path.slice(slash + 1);
      if (
        name === '' ||
        /[\n\r]/.test(file.path) ||
        file.path.split('/').some((p) => p === '' || p === '.' || p === '..')
      )
        return undefined;
      folder(slash === -1 ? '' : file.path.slice(0, slash)).files.set(name, file.bytes!);
    }
    const write = (type: 'blob' | 'tree' | 'commit', body: Uint8Array): string =>
      writeLooseObject(store.dir, type, body, store.level);
    // what `git diff-tree -r parent commit` will list, for the read-after-write
    const changed: RawChange[] = [];
    let exact = true;
    // the trees under `path` in the parent (one read per changed folder), rewritten deepest first;
    // a tree is edited in its raw bytes (the folder of day folders has thousands of entries)
    // (git finds each folder's tree by its path: a folder that is not a tree in the parent, or is
    // not there, starts empty, as fast-import does)
    // every folder's tree is asked for at once (one round trip to cat-file, not one per level)
    const trees = new Map(
      [...folders.keys()].map((path) => {
        const read = reader.readWithin(`${parent}:${path}`, limits.dayFile.maxBytes);
        read.catch(() => undefined); // awaited (and thrown) below, unless the build stops first
        return [path, read] as const;
      }),
    );
    const build = async (path: string): Promise<string | undefined> => {
      const f = folders.get(path)!;
      let body: Buffer = Buffer.alloc(0);
      const tree = await trees.get(path)!;
      if (tree !== undefined && tree.type === 'tree') {
        if ('tooLarge' in tree) return undefined;
        body = tree.bytes;
      }
      const changes = new Map<string, { mode: string; oid: string }>();
      const subtrees = await Promise.all(
        [...f.folders].map(async (name) => {
          const sub = await build(path === '' ? name : `${path}/${name}`);
          if (sub !== undefined) changes.set(name, { mode: '40000', oid: sub });
          return sub;
        }),
      );
      if (subtrees.some((t) => t === undefined)) return undefined;
      for (const [name, bytes] of f.files) changes.set(name, { mode: '100644', oid: write('blob', bytes) });
      // one pass over the parent's tree edits it and gives what each changed name was before
      const edited = editTreeBody(body, 20, changes);
      if (edited === undefined) return undefined;
      for (const name of f.folders) {
        const before = edited.replaced.get(name);
        if (before !== undefined && before.mode !== '40000') exact = false;
      }
      for (const name of f.files.keys()) {
        const { oid } = changes.get(name)!;
        const before = edited.replaced.get(name);
        const filePath = path === '' ? name : `${path}/${name}`;
        if (before === undefined)
          changed.push({ oldMode: '000000', newMode: '100644', status: 'A', path: filePath });
        else if (before.mode === '40000') exact = false;
        else if (before.oid !== oid || before.mode !== '100644')
          // a file's mode bit is a modification; a link or submodule becoming a file a type change
          changed.push({
            oldMode: before.mode,
            newMode: '100644',
            status: before.mode === '100755' || before.mode === '100644' ? 'M' : 'T',
            path: filePath,
          });
      }
      return write('tree', edited.body);
    };
    const root = await build('');
    if (root === undefined) return undefined;
    const body = Buffer.from(
      `tree ${root}\nparent ${parent}\nauthor ${author}\ncommitter ${committer}\n\n${message}`,
      'utf8',
    );
    const made = write('commit', body);
    this.ownCommits.set(made, { parent, changes: exact ? changed : undefined });
    return made;
  }

  private async createSignedCommit(
    tmp: string,
    parent: string | undefined,
    files: readonly CommitFile[],
    message: string,
  ): Promise<string> {
    const id = this.identity;
    const env = {
      GIT_INDEX_FILE: join(tmp, 'index'),
      GIT_AUTHOR_NAME: id.authorName,
      GIT_AUTHOR_EMAIL: id.authorEmail,
      GIT_COMMITTER_NAME: id.committerName,
      GIT_COMMITTER_EMAIL: id.committerEmail,
    };
    await runGit(parent === undefined ? ['read-tree', '--empty'] : ['read-tree', parent], {
      cwd: this.root,
      env,
    });
    for (const file of files) {
      if (file.bytes === null) {
        await runGit(['update-index', '--force-remove', '--', file.path], { cwd: this.root, env });
        continue;
      }
      const oid = await gitText(['hash-object', '-w', '--stdin'], { cwd: this.root, input: file.bytes });
      await runGit(['update-index', '--add', '--cacheinfo', `100644,${oid},${file.path}`], {
        cwd: this.root,
        env,
      });
    }
    const tree = await gitText(['write-tree'], { cwd: this.root, env });
    const args = ['commit-tree', tree, ...(parent === undefined ? [] : ['-p', parent]), '-S', '-F', '-'];
    return gitText(args, { cwd: this.root, env, input: message });
  }

  /** Pushes `commit` to `branch` as a fast-forward and classifies the answer. */
  /**
   * Pushes `commit` to `branch`. With `lease`, only if the branch is exactly `lease.expected` on
   * the remote (null: absent) — `--force-with-lease=<ref>:<expect>`, whose old value the remote
   * itself compares under its ref lock; the commit descends from that value, so the update is a
   * fast-forward (branch protection sees no force). Moved: `non-fast-forward`.
   */
  async push(
    commit: string,
    branch: string,
    lease?: { readonly expected: string | null },
  ): Promise<PublishOutcome> {
    const leaseArgs =
      lease === undefined ? [] : [`--force-with-lease=refs/heads/${branch}:${lease.expected ?? ''}`];
    const out = await runGit(
      ['push', '--porcelain', ...leaseArgs, this.remote, `${commit}:refs/heads/${branch}`],
      { cwd: this.root, allowFailure: true },
    );
    const text = out.stdout.toString('utf8');
    const status = text.split('\n').find((l) => l.includes(`:refs/heads/${branch}\t`));
    if (out.code === 0 && (status === undefined || !status.startsWith('!'))) return { kind: 'landed' };
    if (
      status !== undefined &&
      /\[rejected\]|\(fetch first\)|non-fast-forward|stale info/.test(status) &&
      !status.includes('[remote rejected]')
    ) {
      return { kind: 'non-fast-forward' };
    }
    // another push won the race inside receive-pack (the ref moved between its check and its
    // update, or its lock was held): the same situation as a non-fast-forward, so retry
    if (
      /cannot lock ref|failed to update ref|but expected|incorrect old value/i.test(
        `${status ?? ''}\n${out.stderr}`,
      )
    ) {
      return { kind: 'non-fast-forward' };
    }
    const remoteSays = out.stderr
      .split('\n')
      .filter((l) => l.startsWith('remote: '))
      .map((l) => l.slice('remote: '.length).trim())
      .filter((l) => l !== '');
    const summary = status?.split('\t')[2] ?? lastLine(out.stderr);
    const reason = [
      summary.replace(/^\[remote rejected\] /, '').replace(/^\((.*)\)$/, '$1'),
      ...remoteSays,
    ].join(': ');
    return { kind: 'refused', reason: reason.slice(0, 500) || `push failed (exit ${out.code})` };
  }

  /** `git verify-commit`: true when the commit carries a signature git trusts. */
  async verifyCommit(commit: string): Promise<boolean> {
    return (await runGit(['verify-commit', commit], { cwd: this.root, allowFailure: true })).code === 0;
  }
}

// ---- remote look-ups before a clone is opened (ledger-location.ts) ----

/** `git ls-remote --symref <remote> HEAD` in `repoDir`: its output, or the failure. */
export async function lsRemoteHead(
  repoDir: string,
  remote: string,
): Promise<{ ok: true; stdout: string } | { ok: false; stderr: string; remotes: string[] | undefined }> {
  const out = await runGit(['ls-remote', '--symref', remote, 'HEAD'], { cwd: repoDir, allowFailure: true });
  if (out.code === 0) return { ok: true, stdout: out.stdout.toString('utf8') };
  const remotes = await runGit(['remote'], { cwd: repoDir, allowFailure: true });
  return {
    ok: false,
    stderr: out.stderr,
    remotes:
      remotes.code === 0
        ? remotes.stdout
            .toString('utf8')
            .split('\n')
            .filter((r) => r !== '')
        : undefined,
  };
}

const BRANCH_NAME = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$/;

/** `refs/remotes/<remote>/HEAD` of the clone (set by `git clone`): the branch it names, if any. */
export async function remoteHeadOfClone(repoDir: string, remote: string): Promise<string | undefined> {
  const head = await runGit(['symbolic-ref', '--quiet', `refs/remotes/${remote}/HEAD`], {
    cwd: repoDir,
    allowFailure: true,
  });
  if (head.code !== 0) return undefined;
  const name = head.stdout.toString('utf8').trim().replace(`refs/remotes/${remote}/`, '');
  return BRANCH_NAME.test(name) && !name.includes('..') ? name : undefined;
}

/**
 * For the read commands: fetches `branch` into `ref`, forced (they must see a rewrite to report
 * it). Returns the commit, undefined when the branch does not exist, or the failure's stderr.
 */
export async function fetchForcedInto(
  repoDir: string,
  remote: string,
  branch: string,
  ref: string,
): Promise<{ ok: true; commit: string | undefined } | { ok: false; stderr: string }> {
  const out = await runGit(
    [
      'fetch',
      '--quiet',
      '--no-tags',
      '--no-write-fetch-head',
      '--refmap=',
      remote,
      `+refs/heads/${branch}:${ref}`,
    ],
    { cwd: repoDir, allowFailure: true },
  );
  if (out.code !== 0) {
    if (/couldn't find remote ref/i.test(out.stderr)) {
      await runGit(['update-ref', '-d', ref], { cwd: repoDir, allowFailure: true });
      return { ok: true, commit: undefined };
    }
    return { ok: false, stderr: out.stderr };
  }
  return { ok: true, commit: await gitText(['rev-parse', '--verify', `${ref}^{commit}`], { cwd: repoDir }) };
}

/** The URL of `remote` in the clone at `repoDir` (credentials scrubbed), or undefined. */
export async function remoteUrlOf(repoDir: string, remote: string): Promise<string | undefined> {
  const url = await runGit(['remote', 'get-url', remote], { cwd: repoDir, allowFailure: true });
  return url.code === 0 ? scrubCredentials(url.stdout.toString('utf8').trim()) : undefined;
}

function lastLine(text: string): string {
  const lines = text
    .trim()
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return (lines[lines.length - 1] ?? 'unknown error').toLowerCase();
}

/** The default publisher: a fast-forward push of the branch. */
export const directPushPublisher: Publisher = {
  publish: (request) =>
    request.repo.push(request.commit, request.branch, { expected: request.parent ?? null }),
};

/** At most this many paths take `fastForwardOwnCommit`'s way (a record changes four). */
const OWN_COMMIT_MAX_PATHS = 16;

/**
 * The paths of a commit's changes when the read-after-write's usual case may take them (a few
 * plain files, added or changed), and the added ones; undefined for anything else.
 */
function ownCommitPaths(
  changes: readonly RawChange[],
): { readonly paths: readonly string[]; readonly added: readonly string[] } | undefined {
  if (changes.length === 0 || changes.length > OWN_COMMIT_MAX_PATHS) return undefined;
  const added: string[] = [];
  for (const c of changes) {
    if (c.newMode !== '100644' || (c.status === 'M' && c.oldMode !== '100644')) return undefined;
    if (c.status === 'A') added.push(c.path);
    else if (c.status !== 'M') return undefined;
  }
  return { paths: changes.map((c) => c.path), added };
}

/**
 * What `readCheckout()` saw: the branch checked out, where it points, and whether the tracked
 * files are clean; undefined when git failed (no work tree) or the header names no branch line.
 */
function parseCheckout(
  status: GitOutput,
):
  | { readonly branch: string | undefined; readonly oid: string | undefined; readonly clean: boolean }
  | undefined {
  if (status.code !== 0) return undefined;
  const lines = status.stdout.toString('utf8').split('\n');
  const header = (name: string): string | undefined =>
    lines.find((l) => l.startsWith(`# branch.${name} `))?.slice(`# branch.${name} `.length);
  const oid = header('oid');
  return {
    branch: header('head'),
    oid: oid === undefined || !/^[0-9a-f]{40,64}$/.test(oid) ? undefined : oid,
    clean: !lines.some((l) => l !== '' && !l.startsWith('#')),
  };
}

export interface RawChange {
  readonly oldMode: string;
  readonly newMode: string;
  readonly status: string;
  readonly path: string;
}

/** `diff-tree -r -z --raw` output as changes; undefined when it is not what git writes. */
function parseRawDiff(text: string): RawChange[] | undefined {
  const fields = text.split('\0');
  const changes: RawChange[] = [];
  for (let i = 0; i < fields.length; i += 2) {
    const head = fields[i] ?? '';
    if (head === '') break;
    const m = /^:([0-7]{6}) ([0-7]{6}) [0-9a-f]{40,64} [0-9a-f]{40,64} ([A-Z])$/.exec(head);
    const path = fields[i + 1];
    if (m === null || path === undefined || path === '') return undefined;
    changes.push({ oldMode: m[1] ?? '', newMode: m[2] ?? '', status: m[3] ?? '', path });
  }
  return changes;
}

/** Whether anything (a file, a directory, a dangling symlink) is at `path`, or in the way of it. */
async function pathExists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}
