// `check`: audit the ledger at a commit: the day files (schema, order, canonical bytes, duplicates
// across days) and the history of every commit that touched them (trailers, Manifest-Sha256,
// foreign runs, signatures). Reads with git, decides in src/core/ledger/check.ts.
import { resolve } from 'node:path';
import {
  checkLedgerFindings,
  type CheckFinding,
  type LedgerCommit,
  type ManifestChange,
} from '../core/ledger/check.js';
import { DEFAULT_REPORTS_DIR, manifestDayOf } from '../core/ledger/entry.js';
import { silentLogger, type Logger } from '../core/ports.js';
import { UsageError } from '../errors.js';
import { readObjects, runGit } from '../io/git.js';
import { readRawLedgerFromCommit, sha256Hex } from '../io/ledger-reader.js';

export interface CheckOptions {
  /** a clone of the ledger repository (default: the current directory) */
  readonly repoDir?: string;
  /** the commit to audit (default `HEAD`), e.g. `origin/main` */
  readonly ref?: string;
  readonly reportsDir?: string;
  /** every commit touching the ledger must pass `git verify-commit` */
  readonly requireSigned?: boolean;
  readonly logger?: Logger;
}

export interface CheckResult {
  /** no findings */
  readonly ok: boolean;
  readonly ref: string;
  readonly commit: string;
  readonly files: number;
  readonly entries: number;
  readonly commits: number;
  readonly findings: readonly CheckFinding[];
}

const RS = '\x1e';
const US = '\x1f';

function parseTrailers(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line.trim());
    if (m === null) continue;
    (out[m[1]!] ??= []).push(m[2]!.trim());
  }
  return out;
}

/**
 * Audits the ledger at `ref`; findings are data (a negative verdict is not an exception here).
 * @throws `LEDGER_REPO_INVALID` (not a clone or unknown ref), `LEDGER_GIT_FAILED`
 */
export async function checkLedger(options: CheckOptions = {}): Promise<CheckResult> {
  const logger = options.logger ?? silentLogger;
  const repoDir = resolve(options.repoDir ?? '.');
  const ref = options.ref ?? 'HEAD';
  const reportsDir = (options.reportsDir ?? DEFAULT_REPORTS_DIR).replace(/^\.\//, '').replace(/\/+$/, '');
  const probe = await runGit(['rev-parse', '--verify', '--end-of-options', `${ref}^{commit}`], {
    cwd: repoDir,
    allowFailure: true,
  }).catch((error: unknown) => {
    throw new UsageError('LEDGER_REPO_INVALID', `${repoDir} is not a git clone`, { cause: error });
  });
  if (probe.code !== 0) {
    throw new UsageError(
      'LEDGER_REPO_INVALID',
      `cannot audit ${ref} in ${repoDir}: not a git clone or no such commit`,
      {
        details: { repo: repoDir, ref },
      },
    );
  }
  const commit = probe.stdout.toString('utf8').trim();
  logger.info(`auditing ${reportsDir} at ${ref} (${commit.slice(0, 12)})`);

  const raw = await readRawLedgerFromCommit(repoDir, commit, { reportsDir });
  const files = raw.map((f) => ({ path: f.path, text: f.bytes.toString('utf8'), sha256: f.sha256 }));

  const log = await runGit(
    [
      'log',
      '--reverse',
      '--first-parent',
      '-m',
      '--no-renames',
      `--format=${RS}%H${US}%s${US}%(trailers:only,unfold)${US}`,
      '--name-only',
      commit,
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
      const [hash = '', subject = '', trailers = '', names = ''] = r.split(US);
      const paths = names
        .split('\n')
        .map((n) => n.trim())
        .filter((n) => n !== '' && manifestDayOf(n, reportsDir) !== undefined);
      return { hash, subject, trailers: parseTrailers(trailers), paths };
    })
    .filter((r) => r.paths.length > 0);

  const names = records.flatMap((r) => r.paths.flatMap((p) => [`${r.hash}^:${p}`, `${r.hash}:${p}`]));
  const blobs = await readObjects(repoDir, names);
  let at = 0;
  const commits: LedgerCommit[] = [];
  for (const [i, r] of records.entries()) {
    logger.progress('check', i, records.length);
    const changes: ManifestChange[] = r.paths.map((path) => {
      const before = blobs[at++];
      const after = blobs[at++];
      return {
        path,
        ...(before === undefined ? {} : { before: before.toString('utf8') }),
        ...(after === undefined ? {} : { after: after.toString('utf8'), afterSha256: sha256Hex(after) }),
      };
    });
    const signed =
      options.requireSigned === true
        ? (await runGit(['verify-commit', r.hash], { cwd: repoDir, allowFailure: true })).code === 0
        : undefined;
    commits.push({
      commit: r.hash,
      subject: r.subject,
      trailers: r.trailers,
      changes,
      ...(signed === undefined ? {} : { signed }),
    });
  }
  logger.progressDone('check');

  const findings = checkLedgerFindings({
    files,
    commits,
    reportsDir,
    ...(options.requireSigned === undefined ? {} : { requireSigned: options.requireSigned }),
  });
  const entries = files.reduce((n, f) => {
    try {
      const v = JSON.parse(f.text) as unknown;
      return n + (Array.isArray(v) ? v.length : 0);
    } catch {
      return n;
    }
  }, 0);
  return {
    ok: findings.length === 0,
    ref,
    commit,
    files: files.length,
    entries,
    commits: commits.length,
    findings,
  };
}
