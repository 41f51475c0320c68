// Which repository a ledger belongs to (issue 17): `owner/name`, from `--ledger` or from the URL of
// the clone's remote. Pure: the app layer reads the remote's URL.
import { SlsaLedgerError } from '../../errors.js';

/** GitHub's rules, loosely: letters, digits, `_`, `.`, `-`; 1–100 characters each side. */
const PART = /^[A-Za-z0-9_.-]{1,100}$/;

/** True for `owner/name` with sane parts (never `.` or `..`). */
export function isRepositoryName(value: string): boolean {
  const parts = value.split('/');
  return parts.length === 2 && parts.every((p) => PART.test(p) && p !== '.' && p !== '..');
}

/**
 * True for `owner/name`, or for a one-part name: the repositories migration (`…20261202170000`)
 * names a database's earlier runs after the ledger name their ingest used (`--ledger NAME` of the
 * CLI before repositories; `default` when none was given), and those runs must stay reachable by
 * that name (`ingest --ledger default=DIR`, `kpi --repository default`, the dashboard's filter).
 * The ingest function accepts the same shapes.
 */
export function isLedgerName(value: string): boolean {
  return isRepositoryName(value) || (PART.test(value) && value !== '.' && value !== '..');
}

/**
 * Checks `--ledger OWNER/NAME` (or a config value).
 * @throws SlsaLedgerError `INGEST_REPOSITORY_INVALID`
 */
export function parseRepositoryName(value: string, source = '--ledger'): string {
  const v = value.trim();
  if (!isLedgerName(v)) {
    throw new SlsaLedgerError(
      'INGEST_REPOSITORY_INVALID',
      `${source} takes a repository as owner/name (letters, digits, '_', '.', '-'; or the one-part name an upgraded database gave its earlier runs), got '${v.slice(0, 120)}'`,
      { details: { value: v.slice(0, 200), source } },
    );
  }
  return v;
}

export interface RemoteRepository {
  readonly repository: string;
  /** an https page of the repository, when the remote is on a web host; null for a local path */
  readonly url: string | null;
  /** the remote's host, lower case (`github.com`); null for a local path or a `file:` URL */
  readonly host: string | null;
}

/**
 * One percent-encoded part of a URL's path, decoded after the split: `%2F` is no separator there, so
 * a decoded `/` (or `\`) stays inside its part, where no name allows it; a malformed escape stays
 * as written (no name allows `%`), never an exception.
 */
function decodePart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/**
 * `owner/name` from a git remote URL: `https://host/owner/name(.git)`, `git@host:owner/name.git`,
 * `ssh://git@host/owner/name.git`, or a path whose last two parts are `owner/name(.git)`.
 * Undefined when the URL gives none.
 */
export function repositoryFromRemoteUrl(remoteUrl: string): RemoteRepository | undefined {
  const raw = remoteUrl.trim();
  let host: string | undefined;
  let path: string;
  // a URL's path is percent-encoded: each part is decoded alone, after the split
  let encoded = false;
  const scp = /^[A-Za-z0-9_.-]+@([A-Za-z0-9.-]+):(?!\/)(.*)$/.exec(raw);
  if (scp !== null) {
    host = scp[1]?.toLowerCase();
    path = scp[2] ?? '';
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      return undefined;
    }
    // lower case: the parser folds the host of http(s) URLs only, not of `ssh://` or `git://`
    if (u.protocol !== 'file:') host = u.hostname.toLowerCase();
    path = u.pathname;
    encoded = true;
  } else {
    path = raw;
  }
  const parts = path
    .replace(/\\/g, '/')
    .split('/')
    .filter((p) => p !== '')
    .map((p) => (encoded ? decodePart(p) : p));
  if (parts.length < 2) return undefined;
  const name = (parts[parts.length - 1] ?? '').replace(/\.git$/i, '');
  const owner = parts[parts.length - 2] ?? '';
  const repository = `${owner}/${name}`;
  if (!isRepositoryName(repository)) return undefined;
  // the link is the remote's whole path: on a host with nested groups (GitLab's
  // `group/subgroup/name`) `owner/name` alone is another project, possibly someone else's
  const page = [...parts.slice(0, -1), name];
  const url =
    host !== undefined && host !== '' && page.every((p) => PART.test(p) && p !== '.' && p !== '..')
      ? `https://${host}/${page.join('/')}`
      : null;
  return { repository, url, host: host === undefined || host === '' ? null : host };
}

/** One `--ledger` value: `OWNER/NAME` (the `--repo` clone) or `OWNER/NAME=DIR`. */
export interface LedgerSpec {
  /** undefined: take it from the clone's remote */
  readonly repository?: string;
  /** the clone; undefined: `--repo` */
  readonly dir?: string;
}

/**
 * Parses the repeatable `--ledger` values.
 * @throws SlsaLedgerError `INGEST_REPOSITORY_INVALID`; `USAGE_INVALID_FLAG` when several ledgers
 *   leave out their directory or one repository is named twice
 */
export function parseLedgerSpecs(values: readonly string[]): LedgerSpec[] {
  const specs = values.map((value): LedgerSpec => {
    const eq = value.indexOf('=');
    if (eq === -1) return { repository: parseRepositoryName(value) };
    const dir = value.slice(eq + 1).trim();
    if (dir === '') {
      throw new SlsaLedgerError('USAGE_INVALID_FLAG', `--ledger ${value}: the directory after '=' is empty`, {
        details: { flag: 'ledger', value },
      });
    }
    return { repository: parseRepositoryName(value.slice(0, eq)), dir };
  });
  if (specs.length > 1 && specs.some((s) => s.dir === undefined)) {
    throw new SlsaLedgerError(
      'USAGE_INVALID_FLAG',
      'with several --ledger values, give each its clone: --ledger OWNER/NAME=DIR',
      { details: { flag: 'ledger' } },
    );
  }
  const seen = new Set<string>();
  for (const s of specs) {
    const key = (s.repository ?? '').toLowerCase();
    if (seen.has(key)) {
      throw new SlsaLedgerError('USAGE_INVALID_FLAG', `--ledger names ${s.repository} twice`, {
        details: { flag: 'ledger', repository: s.repository },
      });
    }
    seen.add(key);
  }
  return specs;
}

/** A repository's move in the database: `--rename-repository OLD=NEW`. */
export interface RenameSpec {
  readonly from: string;
  readonly to: string;
}

/**
 * Parses `OLD=NEW` (both `owner/name`, or the one-part names of an upgraded database).
 * @throws `INGEST_REPOSITORY_INVALID`
 */
export function parseRenameSpec(value: string): RenameSpec {
  const eq = value.indexOf('=');
  if (eq === -1) {
    throw new SlsaLedgerError(
      'INGEST_REPOSITORY_INVALID',
      `--rename-repository takes OLD=NEW (two repositories as owner/name), got '${value.trim().slice(0, 120)}'`,
      { details: { value: value.trim().slice(0, 200), source: '--rename-repository' } },
    );
  }
  const from = parseRepositoryName(value.slice(0, eq), '--rename-repository OLD');
  const to = parseRepositoryName(value.slice(eq + 1), '--rename-repository NEW');
  return { from, to };
}
