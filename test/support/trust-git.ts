// Reading a signed ledger out of real git for the trust audit: the day files and their logs at a
// ref, and every first-parent commit that changed them with the before/after texts. This is what
// the ledger repository adapter will do for `check` in phase B; here it is plain git so the tests
// of the pure audit run on histories git really made.
import type { TrustCommit, TrustDay, TrustWitness } from '../../src/core/ledger-trust/audit.js';
import {
  dayPathOfLog,
  logSegmentOf,
  logSegments,
  type LogSegment,
} from '../../src/core/ledger-trust/storage.js';
import { git, showFile } from './git.js';

const REPORTS = 'docs/reports';

function isLedgerFile(path: string): boolean {
  return (
    path.startsWith(`${REPORTS}/`) && (path.endsWith('/manifest.json') || dayPathOfLog(path) !== undefined)
  );
}

/** The day files and logs at `ref`, every segment of each log. */
export async function readTrustDays(repo: string, ref: string): Promise<TrustDay[]> {
  const listing = await git(repo, ['ls-tree', '-r', '--name-only', ref, '--', REPORTS]);
  const days = new Map<string, { transitions: LogSegment[]; vsa: LogSegment[] }>();
  for (const p of listing.split('\n').filter(isLedgerFile)) {
    const seg = logSegmentOf(p);
    const day = seg?.day ?? p;
    const entry = days.get(day) ?? { transitions: [], vsa: [] };
    days.set(day, entry);
    if (seg !== undefined) entry[seg.kind].push({ path: p, n: seg.n, text: await showFile(repo, ref, p) });
  }
  const out: TrustDay[] = [];
  for (const [path, logs] of [...days].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out.push({
      path,
      manifest: await showFile(repo, ref, path),
      transitions: logs.transitions.length === 0 ? undefined : logs.transitions,
      vsa: logs.vsa.length === 0 ? undefined : logs.vsa,
    });
  }
  return out;
}

/** Every first-parent commit up to `ref` (after `since`, when given) that changed a day file or a log. */
export async function readTrustHistory(repo: string, ref: string, since?: string): Promise<TrustCommit[]> {
  const range = since === undefined ? ref : `${since}..${ref}`;
  const commits = (
    await git(repo, ['log', '--first-parent', '--reverse', '--format=%H', range, '--', REPORTS])
  )
    .split('\n')
    .filter((c) => c !== '');
  const out: TrustCommit[] = [];
  for (const commit of commits) {
    const parent = await git(repo, ['rev-parse', '--verify', '--quiet', `${commit}^1`]).catch(
      () => undefined,
    );
    const names = await git(repo, [
      'diff-tree',
      '-r',
      '--no-commit-id',
      '--name-only',
      ...(parent === undefined ? ['--root'] : [parent]),
      commit,
      '--',
      REPORTS,
    ]);
    const changes = [];
    for (const path of names.split('\n').filter(isLedgerFile)) {
      const before = parent === undefined ? undefined : await showFile(repo, parent, path);
      const after = await showFile(repo, commit, path);
      changes.push({
        path,
        ...(before === undefined ? {} : { before }),
        ...(after === undefined ? {} : { after }),
      });
    }
    out.push({ commit, changes });
  }
  return out;
}

/** The logs at `ref`: what a witness keeps of the last verified head. */
export async function readTrustWitness(repo: string, ref: string): Promise<TrustWitness> {
  const commit = await git(repo, ['rev-parse', ref]);
  const logs: { path: string; text: string }[] = [];
  for (const day of await readTrustDays(repo, commit)) {
    for (const kind of ['transitions', 'vsa'] as const) {
      for (const seg of logSegments(day.path, kind, day[kind]))
        if (seg.text !== undefined) logs.push({ path: seg.path, text: seg.text });
    }
  }
  return { commit, logs };
}
