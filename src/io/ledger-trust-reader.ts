// Reading the signed ledger out of git for the trust audit (docs/trust.md "What check verifies"):
// the day files and their logs (every segment) at a commit, and every first-parent commit that
// changed them with the texts before and after. Sizes are checked (`git cat-file --batch-check`)
// before any blob is read: a log segment over `ledgerLogBytes` (or past that many bytes of its log)
// or a day file over the day-file limit is not read; the audit reports the segment, and sees the day
// file as absent (its entries then have no signed state, which is a finding).
import type { TrustCommit, TrustDay, TrustWitness } from '../core/ledger-trust/audit.js';
import { dayPathOfLog, logSegmentOf, logSegments, type LogSegment } from '../core/ledger-trust/storage.js';
import { admitWithinBudget } from '../core/input/byte-budget.js';
import { limits, otherLimits } from '../core/input/limits.js';
import { runGit } from './git.js';

const MANIFEST = /\/manifest\.json$/;

function isLedgerFile(path: string, reportsDir: string): boolean {
  return path.startsWith(`${reportsDir}/`) && (MANIFEST.test(path) || dayPathOfLog(path) !== undefined);
}

function limitFor(path: string): number {
  return MANIFEST.test(path) ? limits.dayFile.maxBytes : otherLimits.ledgerLogBytes;
}

interface BlobHeader {
  readonly oid: string;
  /** bytes, or undefined when the name is no blob or the blob is over its limit (not read) */
  readonly size: number | undefined;
}

/** Sizes of blobs by name (`<commit>:<path>`), one `--batch-check` call; nothing is read. */
async function headersOf(repoDir: string, names: readonly string[]): Promise<BlobHeader[]> {
  if (names.length === 0) return [];
  const check = await runGit(['cat-file', '--batch-check=%(objectname) %(objecttype) %(objectsize)'], {
    cwd: repoDir,
    input: `${names.join('\n')}\n`,
  });
  const lines = check.stdout.toString('utf8').split('\n');
  return names.map((name, index) => {
    const [oid = '', type = '', size = ''] = (lines[index] ?? '').split(' ');
    const path = name.slice(name.indexOf(':') + 1);
    return { oid, size: type === 'blob' && Number(size) <= limitFor(path) ? Number(size) : undefined };
  });
}

