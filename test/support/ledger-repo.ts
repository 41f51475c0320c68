// A real git repository holding a ledger (docs/reports/<day>/manifest.json in canonical bytes),
// made in a temp dir with fixed identity and dates, for ingest tests.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { manifestPathFor, serializeManifest, type LedgerEntry } from '../../src/core/ledger/entry.js';

export interface LedgerRepo {
  readonly dir: string;
  /** writes the entries into their day files (replacing those files) and commits; returns the commit */
  commit(entries: readonly LedgerEntry[], message?: string): string;
  /** writes raw bytes to a repo path and commits */
  commitRaw(path: string, text: string, message?: string): string;
  head(): string;
  remove(): void;
}

function git(dir: string, args: string[]): string {
  return execFileSync('git', args, {
    cwd: dir,
    env: {
      ...process.env,
      GIT_AUTHOR_DATE: '2025-11-24T12:00:00Z',
      GIT_COMMITTER_DATE: '2025-11-24T12:00:00Z',
      GIT_CONFIG_NOSYSTEM: '1',
    },
    encoding: 'utf8',
  }).trim();
}

export function createLedgerRepo(): LedgerRepo {
  const dir = mkdtempSync(join(tmpdir(), 'slsa-ledger-repo-'));
  git(dir, ['init', '-q', '-b', 'main']);
  git(dir, ['config', 'user.email', 'test@example.com']);
  git(dir, ['config', 'user.name', 'test']);
  git(dir, ['config', 'commit.gpgsign', 'false']);
  git(dir, ['config', 'gc.auto', '0']);
  const repo: LedgerRepo = {
    dir,
    commit(entries, message = 'provenance: record') {
      const byFile = new Map<string, LedgerEntry[]>();
      for (const e of entries) {
        const path = manifestPathFor(e);
        byFile.set(path, [...(byFile.get(path) ?? []), e]);
      }
      for (const [path, list] of byFile) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), serializeManifest(list));
      }
      git(dir, ['add', '-A']);
      git(dir, ['commit', '-q', '--allow-empty', '-m', message]);
      return repo.head();
    },
    commitRaw(path, text, message = 'raw edit') {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
      git(dir, ['add', '-A']);
      git(dir, ['commit', '-q', '-m', message]);
      return repo.head();
    },
    head: () => git(dir, ['rev-parse', 'HEAD']),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  return repo;
}
