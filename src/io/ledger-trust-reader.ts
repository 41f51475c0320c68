// Reading the signed ledger out of git for the trust audit (docs/trust.md "What check verifies"):
// the day files and their logs (every segment) at a commit, listed first and then read in groups
// of days (docs/limits.md "Signed logs, day by day"), and every first-parent commit that changed
// them with the texts before and after, in chunks. Sizes are checked (`git cat-file --batch-check`)
// before any blob is read: a log segment over `ledgerLogBytes` (or past that many bytes of its log),
// a log blob named again past `ledgerLogsRepeatBytes`, or a day file over the day-file limit is not
// read; the audit reports the segment, and sees the day file as absent (its entries then have no
// signed state, which is a finding).
import type { TrustCommit, TrustDay } from '../core/ledger-trust/audit.js';
import { dayPathOfLog, logSegmentOf, type LogSegment } from '../core/ledger-trust/storage.js';
import { pathHasControlCharacter } from '../core/ledger/location.js';
import { admitWithinBudget } from '../core/input/byte-budget.js';
import { limits, otherLimits } from '../core/input/limits.js';
import { SlsaLedgerError } from '../errors.js';
import { listTree, runGit } from './git.js';

const MANIFEST = /\/manifest\.json$/;

/**
 * A path the trust audit reads as a day file or a log. Never one with a control character: the
 * writers write none, `git log` without `-z` quotes such a path (so history would never see it),
 * and a line break in it once split the `cat-file` batch it was named in, shifting every later
 * answer onto the next path (a planted path made the audit read an old signed day file and log
 * in place of the real ones, test/integration/trust/git-paths.test.ts).
 */
function isLedgerFile(path: string, reportsDir: string): boolean {
  return (
    path.startsWith(`${reportsDir}/`) &&
    !pathHasControlCharacter(path) &&
    (MANIFEST.test(path) || dayPathOfLog(path) !== undefined)
  );
}

function limitFor(path: string): number {
  return MANIFEST.test(path) ? limits.dayFile.maxBytes : otherLimits.ledgerLogBytes;
}

interface BlobHeader {
  readonly oid: string;
  /** bytes, or undefined when the name is no blob or the blob is over its limit (not read) */
  readonly size: number | undefined;
}

/**
 * Sizes of blobs, one `--batch-check` call; nothing is read. Each is named by `name` (an object id,
 * or `<commit>:<path>`) and bounded by the limit of `path`. git answers one line per line asked, so
 * a name holding a line break would shift every later answer: refused as a bug.
 */
