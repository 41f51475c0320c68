// Where the ledger is (issue 15 item 3, issue 13 item 1): the remote, branch and reports folder,
// decided from flags, then the `ledger:` section of `.slsa-ledger.yml`, then the remote's own
// default branch — never an assumed `main`. Pure: the io layer reads the config file and asks the
// remote (`git ls-remote --symref <remote> HEAD`).
import { SlsaLedgerError } from '../../errors.js';
import { DEFAULT_REPORTS_DIR } from './entry.js';

export const DEFAULT_REMOTE = 'origin';

/** The `ledger:` section of `.slsa-ledger.yml`, validated. */
export interface LedgerConfigSection {
  readonly remote?: string;
  readonly branch?: string;
  readonly reports_dir?: string;
  /** seconds an entry's timestamp may be ahead of the clock (default 300) */
  readonly clock_skew?: number;
}

/** Flags given on the command line (or options of the library call); undefined = not given. */
export interface LedgerLocationFlags {
  readonly remote?: string | undefined;
  readonly branch?: string | undefined;
  readonly reportsDir?: string | undefined;
}

export type LocationSource = 'flag' | 'config' | 'default' | 'remote-head';

/** Where each part came from, for messages and `--json` output. */
export interface LedgerLocationSources {
  readonly remote: LocationSource;
  readonly branch: LocationSource;
  readonly reportsDir: LocationSource;
}

/** The location before the remote's default branch is known (`branch` undefined: ask the remote). */
export interface LedgerLocationPlan {
  readonly remote: string;
  readonly branch: string | undefined;
  readonly reportsDir: string;
  readonly source: LedgerLocationSources;
}

export interface LedgerLocation {
  readonly remote: string;
  readonly branch: string;
  readonly reportsDir: string;
  readonly source: LedgerLocationSources;
  /** the config file the `ledger:` section came from, when one was read */
  readonly configFile?: string;
}

const REMOTE_RE = /^[A-Za-z0-9._-]+$/;
const REPORTS_DIR_RE = /^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;

/** Why `name` is not a usable remote name, or undefined. */
export function remoteNameProblem(name: string): string | undefined {
  if (!REMOTE_RE.test(name) || name.startsWith('-') || name === '.' || name === '..') {
    return `must be the name of a configured remote (letters, digits, . _ -), got '${name}'`;
  }
  return undefined;
}

/**
 * Why `name` is not a branch name `git check-ref-format --branch` accepts (the rules that matter
 * here; no `@{…}` forms), or undefined.
 */
export function branchNameProblem(name: string): string | undefined {
  if (name === '' || name.length > 255) return 'must be 1 to 255 characters';
  if (name.startsWith('-')) return "must not start with '-'";
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f~^:?*[\\]/.test(name)) return 'must not contain spaces, controls or ~^:?*[\\';
  if (name.includes('..') || name.includes('@{') || name === '@' || name.includes('//'))
    return "must not contain '..', '@{' or '//', nor be '@'";
  if (name.startsWith('/') || name.endsWith('/') || name.endsWith('.'))
    return "must not start or end with '/' or end with '.'";
  for (const part of name.split('/')) {
    if (part.startsWith('.') || part.endsWith('.lock'))
      return "must not have a component starting with '.' or ending with '.lock'";
  }
  return undefined;
}

/**
 * True when a path inside the ledger holds a control character (U+0000–U+001F, U+007F). The writers
 * write no such path, and git names objects one a line: such a path, planted by whoever can push,
 * is never read as a day file, a log or a queue file (a line break in it once split a `cat-file`
 * batch and shifted every later answer onto the next path).
 */
export function pathHasControlCharacter(path: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]/.test(path);
}