/** The texts of the blobs whose size is known (within their limits), undefined for the others. */
async function readHeaders(repoDir: string, headers: readonly BlobHeader[]): Promise<(string | undefined)[]> {
  const out: (string | undefined)[] = headers.map(() => undefined);
  const wanted = headers.flatMap((h, index) => (h.size === undefined ? [] : [{ index, oid: h.oid }]));
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

/**
 * The day files and their logs at `commit`, every segment of each log (docs/trust.md "Storage
 * layout"). A segment over `ledgerLogBytes`, past that many bytes of its log's segments together,
 * or past `logsBudget` bytes of every day's logs together (the largest first), is listed but not
 * read (`text` undefined: the audit reports it).
 */
export async function readTrustDaysAt(
  repoDir: string,
  commit: string,
  reportsDir: string,
  logsBudget: number = otherLimits.ledgerLogsReadBytes,
): Promise<TrustDay[]> {
  const listing = await runGit(
    ['ls-tree', '-r', '-z', '--name-only', '--full-tree', commit, '--', reportsDir],
    {
      cwd: repoDir,
    },
  );
  const days = new Map<
    string,
    { transitions: { path: string; n: number }[]; vsa: { path: string; n: number }[] }
  >();
  const dayOf = (path: string) => {
    let day = days.get(path);
    if (day === undefined) {
      day = { transitions: [], vsa: [] };
      days.set(path, day);
    }
    return day;
  };
  for (const p of listing.stdout.toString('utf8').split('\0')) {
    if (p === '' || !isLedgerFile(p, reportsDir)) continue;
    const seg = logSegmentOf(p);
    if (seg === undefined) dayOf(p);
    else dayOf(seg.day)[seg.kind].push({ path: p, n: seg.n });
  }
  const paths = [...days.keys()].sort();
  const names: string[] = [];
  for (const path of paths) {
    const day = days.get(path)!;
    day.transitions.sort((a, b) => a.n - b.n);
    day.vsa.sort((a, b) => a.n - b.n);
    names.push(path, ...day.transitions.map((t) => t.path), ...day.vsa.map((v) => v.path));
  }
  const headers = await headersOf(
    repoDir,
    names.map((n) => `${commit}:${n}`),
  );
  // a log's segments together are bounded like one log: the rest are listed, not read
  let at = 0;
  for (const path of paths) {
    const day = days.get(path)!;
    at += 1;
    for (const kind of ['transitions', 'vsa'] as const) {
      let total = 0;
      for (let i = 0; i < day[kind].length; i++, at++) {
        const h = headers[at]!;
        total += h.size ?? 0;
        if (h.size !== undefined && total > otherLimits.ledgerLogBytes)
          headers[at] = { ...h, size: undefined };
      }
    }
  }
  // every day's logs together within `logsBudget`: a pusher can name one 256 MiB log under
  // hundreds of days for the price of one (the largest are not read, as for day files)
  const logs = headers.flatMap((h, i) => (!MANIFEST.test(names[i]!) && h.size !== undefined ? [i] : []));
  const admittedLogs = admitWithinBudget(
    logs.map((i) => headers[i]!.size!),
    logsBudget,
  );
  logs.forEach((i, k) => {
    if (admittedLogs[k] !== true) headers[i] = { ...headers[i]!, size: undefined };
  });
  // the day files together within `ledgerReadBytes`, as every reader of them (the largest not read)
  const manifests = headers.flatMap((h, i) => (MANIFEST.test(names[i]!) && h.size !== undefined ? [i] : []));
  const admitted = admitWithinBudget(
    manifests.map((i) => headers[i]!.size!),
    otherLimits.ledgerReadBytes,
  );
  manifests.forEach((i, k) => {
    if (admitted[k] !== true) headers[i] = { ...headers[i]!, size: undefined };
  });
  const texts = await readHeaders(repoDir, headers);
  let t = 0;
  return paths.map((path) => {
    const day = days.get(path)!;
    const manifest = texts[t++];
    const segments = (list: { path: string; n: number }[]): LogSegment[] | undefined =>
      list.length === 0 ? undefined : list.map((s) => ({ path: s.path, n: s.n, text: texts[t++] }));
    const transitions = segments(day.transitions);
    const vsa = segments(day.vsa);
    return { path, manifest, transitions, vsa };
  });
}

const RS = '\x1e';

/**
 * Bytes of blob texts one chunk of history holds at most (a single commit's changes are one chunk
 * whatever their size: each blob is within its own limit). History is read and audited chunk by
 * chunk, so `check` of a long or hostile history (each commit may rewrite a 32 MiB day file) holds
 * one chunk, not every version of every file.
 */
export const HISTORY_CHUNK_BYTES = 64 * 1024 * 1024;

/**
 * Every first-parent commit up to `commit` (after `since`, when given) that changed a day file or a
 * log, oldest first, with the texts before (first parent) and after, in chunks of at most
 * `chunkBytes` of texts.
 */
export async function* readTrustHistoryChunks(
  repoDir: string,
  commit: string,
  reportsDir: string,
  since?: string,
  chunkBytes: number = HISTORY_CHUNK_BYTES,
): AsyncGenerator<TrustCommit[]> {
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
  const headers = await headersOf(repoDir, names);
  // one commit's day files together within `ledgerReadBytes` (a chunk holds at least one commit)
  let from = 0;
  for (const r of records) {
    const span = 2 * r.paths.length;
    const idx = Array.from({ length: span }, (_, k) => from + k).filter(
      (i) => headers[i]!.size !== undefined && MANIFEST.test(names[i]!),
    );
    const admitted = admitWithinBudget(
      idx.map((i) => headers[i]!.size!),
      otherLimits.ledgerReadBytes,
    );
    idx.forEach((i, k) => {
      if (admitted[k] !== true) headers[i] = { ...headers[i]!, size: undefined };
    });
    from += span;
  }
  let at = 0; // the first name of the chunk
  let next = 0; // the first record of the chunk
  while (next < records.length) {
    let end = next;
    let bytes = 0;
    let namesEnd = at;
    do {
      bytes += recordBytes(records[end]!, headers, namesEnd);
      namesEnd += 2 * records[end]!.paths.length;
      end += 1;
    } while (end < records.length && bytes + recordBytes(records[end]!, headers, namesEnd) <= chunkBytes);
    const texts = await readHeaders(repoDir, headers.slice(at, namesEnd));
    let t = 0;
    yield records.slice(next, end).map((r) => ({
      commit: r.hash,
      changes: r.paths.map((path) => {
        const before = texts[t++];
        const after = texts[t++];
        return {
          path,
          ...(before === undefined ? {} : { before }),
          ...(after === undefined ? {} : { after }),
        };
      }),
    }));
    at = namesEnd;
    next = end;
  }
}

/** Bytes of the texts (before and after) of one record, whose names start at `from`. */
function recordBytes(
  record: { paths: readonly string[] },
  headers: readonly BlobHeader[],
  from: number,
): number {
  let bytes = 0;
  for (let i = from; i < from + 2 * record.paths.length; i++) bytes += headers[i]!.size ?? 0;
  return bytes;
}

/** The whole history at once (`readTrustHistoryChunks` concatenated): small ledgers and tests. */
export async function readTrustHistoryAt(
  repoDir: string,
  commit: string,
  reportsDir: string,
  since?: string,
): Promise<TrustCommit[]> {
  const out: TrustCommit[] = [];
  for await (const chunk of readTrustHistoryChunks(repoDir, commit, reportsDir, since)) out.push(...chunk);
  return out;
}

/** The logs at `commit`: what a witness keeps of the last verified head. */
export async function readTrustWitnessAt(
  repoDir: string,
  commit: string,
  reportsDir: string,
): Promise<TrustWitness> {
  const logs: { path: string; text: string }[] = [];
  for (const day of await readTrustDaysAt(repoDir, commit, reportsDir)) {
    for (const kind of ['transitions', 'vsa'] as const) {
      for (const seg of logSegments(day.path, kind, day[kind])) {
        if (seg.text !== undefined) logs.push({ path: seg.path, text: seg.text });
      }
    }
  }
  return { commit, logs };
}
