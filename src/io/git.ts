// A small runner for the real `git` binary: no shell, coded errors, credentials scrubbed from
// everything it reports. Adapters above it never touch the user's working tree.
import { spawn } from 'node:child_process';
import { SlsaLedgerError, UnavailableError, type ErrorCode } from '../errors.js';

export interface GitRunOptions {
  /** the directory git runs in */
  readonly cwd: string;
  /** written to git's stdin */
  readonly input?: string | Uint8Array;
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

/** `https://user:token@host` -> `https://***@host`, so a remote URL never leaks a token. */
export function scrubCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, '$1***@');
}

function baseEnv(extra: Readonly<Record<string, string | undefined>> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // never wait for a password on a terminal; messages in one language so they can be matched
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: process.env.GIT_ASKPASS ?? 'echo',
    LC_ALL: 'C',
    LANGUAGE: 'C',
  };
  for (const [k, v] of Object.entries(extra ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Runs `git args…`; throws a coded error on a non-zero exit unless `allowFailure`. */
export function runGit(args: readonly string[], options: GitRunOptions): Promise<GitOutput> {
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
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
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
