// The two questions the ledger engine asks a clone when it opens it (`GitLedgerRepo.open`): its
// config, and its object store, kind and paths. Here, apart from the adapter, so bin.ts can start
// them for `record` and `flush` while the CLI's modules load (issue 14 performance): by the time
// the engine opens the clone, git has answered. The clone's object reader (`git cat-file --batch`)
// starts with them: forked while Node's heap is small, and running before the first read.
import { prestartGit, prestartObjectReader } from './git.js';

export const CONFIG_LIST_ARGS: readonly string[] = ['config', '-z', '--list'];

/** `rev-parse` of the object store, bareness, `extra` and the git directory, in that order. */
export function revParseArgs(extra: readonly string[]): string[] {
  return ['rev-parse', '--git-path', 'objects', '--is-bare-repository', ...extra, '--absolute-git-dir'];
}

/**
 * Starts both questions in `repoDir`, and the object reader the clone is read through;
 * `GitLedgerRepo.open` of the same directory takes the answers and the reader.
 */
export function prestartCloneProbe(repoDir: string): void {
  prestartGit(CONFIG_LIST_ARGS, repoDir);
  prestartGit(revParseArgs(['--show-toplevel']), repoDir);
  prestartObjectReader(repoDir);
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
