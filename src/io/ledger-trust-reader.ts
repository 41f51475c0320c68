// Reading the signed ledger out of git for the trust audit (docs/trust.md "What check verifies"):
// the day files and their logs at a commit, and every first-parent commit that changed them with
// the texts before and after. Sizes are checked (`git cat-file --batch-check`) before any blob is
// read: a log over `ledgerLogBytes` or a day file over the day-file limit is not read, and the
// audit sees it as absent (its entries then have no signed state, which is a finding).
import type { TrustCommit, TrustDay, TrustWitness } from '../core/ledger-trust/audit.js';
import { dayPathOfLog, transitionsPathFor, vsaPathFor } from '../core/ledger-trust/storage.js';
import { limits, otherLimits } from '../core/input/limits.js';
import { runGit } from './git.js';

const MANIFEST = /\/manifest\.json$/;

function isLedgerFile(path: string, reportsDir: string): boolean {
  return path.startsWith(`${reportsDir}/`) && (MANIFEST.test(path) || dayPathOfLog(path) !== undefined);
}

function limitFor(path: string): number {
  return MANIFEST.test(path) ? limits.dayFile.maxBytes : otherLimits.ledgerLogBytes;
}

/**
 * Reads blobs by name (`<commit>:<path>`), undefined where absent or over its limit. Two batch
 * calls: sizes first, then only the blobs within their limits.
 */
async function readBounded(repoDir: string, names: readonly string[]): Promise<(string | undefined)[]> {
  if (names.length === 0) return [];
  const check = await runGit(['cat-file', '--batch-check=%(objectname) %(objecttype) %(objectsize)'], {
    cwd: repoDir,
    input: `${names.join('\n')}\n`,
  });
  const headers = check.stdout.toString('utf8').split('\n');
  const wanted: { index: number; oid: string }[] = [];
  names.forEach((name, index) => {
    const [oid = '', type = '', size = ''] = (headers[index] ?? '').split(' ');
    const path = name.slice(name.indexOf(':') + 1);
    if (type === 'blob' && Number(size) <= limitFor(path)) wanted.push({ index, oid });
  });
  const out: (string | undefined)[] = names.map(() => undefined);
  if (wanted.length === 0) return out;
  const { stdout } = await runGit(['cat-file', '--batch'], {
    cwd: repoDir,
    input: `${wanted.map((w) => w.oid).join('\n')}\n`,
  });
  let at = 0;
  for (const w of wanted) {
    const nl = stdout.indexOf(0x0a, at);
    if (nl === -1) break;
    const size = Number(stdout.subarray(at, nl).toString('utf8').split(' ')[2]);
    const start = nl + 1;
    out[w.index] = stdout.subarray(start, start + size).toString('utf8');
    at = start + size + 1;
  }
  return out;
}

/** The day files and their logs at `commit`. */
export async function readTrustDaysAt(
  repoDir: string,
  commit: string,
  reportsDir: string,
): Promise<TrustDay[]> {
  const listing = await runGit(
    ['ls-tree', '-r', '-z', '--name-only', '--full-tree', commit, '--', reportsDir],
    {
      cwd: repoDir,
    },
  );
  const days = new Set<string>();
  for (const p of listing.stdout.toString('utf8').split('\0')) {
    if (p !== '' && isLedgerFile(p, reportsDir)) days.add(dayPathOfLog(p) ?? p);
  }
  const paths = [...days].sort();
  const names = paths.flatMap((p) => [p, transitionsPathFor(p), vsaPathFor(p)].map((f) => `${commit}:${f}`));
  const blobs = await readBounded(repoDir, names);
  return paths.map((path, i) => ({
    path,
    manifest: blobs[3 * i],
    transitions: blobs[3 * i + 1],
    vsa: blobs[3 * i + 2],
  }));
}

const RS = '\x1e';

/**
 * Every first-parent commit up to `commit` (after `since`, when given) that changed a day file or a
 * log, oldest first, with the texts before (first parent) and after.
 */
export async function readTrustHistoryAt(
  repoDir: string,
  commit: string,
  reportsDir: string,
  since?: string,
): Promise<TrustCommit[]> {
  const log = await runGit(
    [
      'log',
      '--reverse',
      '--first-parent',
      '-m',
      '--no-renames',
      `--format=${RS}%H %P`,
      '--name-only',
      since === undefined ? commit : `${since}..${commit}`,
      '--',
      reportsDir,
    ],
    { cwd: repoDir },
  );
  const records = log.stdout
    .toString('utf8')
    .split(RS)
    .filter((r) => r.trim() !== '')
    .map((r) => {
      const [head = '', ...names] = r.split('\n');
      const [hash = '', parent] = head.trim().split(' ');
      const paths = [
        ...new Set(names.map((n) => n.trim()).filter((n) => n !== '' && isLedgerFile(n, reportsDir))),
      ];
      return { hash, parent: parent === '' ? undefined : parent, paths };
    })
    .filter((r) => r.paths.length > 0);
  const names = records.flatMap((r) =>
    r.paths.flatMap((p) => [
      r.parent === undefined ? `${r.hash}^:${p}` : `${r.parent}:${p}`,
      `${r.hash}:${p}`,
    ]),
  );
  const blobs = await readBounded(repoDir, names);
  let at = 0;
  return records.map((r) => ({
    commit: r.hash,
    changes: r.paths.map((path) => {
      const before = blobs[at++];
      const after = blobs[at++];
      return {
        path,
        ...(before === undefined ? {} : { before }),
        ...(after === undefined ? {} : { after }),
      };
    }),
  }));
}

/** The logs at `commit`: what a witness keeps of the last verified head. */
export async function readTrustWitnessAt(
  repoDir: string,
  commit: string,
  reportsDir: string,
): Promise<TrustWitness> {
  const logs: { path: string; text: string }[] = [];
  for (const day of await readTrustDaysAt(repoDir, commit, reportsDir)) {
    if (day.transitions !== undefined)
      logs.push({ path: transitionsPathFor(day.path), text: day.transitions });
    if (day.vsa !== undefined) logs.push({ path: vsaPathFor(day.path), text: day.vsa });
  }
  return { commit, logs };
}