async function headersOf(
  repoDir: string,
  names: readonly { readonly name: string; readonly path: string }[],
): Promise<BlobHeader[]> {
  if (names.length === 0) return [];
  if (names.some((n) => /[\n\r]/.test(n.name)))
    throw new SlsaLedgerError('INTERNAL', 'object names must not contain line breaks');
  const check = await runGit(['cat-file', '--batch-check=%(objectname) %(objecttype) %(objectsize)'], {
    cwd: repoDir,
    input: `${names.map((n) => n.name).join('\n')}\n`,
  });
  const lines = check.stdout.toString('utf8').split('\n');
  return names.map(({ path }, index) => {
    const [oid = '', type = '', size = ''] = (lines[index] ?? '').split(' ');
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

/** A blob of the ledger at a commit: its size from git, nothing read yet. */
interface ListedBlob {
  readonly path: string;
  readonly oid: string;
  /** bytes; undefined: present but not read (over a limit, or a repeat past the allowance) */
  readonly size: number | undefined;
  /** why it is not read, when it is a repeat past the allowance (the audit's finding says so) */
  readonly unread?: string;
}

interface ListedSegment extends ListedBlob {
  readonly n: number;
}

interface ListedDay {
  /** `docs/reports/<day>/manifest.json` */
  readonly path: string;
  /** undefined: no day file at this path (only logs) */
  readonly manifest: ListedBlob | undefined;
  readonly transitions: readonly ListedSegment[];
  readonly vsa: readonly ListedSegment[];
}

/**
 * What the ledger holds at a commit (every day file and log segment, with their sizes and which are
 * read), before any blob is read: the audit then reads it group by group (`readTrustDayGroups`).
 */
export interface TrustListing {
  readonly commit: string;
  /** by path */
  readonly days: readonly ListedDay[];
}

/**
 * Lists the day files and their logs at `commit` (every segment of each log, docs/trust.md "Storage
 * layout") and decides, from git's sizes alone, which are read: a segment over `ledgerLogBytes`, or
 * past that many bytes of its log's segments together, is listed but not read; so are the day files
 * past `ledgerReadBytes` together (the largest first). A log segment whose blob was already listed
 * under another path is read again only within `repeatBytes` of such repeats in all (the smallest
 * first): one blob named as the log of every day costs a pusher nothing, and each copy would be read
 * and verified again. A ledger's own logs are never byte-identical (each line is signed for its
 * day file), so the allowance is only for coincidences such as two empty logs.
 */
export async function listTrustDaysAt(
  repoDir: string,
  commit: string,
  reportsDir: string,
  repeatBytes: number = otherLimits.ledgerLogsRepeatBytes,
): Promise<TrustListing> {
  // the tree's own object ids (`ls-tree -z`), so no path is ever parsed back out of git's answers
  const listing = await listTree(repoDir, commit, reportsDir);
  const oidOf = new Map(listing.map((t) => [t.path, t.oid]));
  const days = new Map<
    string,
    { transitions: { path: string; n: number }[]; vsa: { path: string; n: number }[]; manifest: boolean }
  >();
  const dayOf = (path: string) => {
    let day = days.get(path);
    if (day === undefined) {
      day = { transitions: [], vsa: [], manifest: false };
      days.set(path, day);
    }
    return day;
  };
  for (const { path: p } of listing) {
    if (!isLedgerFile(p, reportsDir)) continue;
    const seg = logSegmentOf(p);
    if (seg === undefined) dayOf(p).manifest = true;
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
  const headers: (BlobHeader & { unread?: string })[] = await headersOf(
    repoDir,
    names.map((n) => ({ name: oidOf.get(n)!, path: n })),
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
  // a blob read again under another log path (in path order, the first is the one read): within
  // `repeatBytes` of repeats in all, the smallest first; the rest are listed, not read
  const firstPath = new Map<string, string>();
  const repeats: number[] = [];
  headers.forEach((h, i) => {
    if (MANIFEST.test(names[i]!) || h.size === undefined) return;
    if (firstPath.has(h.oid)) repeats.push(i);
    else firstPath.set(h.oid, names[i]!);
  });
  const admittedRepeats = admitWithinBudget(
    repeats.map((i) => headers[i]!.size!),
    repeatBytes,
  );
  repeats.forEach((i, k) => {
    if (admittedRepeats[k] === true) return;
    headers[i] = {
      ...headers[i]!,
      size: undefined,
      unread: `is the same blob as ${firstPath.get(headers[i]!.oid)!}: a blob named as more than one log is read again only within ${repeatBytes} bytes of such repeats (ledgerLogsRepeatBytes, the smallest first)`,
    };
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
  const blob = (i: number): ListedBlob => {
    const h = headers[i]!;
    return {
      path: names[i]!,
      oid: h.oid,
      size: h.size,
      ...(h.unread === undefined ? {} : { unread: h.unread }),
    };
  };
  let t = 0;
  return {
    commit,
    days: paths.map((path) => {
      const day = days.get(path)!;
      const manifest = day.manifest ? blob(t) : undefined;
      t += 1;
      const segments = (list: { path: string; n: number }[]): ListedSegment[] =>
        list.map((s) => ({ ...blob(t++), n: s.n }));
      const transitions = segments(day.transitions);
      const vsa = segments(day.vsa);
      return { path, manifest, transitions, vsa };
    }),
  };
}

/** One group of days read together: the days at the audited head, and the witness's logs of those days. */
export interface TrustDayGroup {
  readonly days: readonly TrustDay[];
  /** the witness's logs of the same day paths (readable ones), in path and segment order */
  readonly witnessLogs: readonly { readonly path: string; readonly text: string }[];
}

/** Bytes a listed day costs to read: its day file (when read) and its readable log segments. */
function listedBytes(day: ListedDay | undefined, manifests: boolean): number {
  if (day === undefined) return 0;
  let bytes = manifests ? (day.manifest?.size ?? 0) : 0;
  for (const s of [...day.transitions, ...day.vsa]) bytes += s.size ?? 0;
  return bytes;
}

/**
 * Reads the listed days group by group, in path order, each group holding at most `groupBytes` of
 * blobs (day files and logs, the witness's logs of the same days included; one day is a group
 * whatever its size: each of its blobs is within its own limit). So the audit of a ledger whose logs
 * together hold many GiB reads every one of them, holding one group at a time. With `witness`, the
 * groups cover the day paths of both listings, and each carries the witness's logs of its days.
 * `manifests: false` reads logs only (the witness's logs for the history replay).
 */
export async function* readTrustDayGroups(
  repoDir: string,
  listing: TrustListing,
  options: { witness?: TrustListing; groupBytes?: number; manifests?: boolean } = {},
): AsyncGenerator<TrustDayGroup> {
  const groupBytes = options.groupBytes ?? otherLimits.ledgerLogsReadBytes;
  const manifests = options.manifests ?? true;
  const head = new Map(listing.days.map((d) => [d.path, d]));
  const witness = new Map((options.witness?.days ?? []).map((d) => [d.path, d]));
  const paths = [...new Set([...head.keys(), ...witness.keys()])].sort();
  let from = 0;
  while (from < paths.length) {
    let to = from;
    let bytes = 0;
    do {
      const p = paths[to]!;
      bytes += listedBytes(head.get(p), manifests) + listedBytes(witness.get(p), false);
      to += 1;
    } while (
      to < paths.length &&
      bytes + listedBytes(head.get(paths[to]!), manifests) + listedBytes(witness.get(paths[to]!), false) <=
        groupBytes
    );
    const group = paths.slice(from, to);
    from = to;
    // one `cat-file --batch` per group: the head's blobs, then the witness's
    const wanted: BlobHeader[] = [];
    const want = (b: ListedBlob | undefined): number => {
      if (b === undefined || b.size === undefined) return -1;
      wanted.push({ oid: b.oid, size: b.size });
      return wanted.length - 1;
    };
    const plan = group.map((p) => {
      const h = head.get(p);
      const w = witness.get(p);
      return {
        path: p,
        head:
          h === undefined
            ? undefined
            : {
                manifest: manifests ? want(h.manifest) : -1,
                transitions: h.transitions.map((s) => ({ s, at: want(s) })),
                vsa: h.vsa.map((s) => ({ s, at: want(s) })),
              },
        witness: w === undefined ? [] : [...w.transitions, ...w.vsa].map((s) => ({ s, at: want(s) })),
      };
    });
    const texts = await readHeaders(repoDir, wanted);
    const text = (at: number): string | undefined => (at === -1 ? undefined : texts[at]);
    const days: TrustDay[] = [];
    const witnessLogs: { path: string; text: string }[] = [];
    for (const d of plan) {
      if (d.head !== undefined) {
        const segments = (list: { s: ListedSegment; at: number }[]): LogSegment[] | undefined =>
          list.length === 0
            ? undefined
            : list.map(({ s, at }) => ({
                path: s.path,
                n: s.n,
                text: text(at),
                ...(s.unread === undefined ? {} : { unread: s.unread }),
              }));
        days.push({
          path: d.path,
          manifest: text(d.head.manifest),
          transitions: segments(d.head.transitions),
          vsa: segments(d.head.vsa),
        });
      }
      for (const { s, at } of d.witness) {
        const t = text(at);
        if (t !== undefined) witnessLogs.push({ path: s.path, text: t });
      }
    }
    yield { days, witnessLogs };
  }
}

const RS = '\x1e';

/**
 * Bytes of blob texts one chunk of history holds at most (one day's changes in one commit are one
 * chunk whatever their size: each blob is within its own limit). History is read and audited chunk
 * by chunk, so `check` of a long or hostile history (each commit may rewrite a 32 MiB day file, or
 * name one 256 MiB log under hundreds of days) holds one chunk, not every version of every file.
 */
export const HISTORY_CHUNK_BYTES = 64 * 1024 * 1024;

/** The day path a ledger file belongs to (a log's day file, or the day file itself). */
const dayOfPath = (path: string): string => dayPathOfLog(path) ?? path;

/**
 * Every first-parent commit up to `commit` (after `since`, when given) that changed a day file or a
 * log, oldest first, with the texts before (first parent) and after, in chunks of at most
 * `chunkBytes` of texts. A commit whose changes are larger is split by day (a day's day file and
 * logs stay together: the replay checks them together), so one commit that names a 256 MiB log
 * under hundreds of days is read a day at a time; and within one commit a log blob named again under
 * another path is read again only within `ledgerLogsRepeatBytes` (the rest are not read, as over a
 * limit: the audit of the head reports them).
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
      // a day's day file and logs next to each other (in git's order otherwise): one unit below
      const byDay = new Map<string, string[]>();
      for (const n of new Set(names.map((n) => n.trim()))) {
        if (n === '' || !isLedgerFile(n, reportsDir)) continue;
        const day = byDay.get(dayOfPath(n));
        if (day === undefined) byDay.set(dayOfPath(n), [n]);
        else day.push(n);
      }
      return { hash, parent: parent === '' ? undefined : parent, paths: [...byDay.values()].flat() };
    })
    .filter((r) => r.paths.length > 0);
  const names = records.flatMap((r) =>
    r.paths.flatMap((p) => [
      r.parent === undefined ? `${r.hash}^:${p}` : `${r.parent}:${p}`,
      `${r.hash}:${p}`,
    ]),
  );
  const headers = await headersOf(
    repoDir,
    names.map((name) => ({ name, path: name.slice(name.indexOf(':') + 1) })),
  );
  const isManifest = (i: number): boolean => MANIFEST.test(names[i]!.slice(names[i]!.indexOf(':') + 1));
  // per commit: its day files together within `ledgerReadBytes`, its repeated log blobs within
  // `ledgerLogsRepeatBytes`; then its changes as units of one day each (names `from`..`to`)
  const units: { record: number; path: number; from: number; to: number; bytes: number }[] = [];
  let from = 0;
  records.forEach((r, ri) => {
    const span = 2 * r.paths.length;
    const idx = Array.from({ length: span }, (_, k) => from + k);
    const manifests = idx.filter((i) => headers[i]!.size !== undefined && isManifest(i));
    const admitted = admitWithinBudget(
      manifests.map((i) => headers[i]!.size!),
      otherLimits.ledgerReadBytes,
    );
    manifests.forEach((i, k) => {
      if (admitted[k] !== true) headers[i] = { ...headers[i]!, size: undefined };
    });
    const seen = new Set<string>();
    const repeats = idx.filter((i) => {
      const h = headers[i]!;
      if (h.size === undefined || isManifest(i)) return false;
      if (!seen.has(h.oid)) {
        seen.add(h.oid);
        return false;
      }
      return true;
    });
    const again = admitWithinBudget(
      repeats.map((i) => headers[i]!.size!),
      otherLimits.ledgerLogsRepeatBytes,
    );
    repeats.forEach((i, k) => {
      if (again[k] !== true) headers[i] = { ...headers[i]!, size: undefined };
    });
    let k = 0;
    while (k < r.paths.length) {
      const day = dayOfPath(r.paths[k]!);
      let end = k + 1;
      while (end < r.paths.length && dayOfPath(r.paths[end]!) === day) end += 1;
      let bytes = 0;
      for (let i = from + 2 * k; i < from + 2 * end; i++) bytes += headers[i]!.size ?? 0;
      units.push({ record: ri, path: k, from: from + 2 * k, to: from + 2 * end, bytes });
      k = end;
    }
    from += span;
  });
  let next = 0; // the first unit of the chunk
  while (next < units.length) {
    let end = next;
    let bytes = 0;
    do {
      bytes += units[end]!.bytes;
      end += 1;
    } while (end < units.length && bytes + units[end]!.bytes <= chunkBytes);
    const first = units[next]!.from;
    const texts = await readHeaders(repoDir, headers.slice(first, units[end - 1]!.to));
    const chunk: TrustCommit[] = [];
    for (const u of units.slice(next, end)) {
      const r = records[u.record]!;
      const changes = [];
      for (let i = u.from; i < u.to; i += 2) {
        const before = texts[i - first];
        const after = texts[i + 1 - first];
        changes.push({
          path: r.paths[u.path + (i - u.from) / 2]!,
          ...(before === undefined ? {} : { before }),
          ...(after === undefined ? {} : { after }),
        });
      }
      const last = chunk[chunk.length - 1];
      // the units of one commit in the same chunk are one commit again
      if (last !== undefined && last.commit === r.hash)
        chunk[chunk.length - 1] = { commit: r.hash, changes: [...last.changes, ...changes] };
      else chunk.push({ commit: r.hash, changes });
    }
    yield chunk;
    next = end;
  }
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

/**
 * The logs of a listing in groups of at most `groupBytes` (a day's logs whatever their size), without
 * the day files: the witness's logs, from which the history replay starts.
 */
export async function* readTrustLogGroups(
  repoDir: string,
  listing: TrustListing,
  groupBytes: number = otherLimits.ledgerLogsReadBytes,
): AsyncGenerator<{ readonly path: string; readonly text: string }[]> {
  for await (const group of readTrustDayGroups(
    repoDir,
    { commit: listing.commit, days: [] },
    {
      witness: listing,
      groupBytes,
    },
  ))
    yield [...group.witnessLogs];
}