/** Normalises a reports folder (`./docs/reports/` -> `docs/reports`); undefined when unusable. */
export function normalizeReportsDir(dir: string): string | undefined {
  const d = dir.replace(/^\.\//, '').replace(/\/+$/, '');
  if (!REPORTS_DIR_RE.test(d) || d.split('/').some((p) => p === '..' || p === '.')) return undefined;
  return d;
}

const SECTION_KEYS = ['remote', 'branch', 'reports_dir', 'clock_skew'] as const;

/**
 * Validates the `ledger:` section strictly: a mapping of the known keys only, each of its type.
 * @throws SlsaLedgerError `CONFIG_INVALID` listing every problem (`details.problems`)
 */
export function parseLedgerConfigSection(value: unknown, file: string): LedgerConfigSection | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new SlsaLedgerError(
      'CONFIG_INVALID',
      `${file}: 'ledger' must be a mapping {remote, branch, reports_dir, clock_skew}`,
      { details: { file, problems: ['ledger: not a mapping'] } },
    );
  }
  const section = value as Record<string, unknown>;
  const problems: string[] = [];
  const out: { -readonly [K in keyof LedgerConfigSection]: LedgerConfigSection[K] } = {};
  for (const key of Object.keys(section)) {
    if (!(SECTION_KEYS as readonly string[]).includes(key)) {
      problems.push(`ledger.${key}: unknown key (known: ${SECTION_KEYS.join(', ')})`);
    }
  }
  const text = (key: 'remote' | 'branch' | 'reports_dir'): string | undefined => {
    const v = section[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') {
      problems.push(`ledger.${key}: expected a string`);
      return undefined;
    }
    return v;
  };
  const remote = text('remote');
  if (remote !== undefined) {
    const p = remoteNameProblem(remote);
    if (p === undefined) out.remote = remote;
    else problems.push(`ledger.remote: ${p}`);
  }
  const branch = text('branch');
  if (branch !== undefined) {
    const p = branchNameProblem(branch);
    if (p === undefined) out.branch = branch;
    else problems.push(`ledger.branch: ${p}`);
  }
  const reports = text('reports_dir');
  if (reports !== undefined) {
    const d = normalizeReportsDir(reports);
    if (d === undefined) problems.push(`ledger.reports_dir: must be a relative path inside the repository`);
    else out.reports_dir = d;
  }
  const skew = section.clock_skew;
  if (skew !== undefined && skew !== null) {
    if (typeof skew !== 'number' || !Number.isSafeInteger(skew) || skew < 0 || skew > 86_400) {
      problems.push('ledger.clock_skew: expected whole seconds from 0 to 86400');
    } else out.clock_skew = skew;
  }
  if (problems.length > 0) {
    throw new SlsaLedgerError('CONFIG_INVALID', `${file}: ${problems.join('; ')}`, {
      details: { file, problems },
    });
  }
  return out;
}

/**
 * Flags win over the config section, which wins over the defaults (`origin`, `docs/reports`). The
 * branch has no default here: undefined means "ask the remote for its default branch".
 * @throws UsageError-category `LEDGER_REPO_INVALID` for a bad flag value
 */
export function planLedgerLocation(
  flags: LedgerLocationFlags,
  config: LedgerConfigSection | undefined,
): LedgerLocationPlan {
  const remote = flags.remote ?? config?.remote ?? DEFAULT_REMOTE;
  const remoteProblem = remoteNameProblem(remote);
  if (remoteProblem !== undefined) {
    throw new SlsaLedgerError('LEDGER_REPO_INVALID', `--remote ${remoteProblem}`, { details: { remote } });
  }
  const branch = flags.branch ?? config?.branch;
  if (branch !== undefined) {
    const p = branchNameProblem(branch);
    if (p !== undefined) {
      throw new SlsaLedgerError('LEDGER_REPO_INVALID', `--branch ${p}: '${branch}'`, { details: { branch } });
    }
  }
  const rawReports = flags.reportsDir ?? config?.reports_dir ?? DEFAULT_REPORTS_DIR;
  const reportsDir = normalizeReportsDir(rawReports);
  if (reportsDir === undefined) {
    throw new SlsaLedgerError(
      'LEDGER_REPO_INVALID',
      `--reports-dir must be a relative path inside the repository (letters, digits, . _ - /), got '${rawReports}'`,
      { details: { reportsDir: rawReports } },
    );
  }
  const src = (flag: unknown, conf: unknown, fallback: LocationSource): LocationSource =>
    flag !== undefined ? 'flag' : conf !== undefined ? 'config' : fallback;
  return {
    remote,
    branch,
    reportsDir,
    source: {
      remote: src(flags.remote, config?.remote, 'default'),
      branch: src(flags.branch, config?.branch, 'remote-head'),
      reportsDir: src(flags.reportsDir, config?.reports_dir, 'default'),
    },
  };
}

/**
 * The remote's default branch from `git ls-remote --symref <remote> HEAD` output
 * (`ref: refs/heads/<name>\tHEAD`), or undefined when the remote has no symbolic HEAD.
 */
export function parseSymrefHead(output: string): string | undefined {
  for (const line of output.split('\n')) {
    const m = /^ref: refs\/heads\/(\S+)\tHEAD$/.exec(line.replace(/\r$/, ''));
    if (m !== null && branchNameProblem(m[1]!) === undefined) return m[1];
  }
  return undefined;
}

/** The private ref `record`/`flush` fetch the ledger branch into. */
export function writerTrackingRef(remote: string, branch: string): string {
  return `refs/slsa-ledger/${remote}/${branch}`;
}

/** The private ref the read commands fetch the ledger branch into (forced: they must see rewrites). */
export function readerTrackingRef(remote: string, branch: string): string {
  return `refs/slsa-ledger-read/${remote}/${branch}`;
}
