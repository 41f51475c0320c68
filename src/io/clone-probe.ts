// The two questions the ledger engine asks a clone when it opens it (`GitLedgerRepo.open`): its
// config, and its object store, kind and paths. Here, apart from the adapter, so bin.ts can start
// them for `record` and `flush` while the CLI's modules load (issue 14 performance): by the time
// the engine opens the clone, git has answered. The clone's object reader (`git cat-file --batch`)
// starts with them: forked while Node's heap is small, and running before the first read.
import { prestartGit, prestartObjectReader, runGit } from './git.js';

export const CONFIG_LIST_ARGS: readonly string[] = ['config', '-z', '--list'];

/** `rev-parse` of the object store, bareness, `extra` and the git directory, in that order. */
export function revParseArgs(extra: readonly string[]): string[] {
  return ['rev-parse', '--git-path', 'objects', '--is-bare-repository', ...extra, '--absolute-git-dir'];
}

/**
 * Starts both questions in `repoDir`, and the object reader the clone is read through;
 * `GitLedgerRepo.open` of the same directory takes the answers and the reader. Never throws: when
 * git cannot even be started there (`--repo` a file, a FIFO, a device, a symlink loop, a path under
 * a file: Node's spawn throws `ENOTDIR`/`ELOOP` at once), nothing is left prestarted, and the
 * command opens the clone the normal way, which reports the coded error (`LEDGER_NOT_FOUND`).
 */
export function prestartCloneProbe(repoDir: string): void {
  const config = CONFIG_LIST_ARGS;
  const paths = revParseArgs(['--show-toplevel']);
  prestartGit(config, repoDir);
  prestartGit(paths, repoDir);
  try {
    prestartObjectReader(repoDir);
  } catch {
    // the same spawn failed both questions: take their (rejected) answers back, unread, so the
    // normal path asks git itself and reports the coded error
    for (const args of [config, paths])
      runGit(args, { cwd: repoDir, allowFailure: true }).catch(() => undefined);
  }
}

/**
 * The directory a writer's argument list names with `--repo DIR` or `--repo=DIR` (the last one, as
 * the parser takes it), `.` without; undefined after `--` or when the value is missing. A guess
 * only: a wrong one costs two read-only git processes whose answers nobody takes.
 */
export function repoDirOfArgs(argv: readonly string[]): string | undefined {
  let dir = '.';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a === '--repo') {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('-')) return undefined;
      dir = v;
      i++;
    } else if (a.startsWith('--repo=')) dir = a.slice('--repo='.length);
  }
  return dir === '' ? undefined : dir;
}
