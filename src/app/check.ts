// `check`: audit the ledger at a commit: the day files (schema, order, canonical bytes, duplicates
// across days) and the history of every commit that touched them (trailers, Manifest-Sha256,
// foreign runs, the merge rule, signatures), and whether the head still descends from the last
// head this clone verified (the witness). Reads with git, decides in src/core/ledger/check.ts.
// Every blob is read bounded (src/io/ledger-reader.ts): a hostile blob is a finding, never a crash.
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { otherLimits } from '../core/input/limits.js';
import { parseJson } from '../core/input/strict-json.js';
import {
  HistoryAudit,
  findManifestProblems,
  findUnexpectedPaths,
  type CheckFinding,
  type LedgerCommit,
  type ManifestChange,
  type ManifestSnapshot,
} from '../core/ledger/check.js';
import { manifestDayOf, type LedgerEntry } from '../core/ledger/entry.js';
import {
  checkKeyIndex,
  isKeyIndexLastText,
  KEY_INDEX_VERSION,
  keyIndexDir,
  keyIndexLastPath,
  keyIndexShard,
  keyIndexShardPath,
  keyIndexVersionPath,
  parseKeyIndexShard,
  type KeyIndexRow,
} from '../core/ledger/key-index.js';
import { silentLogger, type Logger } from '../core/ports.js';
import { SlsaLedgerError } from '../errors.js';
import { isFirstParentAncestor, listTree, runGit, symbolicFullName } from '../io/git.js';
import {
  objectSizes,
  readBlobsBounded,
  readLedgerAtCommit,
  sha256Hex,
  type BlobRef,
} from '../io/ledger-reader.js';
import { resolveReadTarget } from '../io/ledger-source.js';
import { readWitness, writeWitness, type Witness } from '../io/check-witness.js';
import type { TrustFinding } from '../core/ledger-trust/audit.js';
import type { LedgerTrust } from '../io/trust-policy-file.js';
import { trustPolicyDigest } from '../core/ledger-trust/policy.js';
import { checkTrustFindings, ledgerIdentityOfRemote } from './check-trust.js';

export interface CheckOptions {
  /** a clone of the ledger repository, or any folder inside it (default: the current directory) */
  readonly repoDir?: string;
  /**
   * the commit-ish of the clone to audit (e.g. `HEAD`, `origin/main`); default: the remote's
   * ledger branch, fetched now (docs/ledger.md "Reading the ledger")
   */
  readonly ref?: string;
  /** the remote and branch to fetch (default: `.slsa-ledger.yml` `ledger:`, else origin and its default branch) */
  readonly remote?: string;
  readonly branch?: string;
  readonly reportsDir?: string;
  /** the working directory, for its `.slsa-ledger.yml` */
  readonly cwd?: string;
  /** every commit touching the ledger must pass `git verify-commit` */
  readonly requireSigned?: boolean;
  /** where the last verified head is kept (default: `<git dir>/slsa-ledger/check-witness.json`) */
  readonly witnessFile?: string;
  /** do not read or write the witness */
  readonly noWitness?: boolean;
  /** the trust policy (docs/trust.md): who may write what; undefined: no trust audit */
  readonly trust?: LedgerTrust;
  readonly logger?: Logger;
}

export interface CheckResult {
  /** no findings */
  readonly ok: boolean;
  /** the ref audited: `--ref` as given, or the private ref the ledger branch was fetched into */
  readonly ref: string;
  /** how it was found: `origin/main (fetched)`, `--ref HEAD` */
  readonly source: string;
  readonly commit: string;
  readonly files: number;
  readonly entries: number;
  readonly commits: number;
  readonly findings: readonly (CheckFinding | TrustFinding)[];
  /**
   * whether a trust policy was given, so that every change's signature, signer and chain were
   * audited; false: who wrote what was not checked (docs/trust.md)
   */
  readonly signaturesChecked: boolean;
  /** the witness: the head verified before this run (if any) and the file it is kept in */
  readonly witness?: { readonly file: string; readonly previous: string | null; readonly updated: boolean };
}

const RS = '\x1e';
const US = '\x1f';
const ZERO = /^0+$/;

/**
 * `Key: value` lines of `%(trailers:only,unfold)`. Values are kept exactly as git gives them (git
 * itself strips ASCII whitespace around them); nothing else is trimmed, so a tag ending in U+FEFF
 * or another invisible character compares equal to the same tag in the day file.
 */
