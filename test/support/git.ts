// Temporary git repositories for tests: a bare remote, clones with a fixed identity, signing and
// gc off, deterministic dates for the commits the helpers make.
import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { appendFile, chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

let tick = 0;

/** Environment for helper commits: fixed identity and a deterministic, increasing date. */
export function fixedGitEnv(): NodeJS.ProcessEnv {
  tick += 1;
  const date = `${1_700_000_000 + tick} +0000`;
  return {
    ...process.env,
    GIT_AUTHOR_NAME: 'Test Author',
    GIT_AUTHOR_EMAIL: 'author@example.test',
    GIT_COMMITTER_NAME: 'Test Author',
    GIT_COMMITTER_EMAIL: 'author@example.test',
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_DATE: date,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
  };
}

/**
 * The git commands a `GIT_TRACE2_EVENT` file recorded, in start order, each as `<command> <args…>`
 * (without `git`); none when the file is missing (no git process ran).
 */
export async function gitTraceCommands(trace: string): Promise<string[]> {
  return (await readFile(trace, 'utf8').catch(() => ''))
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { event: string; argv?: string[] })
    .filter((e) => e.event === 'start' && e.argv !== undefined)
    .map((e) => e.argv!.slice(1).join(' '));
}

/**
 * `fn`'s git commands (`GIT_TRACE2_EVENT`, set for the processes `fn` starts), as `<command>
 * <args…>`; the trace file goes under `dir`.
 */
export async function tracedGit<T>(
  dir: string,
  fn: () => Promise<T>,
): Promise<{ result: T; commands: string[] }> {
  const trace = join(dir, `trace-${Math.random().toString(36).slice(2)}.json`);
  const saved = process.env.GIT_TRACE2_EVENT;
  process.env.GIT_TRACE2_EVENT = trace;
  let result: T;
  try {
    result = await fn();
  } finally {
    if (saved === undefined) delete process.env.GIT_TRACE2_EVENT;
    else process.env.GIT_TRACE2_EVENT = saved;
  }
  return { result, commands: await gitTraceCommands(trace) };
}

/** Runs git in `cwd` and returns stdout without the final newline. */
export async function git(cwd: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const { stdout } = await exec('git', [...args], {
    cwd,
    env: env ?? fixedGitEnv(),
    maxBuffer: 256 * 1024 * 1024,
  });
  return stdout.replace(/\n$/, '');
}

export async function makeTempDir(
  prefix = 'slsa-ledger-test-',
): Promise<{ path: string; cleanup(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

const localConfig: readonly (readonly [string, string])[] = [
  ['user.name', 'Test Author'],
  ['user.email', 'author@example.test'],
  ['commit.gpgsign', 'false'],
  ['tag.gpgsign', 'false'],
  ['gc.auto', '0'],
  ['maintenance.auto', 'false'],
  ['core.autocrlf', 'false'],
];

/** Fixed identity, signing and gc off (appended to the repository's own config: one file write, no git calls). */
export async function configureRepo(dir: string, bare = false): Promise<void> {
  const sections = new Map<string, string[]>();
  for (const [k, v] of localConfig) {
    const [section = '', key = ''] = k.split('.');
    sections.set(section, [...(sections.get(section) ?? []), `\t${key} = ${v}`]);
  }
  const text = [...sections].map(([s, lines]) => `[${s}]\n${lines.join('\n')}\n`).join('');
  await appendFile(join(dir, bare ? '' : '.git', 'config'), text);
}

/** A bare repository with one initial commit on `main`, and a helper clone used to seed it. */
export async function createRemote(root: string, name = 'remote.git'): Promise<string> {
  const remote = join(root, name);
  await git(root, ['init', '--bare', '-q', '-b', 'main', remote]);
  await configureRepo(remote, true);
  const seed = join(root, `${name}-seed`);
  await git(root, ['init', '-q', '-b', 'main', seed]);
  await configureRepo(seed);
  await writeFile(join(seed, 'README.md'), '# test repository\n');
  await git(seed, ['add', 'README.md']);
  await git(seed, ['commit', '-q', '-m', 'initial commit']);
  await git(seed, ['remote', 'add', 'origin', remote]);
  await git(seed, ['push', '-q', 'origin', 'main']);
  return remote;
}

/** A clone of `remote` with the fixed local config. */
export async function cloneRemote(remote: string, dir: string): Promise<string> {
  await git(dirname(dir), ['clone', '-q', remote, dir]);
  await configureRepo(dir);
  return dir;
}

/** Writes files in a clone and commits them (no trailers unless given in `message`). */
export async function commitFiles(
  clone: string,
  files: Readonly<Record<string, string>>,
  message: string,
  options: { push?: boolean } = {},
): Promise<string> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(clone, path)), { recursive: true });
    await writeFile(join(clone, path), content);
    await git(clone, ['add', path]);
  }
  await git(clone, ['commit', '-q', '-m', message]);
  if (options.push === true) await git(clone, ['push', '-q', 'origin', 'HEAD:main']);
  return git(clone, ['rev-parse', 'HEAD']);
}

/** Installs a `pre-receive` hook in a bare repository that refuses pushes to `refs/heads/<branch>`. */
export async function installFreezeHook(remote: string, branch = 'main'): Promise<void> {
  const hook = join(remote, 'hooks', 'pre-receive');
  await writeFile(
    hook,
    `#!/bin/sh\nwhile read old new ref; do\n  if [ "$ref" = "refs/heads/${branch}" ]; then\n    echo "release freeze: ${branch} is closed" >&2\n    exit 1\n  fi\ndone\nexit 0\n`,
  );
  await chmod(hook, 0o755);
}

export async function removeFreezeHook(remote: string): Promise<void> {
  await rm(join(remote, 'hooks', 'pre-receive'), { force: true });
}

/** The file's text at `ref` of the repository, or undefined. */
export async function showFile(repo: string, ref: string, path: string): Promise<string | undefined> {
  try {
    const { stdout } = await exec('git', ['show', `${ref}:${path}`], {
      cwd: repo,
      maxBuffer: 256 * 1024 * 1024,
    });
    return stdout;
  } catch {
    return undefined;
  }
}

/** The built CLI (`npm run build`). */
export const BIN = fileURLToPath(new URL('../../dist/bin/slsa-ledger.js', import.meta.url));

export interface BinRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** wall time of the run */
  ms: number;
}

/** Runs the built CLI; `killAfterMs` sends SIGKILL to its whole process group. */
export function runBin(
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; stdin?: string; killAfterMs?: number },
): Promise<BinRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: options.killAfterMs !== undefined,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin ?? '');
    let timer: NodeJS.Timeout | undefined;
    if (options.killAfterMs !== undefined) {
      timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }, options.killAfterMs);
    }
    child.on('close', (code, signal) => {
      if (timer !== undefined) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}
