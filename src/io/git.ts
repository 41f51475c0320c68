// A small runner for the real `git` binary: no shell, coded errors, credentials scrubbed from
// everything it reports. Adapters above it never touch the user's working tree.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SlsaLedgerError, UnavailableError, type ErrorCode } from '../errors.js';
import { scrubUrlCredentials } from '../core/redact/redact.js';

export interface GitRunOptions {
  /** the directory git runs in */
  readonly cwd: string;
  /**
   * written to git's stdin (a list is written part by part, never copied into one buffer; a promise
   * when it settles, git waiting meanwhile: `startGitFedLater`)
   */
  readonly input?: string | Uint8Array | readonly (string | Uint8Array)[] | PromiseLike<string>;
  /** added to the environment git runs with */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** return a non-zero exit instead of throwing */
  readonly allowFailure?: boolean;
  /** code of the error thrown on a non-zero exit (default `LEDGER_GIT_FAILED`) */
  readonly errorCode?: ErrorCode;
}

export interface GitOutput {
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/**
 * `https://user:token@host` -> `https://***@host` and `?access_token=…` -> `?access_token=***`, so a
 * remote URL (or git's stderr quoting it) never leaks a token: the userinfo up to the last `@` of
 * the authority, even with a raw `@` or space pasted in the password, and every query parameter
 * named like a credential (src/core/redact/redact.ts `scrubUrlCredentials`, the one list).
 */
export function scrubCredentials(text: string): string {
  return scrubUrlCredentials(text);
}

function baseEnv(extra: Readonly<Record<string, string | undefined>> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // never wait for a password on a terminal; messages in one language so they can be matched
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: process.env.GIT_ASKPASS ?? 'echo',
    LC_ALL: 'C',
    LANGUAGE: 'C',
    // objects are what their ids name: a `refs/replace/*` pushed by anyone with push access and
    // fetched by a mirror (`+refs/*:refs/*`) would otherwise swap a day file, a signed log or a
    // commit for another under the same id (git-replace(1)), past the witness and the watermark
    GIT_NO_REPLACE_OBJECTS: '1',
  };
  for (const [k, v] of Object.entries(extra ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Commands started before they were asked for (`prestartGit`), by directory and arguments. */
const prestarted = new Map<string, Promise<GitOutput>>();
const prestartKey = (args: readonly string[], cwd: string): string => `${resolve(cwd)}\0${args.join('\0')}`;

/**
 * Starts `git args…` in `cwd` now, for the `runGit(args, { cwd, allowFailure: true })` that will
 * ask for it (once; any other call runs its own). For read-only questions whose answer cannot
 * change in between: bin.ts asks a `record`'s or `flush`'s clone for its config and paths while
 * the CLI's modules load, so the answer is there when the ledger engine opens the clone.
 */
export function prestartGit(args: readonly string[], cwd: string): void {
  const running = runGit(args, { cwd, allowFailure: true });
  running.catch(() => undefined); // rejected only if git cannot start: the caller sees it when it asks
  prestarted.set(prestartKey(args, cwd), running);
}

/** Object readers started before they were asked for (`prestartObjectReader`), by directory. */
const prestartedReaders = new Map<string, GitObjectReader>();

/**
 * Starts a `git cat-file --batch` in `cwd` now, for the ledger repository opened on the same
 * directory to take (`takeObjectReader`): bin.ts starts one for `record` and `flush` with the clone
 * probe, so its process is forked while the CLI loads, when Node's heap is small (each fork costs
 * Node's main thread more the more memory it has written: issue 14 performance, docs/ledger.md
 * "Twenty-seventh session"). Safe to start early: cat-file looks each object up when asked (a loose
 * object by its path, a pack it does not know yet after a miss), and an idle reader holds Node's
 * event loop open no more than a reader nobody asks does.
 */
export function prestartObjectReader(cwd: string): void {
  const dir = resolve(cwd);
  const reader = new GitObjectReader(dir);
  reader.start();
  prestartedReaders.set(dir, reader);
}

/** The reader `prestartObjectReader` started in `cwd` (once), or undefined. */
export function takeObjectReader(cwd: string): GitObjectReader | undefined {
  const dir = resolve(cwd);
  const reader = prestartedReaders.get(dir);
  prestartedReaders.delete(dir);
  return reader;
}

/** Runs `git args…`; throws a coded error on a non-zero exit unless `allowFailure`. */
export function runGit(args: readonly string[], options: GitRunOptions): Promise<GitOutput> {
  if (
    prestarted.size > 0 &&
    options.allowFailure === true &&
    options.input === undefined &&
    options.env === undefined
  ) {
    const key = prestartKey(args, options.cwd);
    const running = prestarted.get(key);
    if (running !== undefined) {
      prestarted.delete(key);
      return running;
    }
  }
  return new Promise((resolve, reject) => {
    const child = spawn('git', [...args], {
      cwd: options.cwd,
      env: baseEnv(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => undefined); // git may exit before reading all input
    child.on('error', (error: NodeJS.ErrnoException) => {
      const message =
        error.code === 'ENOENT'
          ? `cannot run git in ${options.cwd}: git is not installed or the directory does not exist`
          : `cannot run git: ${error.message}`;
      reject(
        new UnavailableError('LEDGER_GIT_FAILED', message, { cause: error, details: { args: [...args] } }),
      );
    });
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(out);
      const stderr = scrubCredentials(Buffer.concat(err).toString('utf8'));
      const status = code ?? (signal === null ? 1 : 128);
      if (status !== 0 && options.allowFailure !== true) {
        const first = stderr.trim().split('\n').slice(-3).join('; ') || `exit ${status}`;
        reject(
          new SlsaLedgerError(
            options.errorCode ?? 'LEDGER_GIT_FAILED',
            `git ${scrubCredentials(args[0] ?? '')} failed: ${first.toLowerCase()}`,
            {
              details: { args: args.map(scrubCredentials), exitCode: status, stderr: stderr.slice(0, 4000) },
            },
          ),
        );
        return;
      }
      resolve({ code: status, stdout, stderr });
    });
    const input = options.input;
    if (input === undefined) child.stdin.end();
    else if (typeof input === 'string' || input instanceof Uint8Array) child.stdin.end(input);
    else if ('then' in input)
      input.then(
        (text) => child.stdin.end(text),
        () => child.stdin.end(),
      );
    else {
      for (const part of input) child.stdin.write(part);
      child.stdin.end();
    }
  });
}

/** A git process started ahead of its input (`startGitFedLater`). */
export interface GitFedLater {
  /** writes `input` to its stdin and closes it; its output once it exits (the same promise each call) */
  feed(input: string): Promise<GitOutput>;
  /** closes its stdin empty (idempotent; nothing once fed): for a command that then does nothing */
  cancel(): void;
}

/**
 * Starts `git args…` now, reading its stdin only when `feed` is called: git starts (Node's spawn,
 * git's own start) while the caller waits for something else, and runs as soon as it is fed. Only
 * for commands that do nothing on an empty input (`update-ref --stdin`; `restore
 * --pathspec-from-file=-`, which refuses with no path: `checkout <commit> --pathspec-from-file=-`
 * would switch to the commit instead), since a caller that dies closes its stdin empty too. Never
 * throws: the output says how git exited.
 */
export function startGitFedLater(
  args: readonly string[],
  options: Omit<GitRunOptions, 'input'>,
): GitFedLater {
  let give: (input: string) => void = () => undefined;
  const input = new Promise<string>((resolve) => {
    give = resolve;
  });
  const running = runGit(args, { ...options, input, allowFailure: true }).catch(
    (error: unknown): GitOutput => ({ code: 128, stdout: Buffer.alloc(0), stderr: (error as Error).message }),
  );
  return {
    feed(text) {
      give(text);
      return running;
    },
    cancel() {
      give('');
    },
  };
}

/** `git args…` and its stdout as text, without the final newline. */
export async function gitText(args: readonly string[], options: GitRunOptions): Promise<string> {
  const { stdout } = await runGit(args, options);
  return stdout.toString('utf8').replace(/\n$/, '');
}

/** One entry of `git ls-tree -r -z`. */
export interface TreeEntry {
  readonly mode: string;
  readonly type: string;
  readonly oid: string;
  readonly path: string;
}

/** Lists the files under `prefix` in `treeish` (recursive). */
export async function listTree(cwd: string, treeish: string, prefix: string): Promise<TreeEntry[]> {
  const { stdout } = await runGit(['ls-tree', '-r', '-z', '--full-tree', treeish, '--', prefix], { cwd });
  const entries: TreeEntry[] = [];
  for (const record of stdout.toString('utf8').split('\0')) {
    if (record === '') continue;
    const tab = record.indexOf('\t');
    const [mode = '', type = '', oid = ''] = record.slice(0, tab).split(' ');
    entries.push({ mode, type, oid, path: record.slice(tab + 1) });
  }
  return entries;
}

/**
 * Reads many objects at once with `git cat-file --batch`, in the order asked. Names are object ids
 * or `<rev>:<path>`; a name that does not exist gives undefined.
 */
export async function readObjects(cwd: string, names: readonly string[]): Promise<(Buffer | undefined)[]> {
  if (names.length === 0) return [];
  for (const name of names) {
    if (/[\n\r]/.test(name))
      throw new SlsaLedgerError('INTERNAL', 'object names must not contain line breaks');
  }
  const { stdout } = await runGit(['cat-file', '--batch'], { cwd, input: `${names.join('\n')}\n` });
  const blobs: (Buffer | undefined)[] = [];
  let at = 0;
  for (const name of names) {
    const nl = stdout.indexOf(0x0a, at);
    if (nl === -1) throw new SlsaLedgerError('LEDGER_GIT_FAILED', `git cat-file stopped before ${name}`);
    const header = stdout.subarray(at, nl).toString('utf8');
    if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
      blobs.push(undefined);
      at = nl + 1;
      continue;
    }
    const size = Number(header.split(' ')[2]);
    if (!Number.isSafeInteger(size)) {
      throw new SlsaLedgerError('LEDGER_GIT_FAILED', `git cat-file cannot read ${name}: ${header}`);
    }
    const start = nl + 1;
    blobs.push(stdout.subarray(start, start + size));
    at = start + size + 1;
  }
  return blobs;
}

/** One object as `git cat-file --batch` gives it. */
export interface GitObject {
  readonly oid: string;
  readonly type: string;
  readonly bytes: Buffer;
}

/** An object larger than the bound a read was given: its contents were never read. */
export interface GitObjectTooLarge {
  readonly oid: string;
  readonly type: string;
  readonly size: number;
  readonly tooLarge: true;
}

interface PendingRead {
  readonly name: string;
  /** larger objects are answered as `GitObjectTooLarge` (see `readWithin`) */
  readonly maxBytes: number | undefined;
  readonly resolve: (value: GitObject | GitObjectTooLarge | undefined) => void;
  readonly reject: (error: Error) => void;
}

/**
 * One long-lived `git cat-file --batch` for many reads, one request at a time as the caller needs
 * them (a writer resolves the fetched head, then reads the key index shard, then the day files,
 * then the day's transition log: one git process instead of four). The process never keeps Node
 * alive while idle (its handles are unreferenced between requests) and ends when `close` is
 * called or when Node exits (git sees the end of its input). A reader is opened after a fetch:
 * objects and refs a later fetch brings need a new one.
 */
export class GitObjectReader {
  private child: ReturnType<typeof spawn> | undefined;
  private readonly queue: PendingRead[] = [];
  private chunks: Buffer[] = [];
  private buffered = 0;
  private failed: Error | undefined;

  constructor(private readonly cwd: string) {}

  /** The object `name` names (an id, `<rev>:<path>`, `<ref>^{commit}`), or undefined when there is none. */
  read(name: string): Promise<GitObject | undefined> {
    return this.request(name, undefined) as Promise<GitObject | undefined>;
  }

  /**
   * Like `read`, for an object that may be hostile: one larger than `maxBytes` is answered with
   * its size only. Its contents are never read: the process is ended as soon as its header says
   * so (a blob of any size costs nothing) and the reads queued behind it go to a new one.
   */
  readWithin(name: string, maxBytes: number): Promise<GitObject | GitObjectTooLarge | undefined> {
    return this.request(name, maxBytes);
  }

  private request(
    name: string,
    maxBytes: number | undefined,
  ): Promise<GitObject | GitObjectTooLarge | undefined> {
    if (/[\n\r]/.test(name))
      return Promise.reject(new SlsaLedgerError('INTERNAL', 'object names must not contain line breaks'));
    if (this.failed !== undefined) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => this.enqueue({ name, maxBytes, resolve, reject }));
  }

  private enqueue(pending: PendingRead): void {
    const child = this.start();
    this.queue.push(pending);
    this.setActive(true);
    child.stdin!.write(`${pending.name}\n`);
  }

  /** Ends the process (later reads start a new one). */
  close(): void {
    const child = this.child;
    this.child = undefined;
    if (child === undefined) return;
    child.stdin?.end();
    this.fail(new SlsaLedgerError('LEDGER_GIT_FAILED', 'git cat-file was closed before it answered'));
    this.failed = undefined;
  }

  /** Starts the process (a request starts it too); an idle one holds no event loop open. */
  start(): ReturnType<typeof spawn> {
    if (this.child !== undefined) return this.child;
    const child = spawn('git', ['cat-file', '--batch'], {
      cwd: this.cwd,
      env: baseEnv(undefined),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    this.chunks = [];
    this.buffered = 0;
    const err: Buffer[] = [];
    child.stdin.on('error', () => undefined);
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdout.on('data', (b: Buffer) => {
      // a process ended early (an object over its bound) may still deliver what it had written
      if (this.child !== child) return;
      this.chunks.push(b);
      this.buffered += b.length;
      this.drain();
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (this.child !== child) return;
      this.fail(
        new UnavailableError('LEDGER_GIT_FAILED', `cannot run git: ${error.message}`, { cause: error }),
      );
    });
    child.on('close', (code) => {
      // a process closed or replaced before it ended answers nobody any more
      if (this.child !== child) return;
      this.child = undefined;
      const stderr = scrubCredentials(Buffer.concat(err).toString('utf8')).trim();
      this.fail(
        new SlsaLedgerError(
          'LEDGER_GIT_FAILED',
          `git cat-file ended (exit ${code ?? 'signal'}): ${stderr.split('\n').slice(-3).join('; ').toLowerCase()}`,
        ),
      );
    });
    this.setActive(false, child);
    return child;
  }

  /** Holds Node's event loop open only while a request waits for its answer. */
  private setActive(active: boolean, child = this.child): void {
    if (child === undefined) return;
    const handles = [child.stdin, child.stdout, child.stderr] as unknown as ({
      ref?: () => void;
      unref?: () => void;
    } | null)[];
    if (active) {
      child.ref();
      for (const h of handles) h?.ref?.();
    } else {
      child.unref();
      for (const h of handles) h?.unref?.();
    }
  }

  private fail(error: Error): void {
    if (this.queue.length === 0) return;
    this.failed = error;
    for (const p of this.queue.splice(0)) p.reject(error);
  }

  private drain(): void {
    for (;;) {
      const next = this.queue[0];
      if (next === undefined || this.buffered === 0) return;
      // the header is short: join chunks only until it is complete
      let first = this.chunks[0]!;
      let nl = first.indexOf(0x0a);
      if (nl === -1) {
        if (this.chunks.length === 1) return;
        first = Buffer.concat(this.chunks);
        this.chunks = [first];
        nl = first.indexOf(0x0a);
        if (nl === -1) return;
      }
      const header = first.subarray(0, nl).toString('utf8');
      if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
        this.take(nl + 1);
        this.answer(undefined);
        continue;
      }
      const [oid = '', type = '', sizeText = ''] = header.split(' ');
      const size = Number(sizeText);
      if (!/^[0-9a-f]{40,64}$/.test(oid) || !Number.isSafeInteger(size) || size < 0) {
        this.fail(
          new SlsaLedgerError('LEDGER_GIT_FAILED', `git cat-file cannot read ${next.name}: ${header}`),
        );
        this.close();
        return;
      }
      if (next.maxBytes !== undefined && size > next.maxBytes) {
        this.queue.shift()!.resolve({ oid, type, size, tooLarge: true });
        this.restart();
        return;
      }
      // a large object arrives in many chunks: they are joined once, when all of it is there
      if (this.buffered < nl + 1 + size + 1) return;
      const whole = this.take(nl + 1 + size + 1);
      this.answer({ oid, type, bytes: whole.subarray(nl + 1, nl + 1 + size) });
    }
  }

  /** Ends the process without reading the rest of its output; the reads still waiting go to a new one. */
  private restart(): void {
    const child = this.child;
    const waiting = this.queue.splice(0);
    this.child = undefined;
    this.chunks = [];
    this.buffered = 0;
    if (child !== undefined) {
      this.setActive(false, child);
      child.stdin?.end();
      child.kill('SIGKILL');
    }
    for (const pending of waiting) this.enqueue(pending);
  }

  /** Removes the first `n` buffered bytes and returns them as one buffer. */
  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    const rest = all.subarray(n);
    this.chunks = rest.length === 0 ? [] : [rest];
    this.buffered = rest.length;
    return all.subarray(0, n);
  }

  private answer(value: GitObject | GitObjectTooLarge | undefined): void {
    this.queue.shift()!.resolve(value);
    if (this.queue.length === 0) this.setActive(false);
  }
}

/**
 * `git rev-parse --symbolic-full-name REF`: the full ref name (`refs/remotes/origin/main`), or
 * undefined when REF names no ref. Git before 2.43 does not know `--end-of-options` here and
 * echoes it as a line of its own: that line is never the answer (it once was, which hid the
 * ledger's location from the trust audit and skipped the check that a statement was signed for
 * this ledger). A ref starting with `-` is refused before git sees it.
 */
export async function symbolicFullName(cwd: string, ref: string): Promise<string | undefined> {
  if (ref.startsWith('-')) return undefined;
  const r = await runGit(['rev-parse', '--symbolic-full-name', '--end-of-options', ref], {
    cwd,
    allowFailure: true,
  });
  if (r.code !== 0) return undefined;
  const lines = r.stdout
    .toString('utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && l !== '--end-of-options');
  return lines.length === 1 ? lines[0] : undefined;
}

/**
 * True when `ancestor` is `commit` or on its first-parent chain: the line of history the ledger's
 * writers build and `check` replays. `git merge-base --is-ancestor` alone is not enough for a
 * witness: a pusher can fast-forward the branch to a merge whose first parent is a rewritten line
 * (a run dropped) and whose second parent is the old head, so the old head is an ancestor while
 * the history every reader follows was rewritten. A pull request merged by GitHub keeps the base
 * as the first parent, so the writers' own histories always pass.
 */
export async function isFirstParentAncestor(cwd: string, ancestor: string, commit: string): Promise<boolean> {
  if (ancestor === commit) return true;
  const base = await runGit(['merge-base', '--is-ancestor', ancestor, commit], { cwd, allowFailure: true });
  if (base.code !== 0) return false;
  // the first-parent walk from `commit` stops at the first commit reachable from `ancestor`: when
  // `ancestor` is on the chain, that is `ancestor` itself, the first parent of the last commit listed
  const walk = await runGit(['rev-list', '--first-parent', '--parents', commit, `^${ancestor}`, '--'], {
    cwd,
    allowFailure: true,
  });
  if (walk.code !== 0) return false;
  return walk.stdout
    .toString('utf8')
    .split('\n')
    .some((line) => line.split(' ')[1] === ancestor);
}

/**
 * True when the clone holds every ancestor of `commit`: it is not shallow, or none of its shallow
 * boundaries is in `commit`'s history (a shallow checkout of another branch, as `actions/checkout`
 * makes, does not make the ledger branch fetched in full shallow).
 */
export async function hasCompleteHistory(cwd: string, commit: string): Promise<boolean> {
  const path = await runGit(['rev-parse', '--git-path', 'shallow'], { cwd, allowFailure: true });
  if (path.code !== 0) return false;
  let text: string;
  try {
    text = await readFile(resolve(cwd, path.stdout.toString('utf8').trim()), 'utf8');
  } catch {
    return true; // no shallow file: a complete clone
  }
  const boundaries = new Set(text.split('\n').filter((l) => l !== ''));
  if (boundaries.size === 0) return true;
  const roots = await runGit(['rev-list', '--max-parents=0', commit, '--'], { cwd, allowFailure: true });
  if (roots.code !== 0) return false;
  return !roots.stdout
    .toString('utf8')
    .split('\n')
    .some((r) => boundaries.has(r));
}