export function parseTrailers(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9-]+): ?(.*)$/.exec(line);
    if (m === null) continue;
    (out[m[1]!] ??= []).push(m[2]!);
  }
  return out;
}

/** One commit of `git log --raw`: its day-file changes with modes and blob ids. */
interface LogRecord {
  readonly hash: string;
  readonly subject: string;
  readonly trailers: Record<string, string[]>;
  readonly changes: {
    readonly path: string;
    readonly oldMode: string;
    readonly newMode: string;
    readonly oldOid: string;
    readonly newOid: string;
  }[];
}

/**
 * The separators of one `git log` read: RS and US followed by a nonce. A commit's subject and
 * trailers are whatever its pusher wrote, \x1e and \x1f included: with the bare characters, a
 * subject holding `\x1e<hash>\x1f` started a record of its own, so the commit's changes and
 * trailers were read under another commit's hash (an unsigned commit passed `--require-signed` by
 * naming a signed one), and a subject holding `\x1f` hid the commit's changes. The nonce is never
 * in the repository, so no message can forge it.
 */
function logSeparators(): { readonly rs: string; readonly us: string } {
  const nonce = randomBytes(12).toString('hex');
  return { rs: `${RS}${nonce}`, us: `${US}${nonce}` };
}

function parseLog(
  text: string,
  reportsDir: string,
  sep: { readonly rs: string; readonly us: string },
): LogRecord[] {
  const records: LogRecord[] = [];
  for (const r of text.split(sep.rs)) {
    if (r.trim() === '') continue;
    const [hash = '', subject = '', trailers = '', raw = ''] = r.split(sep.us);
    if (!/^[0-9a-f]{40,64}$/.test(hash))
      throw new SlsaLedgerError(
        'INTERNAL',
        `git log gave a record without a commit id: ${hash.slice(0, 80)}`,
      );
    const changes: LogRecord['changes'] = [];
    for (const line of raw.split('\n')) {
      // :<old mode> <new mode> <old oid> <new oid> <status>\t<path>
      const m = /^:([0-7]{6}) ([0-7]{6}) ([0-9a-f]{40,64}) ([0-9a-f]{40,64}) [A-Z][0-9]*\t(.*)$/.exec(line);
      if (m === null) continue;
      const path = m[5]!;
      if (manifestDayOf(path, reportsDir) === undefined) continue;
      changes.push({ oldMode: m[1]!, newMode: m[2]!, oldOid: m[3]!, newOid: m[4]!, path });
    }
    if (changes.length > 0) records.push({ hash, subject, trailers: parseTrailers(trailers), changes });
  }
  return records;
}

/** Bytes of blobs one read step may hold: the history is read in steps of about this size. */
const STEP_BYTES = 64 * 1024 * 1024;

/**
 * Audits the ledger at `ref`; findings are data (a negative verdict is not an exception here).
 * @throws `LEDGER_NOT_FOUND` (not a clone, or no ledger at all at `ref`), `LEDGER_REPO_INVALID`
 *   (unknown ref), `LEDGER_GIT_FAILED`
 */
export async function checkLedger(options: CheckOptions = {}): Promise<CheckResult> {
  const logger = options.logger ?? silentLogger;
  if (options.ref !== undefined && options.remote !== undefined && options.branch === undefined) {
    throw new SlsaLedgerError(
      'USAGE_MISSING_FLAG',
      `--ref with --remote needs --branch: the ledger branch '${options.ref}' is audited as (without both, the ref's own upstream)`,
      { details: { ref: options.ref, remote: options.remote } },
    );
  }
  const target = await resolveReadTarget({
    repoDir: resolve(options.repoDir ?? '.'),
    ...(options.ref === undefined ? {} : { ref: options.ref }),
    ...(options.remote === undefined ? {} : { remote: options.remote }),
    ...(options.branch === undefined ? {} : { branch: options.branch }),
    ...(options.reportsDir === undefined ? {} : { reportsDir: options.reportsDir }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  const { root: repoDir, gitDir, commit, reportsDir } = target;
  const ref = target.ref;
  logger.info(`auditing ${reportsDir} at ${target.label} (${commit.slice(0, 12)})`);

  const head = await readLedgerAtCommit(repoDir, commit, { reportsDir });
  const files: ManifestSnapshot[] = [
    ...head.files.map((f) => ({ path: f.path, text: f.bytes.toString('utf8'), sha256: f.sha256 })),
    ...head.refused.map((r) => ({
      path: r.path,
      text: '',
      sha256: '',
      refused: { code: r.code, message: r.message },
    })),
  ].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  const sep = logSeparators();
  const log = await runGit(
    [
      'log',
      '--reverse',
      '--first-parent',
      '-m',
      '--no-renames',
      '--raw',
      '--no-abbrev',
      `--format=${sep.rs}%H${sep.us}%s${sep.us}%(trailers:only,unfold)${sep.us}`,
      commit,
      '--',
      reportsDir,
    ],
    { cwd: repoDir },
  );
  const records = parseLog(log.stdout.toString('utf8'), reportsDir, sep);
  if (records.length === 0 && files.length === 0) {
    throw new SlsaLedgerError(
      'LEDGER_NOT_FOUND',
      `no ledger at ${target.label} (${commit.slice(0, 12)}) of ${repoDir}: nothing under ${reportsDir}/ and no commit ever wrote there (check --ref, --reports-dir)`,
      { details: { repo: repoDir, ref, commit, reportsDir } },
    );
  }

  // the history, in steps of at most STEP_BYTES of blobs: memory follows the ledger's size, not its age
  const audit = new HistoryAudit(options.requireSigned === true);
  const seen = new Set<string>();
  const sizes = await objectSizes(
    repoDir,
    records.flatMap((r) => r.changes.map((c) => c.newOid).filter((o) => !ZERO.test(o))),
  );
  let at = 0;
  while (at < records.length) {
    let end = at;
    let bytes = 0;
    while (end < records.length && (end === at || bytes < STEP_BYTES)) {
      for (const c of records[end]!.changes) bytes += Math.min(sizes.get(c.newOid)?.size ?? 0, STEP_BYTES);
      end += 1;
    }
    const step = records.slice(at, end);
    const refs: BlobRef[] = [];
    const slots: { after?: number; before?: number }[][] = [];
    const stepSeen = new Set(seen);
    for (const r of step) {
      slots.push(
        r.changes.map((c) => {
          const slot: { after?: number; before?: number } = {};
          if (!stepSeen.has(c.path) && !ZERO.test(c.oldOid)) {
            slot.before =
              refs.push({
                oid: c.oldOid,
                mode: c.oldMode,
                what: `${c.path} before commit ${r.hash.slice(0, 12)}`,
              }) - 1;
          }
          stepSeen.add(c.path);
          if (!ZERO.test(c.newOid)) {
            slot.after =
              refs.push({
                oid: c.newOid,
                mode: c.newMode,
                what: `${c.path} at commit ${r.hash.slice(0, 12)}`,
              }) - 1;
          }
          return slot;
        }),
      );
    }
    const blobs = await readBlobsBounded(repoDir, refs);
    for (const [i, r] of step.entries()) {
      logger.progress('check', at + i, records.length);
      const changes: ManifestChange[] = r.changes.map((c, j) => {
        const slot = slots[i]![j]!;
        const before = slot.before === undefined ? undefined : blobs[slot.before];
        const after = slot.after === undefined ? undefined : blobs[slot.after];
        seen.add(c.path);
        return {
          path: c.path,
          ...(before?.kind === 'ok' ? { before: before.bytes.toString('utf8') } : {}),
          ...(after === undefined
            ? {}
            : after.kind === 'ok'
              ? { after: after.bytes.toString('utf8'), afterSha256: sha256Hex(after.bytes) }
              : { afterRefused: { code: after.code, message: after.message } }),
        };
      });
      const signed =
        options.requireSigned === true
          ? (await runGit(['verify-commit', r.hash], { cwd: repoDir, allowFailure: true })).code === 0
          : undefined;
      const lc: LedgerCommit = {
        commit: r.hash,
        subject: r.subject,
        trailers: r.trailers,
        changes,
        ...(signed === undefined ? {} : { signed }),
      };
      audit.add(lc);
    }
    at = end;
  }
  logger.progressDone('check');

  // the day files as the writers read them, parsed once for the manifest checks and the key index
  const readableDays = new Map<string, readonly LedgerEntry[]>();
  const findings: (CheckFinding | TrustFinding)[] = [
    ...findManifestProblems(
      files,
      reportsDir,
      { now: new Date(), skewS: otherLimits.futureSkewS },
      readableDays,
    ),
    ...audit.finish(files),
    ...(await keyIndexFindings(repoDir, commit, reportsDir, readableDays)),
    ...findUnexpectedPaths(await ledgerFolderPaths(repoDir, commit, reportsDir), reportsDir),
  ];

  // the witness: the head must descend from the last head this clone verified
  let witnessInfo: CheckResult['witness'];
  let pendingWitness: (() => Promise<void>) | undefined;
  let trustedSince: string | null = null;
  const policyDigest = options.trust === undefined ? undefined : trustPolicyDigest(options.trust.policy);
  if (options.noWitness !== true) {
    const file = options.witnessFile ?? join(gitDir, 'slsa-ledger', 'check-witness.json');
    const { key, legacy } = await witnessKey(repoDir, ref, reportsDir);
    const stored: Witness = await readWitness(file);
    const { [legacy ?? key]: old, ...heads } = stored.heads;
    const witness: Witness =
      legacy === undefined || old === undefined || heads[key] !== undefined
        ? stored
        : { ...stored, heads: { ...heads, [key]: old } };
    const previous = witness.heads[key]?.commit ?? null;
    // the head last audited under this same trust policy: a run without one, or under another,
    // checked less, so its head is no start for this policy's history audit
    const storedTrusted = witness.heads[key]?.trusted;
    trustedSince =
      policyDigest !== undefined && storedTrusted?.policy === policyDigest ? storedTrusted.commit : null;
    let rewritten = false;
    if (
      previous !== null &&
      previous !== commit &&
      !(await isFirstParentAncestor(repoDir, previous, commit))
    ) {
      rewritten = true;
      findings.push({
        code: 'CHECK_HISTORY_REWRITTEN',
        commit,
        message: `${target.label} (${commit.slice(0, 12)}) does not descend from ${previous.slice(0, 12)} along its first parents, the head verified on ${witness.heads[key]!.checked_at}: the history was rewritten (a force-push, or a merge that keeps the old head only as a second parent); the witness stays until you have looked (delete ${key} from ${file} to accept the new history)`,
      });
    }
    witnessInfo = { file, previous, updated: !rewritten };
    // written after the trust audit (below): a head whose history or logs were rewritten since the
    // witness is not verified, so the witness stays and the finding is reported again until
    // someone has looked
    pendingWitness = rewritten
      ? undefined
      : async () =>
          writeWitness(file, {
            ...witness,
            heads: {
              ...witness.heads,
              [key]: {
                commit,
                checked_at: new Date().toISOString(),
                ...(policyDigest !== undefined
                  ? { trusted: { policy: policyDigest, commit } }
                  : storedTrusted === undefined
                    ? {}
                    : { trusted: storedTrusted }),
              },
            },
          });
  }

  // who wrote what: the trust audit under the checker's policy (src/app/check-trust.ts)
  if (options.trust !== undefined) {
    // `--ref REF --branch B`: the statements must name that ledger, not whatever REF tracks
    const auditedAs =
      target.auditedAs === undefined
        ? undefined
        : await ledgerIdentityOfRemote(repoDir, target.auditedAs.remote, target.auditedAs.branch);
    if (target.auditedAs !== undefined && auditedAs === undefined) {
      throw new SlsaLedgerError(
        'LEDGER_REPO_INVALID',
        `--remote ${target.auditedAs.remote}: no such remote in ${repoDir}, so the ledger ${options.ref ?? ref} is read as has no address`,
        { details: { remote: target.auditedAs.remote } },
      );
    }
    findings.push(
      ...(await checkTrustFindings({
        repoDir,
        ref,
        commit,
        reportsDir,
        trust: options.trust,
        // the head last audited under this policy, not merely the last one checked: a check without
        // a policy (or under another) moves the witness without auditing who wrote what
        witnessCommit: trustedSince,
        ...(auditedAs === undefined ? {} : { auditedAs }),
        logger,
      })),
    );
  }

  // a commit since the witness rewrote history, or the witnessed logs no longer extend (findings
  // that name a commit; the head's own state is reported every run anyway): the witness stays.
  // Without a witness (first run, or its key deleted after review) the head is taken.
  if (pendingWitness !== undefined && witnessInfo !== undefined) {
    if (
      witnessInfo.previous !== null &&
      findings.some((f) => f.code === 'CHECK_HISTORY_REWRITTEN' && f.commit !== undefined)
    ) {
      witnessInfo = { ...witnessInfo, updated: false };
    } else {
      await pendingWitness();
    }
  }

  const entries = files.reduce((n, f) => {
    if (f.refused !== undefined) return n;
    try {
      const v = parseJson(f.text, 'dayFile', f.path);
      return n + (Array.isArray(v) ? v.length : 0);
    } catch {
      return n;
    }
  }, 0);
  return {
    ok: findings.length === 0,
    ref,
    source: target.label,
    commit,
    files: files.length,
    entries,
    commits: audit.count,
    findings,
    signaturesChecked: options.trust !== undefined,
    ...(witnessInfo === undefined ? {} : { witness: witnessInfo }),
  };
}

/**
 * `index/VERSION` and `index/LAST` as the writers write them (`1\n`; `<day> <sha256>\n`): no
 * reader acts on their bytes, so anything else there is text planted in the ledger's folder.
 */
async function keyIndexMarkFindings(
  repoDir: string,
  reportsDir: string,
  tree: readonly { path: string; oid: string; mode: string }[],
): Promise<CheckFinding[]> {
  const expected = new Map<string, { ok: (text: string) => boolean; shape: string }>([
    [keyIndexVersionPath(reportsDir), { ok: (t) => t === KEY_INDEX_VERSION, shape: '`1` and a newline' }],
    [
      keyIndexLastPath(reportsDir),
      { ok: isKeyIndexLastText, shape: '`<YYYY-MM-DD> <sha256>` and a newline' },
    ],
  ]);
  const marks = tree.filter((t) => expected.has(t.path));
  const reads = await readBlobsBounded(
    repoDir,
    marks.map((t) => ({ oid: t.oid, mode: t.mode, what: `key index file ${t.path}` })),
    1024, // either is under 100 bytes as written: nothing larger is read
  );
  const findings: CheckFinding[] = [];
  marks.forEach((t, i) => {
    const r = reads[i]!;
    const want = expected.get(t.path)!;
    if (r.kind === 'ok' && want.ok(r.bytes.toString('utf8'))) return;
    findings.push({
      code: 'CHECK_INDEX_MISMATCH',
      path: t.path,
      message: `${t.path} is not what the writers write (${want.shape})${r.kind === 'ok' ? '' : `: ${r.message}`}`,
    });
  });
  return findings;
}

/**
 * The key index against the day files at `commit` (docs/ledger.md "the key index"), when the
 * writers would trust it: it exists (`VERSION`) and no day file changed since the last commit
 * that changed it (else the writers read every day file and write it anew). Read as the writers
 * read it: a shard that is not a regular blob within the day-file limit, or not a shard, makes
 * them read every day file, so it cannot mislead them.
 */
async function keyIndexFindings(
  repoDir: string,
  commit: string,
  reportsDir: string,
  /** the entries of each day file the writers read, by day (`findManifestProblems` fills it) */
  days: ReadonlyMap<string, readonly LedgerEntry[]>,
): Promise<CheckFinding[]> {
  const dir = keyIndexDir(reportsDir);
  const tree = await listTree(repoDir, commit, dir);
  if (!tree.some((t) => t.path === keyIndexVersionPath(reportsDir))) return [];
  const shardFiles = tree.filter((t) => /^[0-9a-f]{2}\.json$/.test(t.path.slice(dir.length + 1)));
  // a shard the writers cannot read (a symlink, a submodule): they read every day file instead, so
  // it misleads none of them, but no writer writes it: text planted in the ledger's folder
  const marks = [
    ...(await keyIndexMarkFindings(repoDir, reportsDir, tree)),
    ...shardFiles
      .filter((t) => t.type !== 'blob' || t.mode === '120000')
      .map((t) =>
        unreadableShard(
          t.path,
          `it is ${t.mode === '120000' ? 'a symbolic link' : `a ${t.type} (mode ${t.mode})`} in git`,
        ),
      ),
  ];
  const last = await runGit(['log', '-1', '--format=%H', commit, '--', dir], { cwd: repoDir });
  const lastIndexed = last.stdout.toString('utf8').trim();
  if (lastIndexed === '') return [];
  if (lastIndexed !== commit) {
    const diff = await runGit(
      ['diff', '--name-only', '-z', '--no-renames', lastIndexed, commit, '--', reportsDir],
      { cwd: repoDir },
    );
    const changed = diff.stdout.toString('utf8').split('\0');
    if (changed.some((p) => p !== '' && manifestDayOf(p, reportsDir) !== undefined)) return marks;
  }
  const blobShards = shardFiles.filter((t) => t.type === 'blob' && t.mode !== '120000');
  const reads = await readBlobsBounded(
    repoDir,
    blobShards.map((t) => ({ oid: t.oid, mode: t.mode, what: `key index shard ${t.path}` })),
  );
  const shards = new Map<string, readonly KeyIndexRow[] | 'unreadable'>();
  const unreadable: CheckFinding[] = [];
  for (const t of shardFiles) shards.set(t.path.slice(dir.length + 1, -'.json'.length), 'unreadable');
  blobShards.forEach((t, i) => {
    const r = reads[i]!;
    const rows = r.kind === 'ok' ? parseKeyIndexShard(r.bytes.toString('utf8')) : undefined;
    if (rows === undefined)
      unreadable.push(
        unreadableShard(t.path, r.kind === 'ok' ? 'it is not a list of index rows' : r.message),
      );
    shards.set(t.path.slice(dir.length + 1, -'.json'.length), rows ?? 'unreadable');
  });
  const keys = checkKeyIndex(days, shards).map((p) => {
    const shard = keyIndexShardPath(reportsDir, keyIndexShard(p.tag));
    return {
      code: 'CHECK_INDEX_MISMATCH' as const,
      path: shard,
      commit: lastIndexed,
      tag: p.tag,
      run_id: p.run_id,
      message:
        p.indexed === undefined
          ? `${p.tag} run ${p.run_id} of ${reportsDir}/${p.day}/manifest.json is not in the key index (${shard}, last changed by commit ${lastIndexed.slice(0, 12)}): a writer updating it with a timestamp of another day would record it again there`
          : `the key index (${shard}) names day ${p.indexed} for ${p.tag} run ${p.run_id}, which ${reportsDir}/${p.day}/manifest.json holds`,
    };
  });
  return [...marks, ...unreadable, ...keys];
}

/** A key-index shard no writer wrote: they would read every day file instead of it. */
function unreadableShard(path: string, why: string): CheckFinding {
  return {
    code: 'CHECK_INDEX_MISMATCH',
    path,
    message: `${path} is not what the writers write (a regular file of index rows): ${why}; the writers read every day file instead of it`,
  };
}

/** The empty tree's id by the length of the repository's object ids (SHA-1, SHA-256): git knows it without storing it. */
const EMPTY_TREE: Readonly<Record<number, string>> = {
  40: '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
  64: '6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321',
};

/**
 * Every path at `commit` under the reports folder or a folder that differs from it only in case
 * (`docs/Reports/…`, which a checkout on a case-insensitive file system merges into it). `ls-tree`
 * takes no `icase` pathspec; a diff against the empty tree does.
 */
async function ledgerFolderPaths(repoDir: string, commit: string, reportsDir: string): Promise<string[]> {
  const empty = EMPTY_TREE[commit.length];
  if (empty === undefined) throw new SlsaLedgerError('INTERNAL', `not an object id: ${commit.slice(0, 80)}`);
  const { stdout } = await runGit(
    [
      'diff-tree',
      '-r',
      '-z',
      '--name-only',
      '--no-renames',
      empty,
      commit,
      '--',
      `:(literal,icase)${reportsDir}`,
    ],
    { cwd: repoDir },
  );
  return stdout
    .toString('utf8')
    .split('\0')
    .filter((p) => p !== '');
}

/**
 * What a witnessed head is kept under: the full ref name audited (or the ref as given) and the
 * reports folder; `legacy`: the key git before 2.43 made of it (`--end-of-options` echoed on a
 * line of its own), read so that a witness kept by an earlier version is not lost.
 */
async function witnessKey(
  repoDir: string,
  ref: string,
  reportsDir: string,
): Promise<{ key: string; legacy?: string }> {
  const name = await symbolicFullName(repoDir, ref);
  return name === undefined
    ? { key: `${ref}:${reportsDir}` }
    : { key: `${name}:${reportsDir}`, legacy: `--end-of-options\n${name}:${reportsDir}` };
}
