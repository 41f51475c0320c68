import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_MIRROR_URL, initTUF } from '@sigstore/tuf';
import { SlsaLedgerError, UnavailableError, UsageError, VerificationError } from '../errors.js';
import type { Logger } from '../core/ports.js';
import { buildTrustMaterial, type SigstoreTrust } from '../core/verify/signature-sigstore.js';
import { fileExists, parseJsonText, readInputFile, readInputText } from './files.js';
import { checkNpmRegistryKeys } from '../core/verify/npm-publish.js';
import { GITHUB_TUF_MIRROR, GITHUB_TUF_ROOT_JSON } from './tuf-seeds.js';

export interface LoadSigstoreTrustOptions {
  /** `--trusted-root FILE`: a Sigstore trusted_root.json; used as is, nothing is fetched */
  readonly trustedRootPath?: string;
  /** `--offline`: never fetch; without a trusted root file, only a TUF cache of an earlier run is used */
  readonly offline?: boolean;
  /** `--tuf-cache DIR` (default `$XDG_CACHE_HOME/slsa-ledger/sigstore-tuf`, else `$HOME/.cache/…`) */
  readonly cacheDir?: string;
  /** `--tuf-mirror URL`: Sigstore public-good's TUF repository (default its CDN) */
  readonly tufMirrorUrl?: string;
  /** `--tuf-root FILE`: the initial root.json of `tufMirrorUrl` (needed for a mirror other than the default) */
  readonly tufRootPath?: string;
  /** `--github-tuf-mirror URL`: GitHub's TUF repository (default https://tuf-repo.github.com) */
  readonly githubTufMirrorUrl?: string;
  /** `--github-tuf-root FILE`: its initial root.json (default: the one `gh` embeds, version 3) */
  readonly githubTufRootPath?: string;
  /** the environment, for the default cache directory (never read from process.env here) */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logger?: Logger;
  /**
   * also take the npm registry's keys (target `registry.npmjs.org/keys.json`) from Sigstore public
   * good's TUF repository, or its cache offline; a repository without that target leaves them to
   * the copy slsa-ledger ships. Never with `trustedRootPath`.
   */
  readonly npmRegistryKeys?: boolean;
}

/** One TUF repository serving a Sigstore `trusted_root.json` target. */
interface TufRepository {
  readonly name: 'sigstore public good' | "github's sigstore instance";
  readonly mirrorUrl: string;
  /** `--tuf-root` / `--github-tuf-root` */
  readonly rootPath?: string;
  /** the initial root.json shipped with slsa-ledger (or @sigstore/tuf), when the mirror is the default */
  readonly seed: 'sigstore-tuf' | 'github' | 'none';
}

/**
 * Loads the trust material for certificate-signed provenance: the given trusted_root.json, or the
 * trusted roots of Sigstore public good and of GitHub's Sigstore instance through TUF (as
 * `gh attestation verify` does), each cached under `--tuf-cache` and used from the cache while its
 * TUF metadata has not expired. Offline it never fetches: a trusted root file or a cached TUF target
 * is required, else TRUST_ROOT_UNAVAILABLE. A repository that does not verify (bad signature,
 * expired, rolled back, a target whose hash differs, not a trusted root) is TRUST_ROOT_REFUSED
 * (exit 1); one that cannot be reached is TRUST_ROOT_UNAVAILABLE (exit 5).
 * Throws INPUT_FILE_MISSING / INPUT_JSON_MALFORMED / INPUT_TRUSTED_ROOT_INVALID for a bad file.
 */
export async function loadSigstoreTrust(options: LoadSigstoreTrustOptions = {}): Promise<SigstoreTrust> {
  if (options.trustedRootPath !== undefined) {
    return readTrustedRootFile(options.trustedRootPath);
  }
  const repositories = tufRepositories(options);
  const cacheDir = options.cacheDir ?? defaultCacheDir(options.env ?? {});
  if (options.offline === true) {
    const roots: unknown[] = [];
    for (const repository of repositories) {
      const cached = cachedTrustedRootPath(cacheDir, repository.mirrorUrl);
      if (cached === undefined || !(await fileExists(cached))) continue;
      options.logger?.debug(`using the cached ${repository.name} trusted root ${cached}`);
      const json = parseJsonText(
        await readInputText(cached, 'cached trusted root'),
        cached,
        'cached trusted root',
        'trustedRoot',
      );
      validated(json, cached);
      roots.push(json);
    }
    const npmKeys =
      options.npmRegistryKeys === true ? await cachedNpmRegistryKeys(cacheDir, repositories[0]) : undefined;
    if (roots.length === 0) {
      throw new UnavailableError(
        'TRUST_ROOT_UNAVAILABLE',
        'offline and no trust material: pass --trusted-root FILE (a sigstore trusted_root.json) or run once online to fill the tuf cache',
        { details: { cacheDir: cacheDir ?? null } },
      );
    }
    return {
      ...(roots.length === 1 ? { trustedRoot: roots[0] } : { trustedRoots: roots }),
      ...(npmKeys === undefined ? {} : { npmRegistryKeys: npmKeys }),
    };
  }
  if (cacheDir === undefined) {
    throw new UnavailableError(
      'TRUST_ROOT_UNAVAILABLE',
      'no cache directory for the sigstore tuf client: set HOME or XDG_CACHE_HOME, pass --tuf-cache DIR, or pass --trusted-root FILE',
    );
  }
  const roots: unknown[] = [];
  let npmKeys: string | undefined;
  for (const repository of repositories) {
    const wantsNpmKeys = options.npmRegistryKeys === true && repository.name === 'sigstore public good';
    const fetched = await fetchTrustedRoot(repository, cacheDir, options.logger, wantsNpmKeys);
    roots.push(fetched.root);
    npmKeys ??= fetched.npmRegistryKeys;
  }
  return { trustedRoots: roots, ...(npmKeys === undefined ? {} : { npmRegistryKeys: npmKeys }) };
}

function tufRepositories(options: LoadSigstoreTrustOptions): TufRepository[] {
  const publicGood = checkedMirrorUrl(options.tufMirrorUrl ?? DEFAULT_MIRROR_URL, 'tuf-mirror');
  const github = checkedMirrorUrl(options.githubTufMirrorUrl ?? GITHUB_TUF_MIRROR, 'github-tuf-mirror');
  return [
    {
      name: 'sigstore public good',
      mirrorUrl: publicGood,
      seed: publicGood === DEFAULT_MIRROR_URL ? 'sigstore-tuf' : 'none',
      ...(options.tufRootPath === undefined ? {} : { rootPath: options.tufRootPath }),
    },
    {
      name: "github's sigstore instance",
      mirrorUrl: github,
      seed: github === GITHUB_TUF_MIRROR ? 'github' : 'none',
      ...(options.githubTufRootPath === undefined ? {} : { rootPath: options.githubTufRootPath }),
    },
  ];
}

/** A TUF mirror is https, or http on the loopback interface (a local mirror, tests). */
function checkedMirrorUrl(text: string, flag: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError('USAGE_INVALID_FLAG', `--${flag} takes a url, got '${text}'`, { details: { flag } });
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new UsageError('USAGE_INVALID_FLAG', `--${flag} must be an https url (or http on 127.0.0.1)`, {
      details: { flag },
    });
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new UsageError(
      'USAGE_INVALID_FLAG',
      `--${flag} takes a plain url (no query, fragment or credentials)`,
      {
        details: { flag },
      },
    );
  }
  return text.replace(/\/+$/, '');
}

/**
 * Fetches (or takes from the cache while its TUF metadata is unexpired) one repository's
 * `trusted_root.json` target, verified by the TUF client from the repository's root.
 */
async function fetchTrustedRoot(
  repository: TufRepository,
  cacheDir: string,
  logger: Logger | undefined,
  wantsNpmKeys = false,
): Promise<{ root: unknown; npmRegistryKeys?: string }> {
  const repoCache = join(cacheDir, tufRepoName(repository.mirrorUrl));
  const cachedRoot = join(repoCache, 'root.json');
  const haveRoot = await fileExists(cachedRoot);
  if (!haveRoot && repository.rootPath === undefined) {
    if (repository.seed === 'none') {
      throw new UsageError(
        'USAGE_MISSING_FLAG',
        `the tuf repository ${repository.mirrorUrl} needs its initial root.json: pass ${repository.name === 'sigstore public good' ? '--tuf-root' : '--github-tuf-root'} FILE`,
        { details: { flag: repository.name === 'sigstore public good' ? 'tuf-root' : 'github-tuf-root' } },
      );
    }
    if (repository.seed === 'github') {
      await mkdir(join(repoCache, 'targets'), { recursive: true });
      await writeFile(cachedRoot, GITHUB_TUF_ROOT_JSON, { mode: 0o644 });
    }
  }
  if (repository.rootPath !== undefined) {
    // the given initial root is read like any input file (bounded), and must be a TUF root
    const root = parseJsonText(
      await readInputText(repository.rootPath, 'tuf root'),
      repository.rootPath,
      'tuf root',
      'trustedRoot',
    );
    if (
      typeof root !== 'object' ||
      root === null ||
      (root as { signed?: { _type?: unknown } }).signed?._type !== 'root'
    ) {
      throw new SlsaLedgerError(
        'INPUT_TRUSTED_ROOT_INVALID',
        `${repository.rootPath} is not a tuf root.json`,
        {
          details: { path: repository.rootPath },
        },
      );
    }
  }
  logger?.debug(`fetching the ${repository.name} trusted root from ${repository.mirrorUrl}`);
  let text: string;
  let npmText: string | undefined;
  try {
    const tuf = await initTUF({
      mirrorURL: repository.mirrorUrl,
      cachePath: cacheDir,
      // unexpired cached metadata is used as is, expired metadata refreshed from the mirror (root
      // first, so rotations are followed); a first run is a full update (tuf-js's forceCache skips
      // the root update when there is no cached timestamp)
      forceCache: await fileExists(join(repoCache, 'timestamp.json')),
      retry: 2,
      timeout: 10_000,
      ...(repository.rootPath === undefined ? {} : { rootPath: repository.rootPath }),
    });
    text = await tuf.getTarget(TRUSTED_ROOT_TARGET);
    if (wantsNpmKeys) {
      try {
        npmText = await tuf.getTarget(NPM_KEYS_TARGET);
      } catch (cause) {
        // a repository (a private mirror, a test) without the target: the keys slsa-ledger ships
        if ((cause as { code?: unknown }).code !== 'TUF_FIND_TARGET_ERROR') throw cause;
        logger?.debug(
          `${repository.mirrorUrl} has no ${NPM_KEYS_TARGET}: using the npm keys slsa-ledger ships`,
        );
      }
    }
  } catch (cause) {
    const refused = isRefusal(cause);
    const message = `${refused ? 'refused' : 'cannot fetch'} the ${repository.name} trusted root from ${repository.mirrorUrl}: ${causeMessages(cause)}`;
    const details = {
      mirrorUrl: repository.mirrorUrl,
      repository: repository.name,
      reason: causeName(cause),
    };
    throw refused
      ? new VerificationError('TRUST_ROOT_REFUSED', message, { cause, details })
      : new UnavailableError('TRUST_ROOT_UNAVAILABLE', message, { cause, details });
  }
  const source = `${repository.mirrorUrl}/targets/${TRUSTED_ROOT_TARGET}`;
  let json: unknown;
  try {
    json = parseJsonText(text, source, 'trusted root', 'trustedRoot');
    validated(json, source);
  } catch (error) {
    if (!(error instanceof SlsaLedgerError)) throw error;
    throw new VerificationError(
      'TRUST_ROOT_REFUSED',
      `refused the ${repository.name} trusted root from ${repository.mirrorUrl}: the signed target is not a usable trusted root (${error.message})`,
      {
        cause: error,
        details: { mirrorUrl: repository.mirrorUrl, repository: repository.name, reason: error.code },
      },
    );
  }
  if (npmText === undefined) return { root: json };
  try {
    checkNpmRegistryKeys(npmText, `${repository.mirrorUrl}/targets/${NPM_KEYS_TARGET}`);
  } catch (error) {
    if (!(error instanceof SlsaLedgerError)) throw error;
    throw new VerificationError(
      'TRUST_ROOT_REFUSED',
      `refused the npm registry's keys from ${repository.mirrorUrl}: ${error.message}`,
      { cause: error, details: { mirrorUrl: repository.mirrorUrl, target: NPM_KEYS_TARGET } },
    );
  }
  return { root: json, npmRegistryKeys: npmText };
}

const TRUSTED_ROOT_TARGET = 'trusted_root.json';
/** Sigstore public good's TUF target of the npm registry's keys (slsa-verifier reads it too) */
const NPM_KEYS_TARGET = 'registry.npmjs.org/keys.json';

/** The cached npm keys target of public good's repository (an earlier online run), if any. */
async function cachedNpmRegistryKeys(
  cacheDir: string | undefined,
  repository: TufRepository | undefined,
): Promise<string | undefined> {
  if (cacheDir === undefined || repository === undefined) return undefined;
  const path = join(
    cacheDir,
    tufRepoName(repository.mirrorUrl),
    'targets',
    encodeURIComponent(NPM_KEYS_TARGET),
  );
  if (!(await fileExists(path))) return undefined;
  const text = await readInputText(path, 'cached npm registry keys');
  try {
    checkNpmRegistryKeys(text, path);
  } catch (error) {
    if (!(error instanceof SlsaLedgerError)) throw error;
    throw new SlsaLedgerError('INPUT_TRUSTED_ROOT_INVALID', error.message, {
      cause: error,
      details: { path },
    });
  }
  return text;
}

/**
 * A TUF failure that says the repository is not to be trusted (as opposed to not reachable):
 * tuf-js's and @tufjs/models' repository errors (unsigned, expired, rolled back, hash or length
 * mismatch), malformed metadata, or a repository without the trusted root target.
 */
function isRefusal(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (REFUSAL_NAMES.has(e.constructor.name)) return true;
    if ((e as { code?: unknown }).code === 'TUF_FIND_TARGET_ERROR') return true;
    // tuf-js wraps snapshot and targets failures in a RuntimeError that keeps only the message
    if (
      e.constructor.name === 'RuntimeError' &&
      /^Unable to load (snapshot metadata|targets) error /.test(e.message)
    ) {
      return !UNREACHABLE.test(e.message);
    }
  }
  return false;
}

/** what a download failure's message says (tuf-js's DownloadHTTPError, make-fetch-happen's FetchError) */
const UNREACHABLE =
  /failed to download|fetcherror|request to .* failed|econn|etimedout|eai_again|enotfound|socket hang up|network|timed? ?out/i;

const REFUSAL_NAMES = new Set([
  'RepositoryError',
  'BadVersionError',
  'EqualVersionError',
  'ExpiredMetadataError',
  'UnsignedMetadataError',
  'LengthOrHashMismatchError',
  'DownloadLengthMismatchError',
  'ValueError',
  'CryptoError',
  'UnsupportedAlgorithmError',
  'SyntaxError',
]);

function causeName(error: unknown): string {
  let name = 'unknown';
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    name = e.constructor.name;
  }
  return name;
}

function causeMessages(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (!parts.includes(e.message)) parts.push(e.message);
  }
  return parts.join(': ').toLowerCase();
}

/**
 * Reads `--trusted-root FILE`: one Sigstore trusted_root.json, or JSON lines of them (the output of
 * `gh attestation trusted-root`: Sigstore public good and GitHub's own instance). Each document is
 * parsed strictly within the `trustedRoot` limits and must be a usable trusted root.
 */
export async function readTrustedRootFile(path: string): Promise<SigstoreTrust> {
  const bytes = await readInputFile(path, 'trusted root', { maxBytes: MAX_TRUSTED_ROOT_FILE_BYTES });
  const text = bytes.toString('utf8');
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  // JSON lines: every line one whole object; anything else (pretty-printed) is one document
  const isJsonLines = lines.length > 1 && lines.every((l) => /^\s*\{.*\}\s*$/.test(l));
  if (!isJsonLines) {
    return validated(parseJsonText(bytes, path, 'trusted root', 'trustedRoot'), path);
  }
  if (lines.length > MAX_TRUSTED_ROOTS) {
    throw new SlsaLedgerError(
      'INPUT_LIMIT_EXCEEDED',
      `trusted root file ${path} holds more than ${MAX_TRUSTED_ROOTS} roots`,
      {
        details: { path, limit: 'roots', max: MAX_TRUSTED_ROOTS, actual: lines.length },
      },
    );
  }
  const roots = lines.map((line, i) =>
    parseJsonText(line, `${path}:${i + 1}`, 'trusted root', 'trustedRoot'),
  );
  roots.forEach((r, i) => validated(r, `${path}:${i + 1}`));
  return { trustedRoots: roots };
}

/** A `gh attestation trusted-root` file holds a few roots; more is not a trust file. */
const MAX_TRUSTED_ROOTS = 16;
const MAX_TRUSTED_ROOT_FILE_BYTES = 4 * 1024 * 1024 * 4;

function validated(json: unknown, source: string): SigstoreTrust {
  try {
    buildTrustMaterial(json);
  } catch (error) {
    if (error instanceof SlsaLedgerError) {
      throw new SlsaLedgerError(error.code, `${error.message} (${source})`, {
        cause: error,
        details: { ...error.details, source },
      });
    }
    throw error;
  }
  return { trustedRoot: json };
}

function defaultCacheDir(env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (env.XDG_CACHE_HOME !== undefined && env.XDG_CACHE_HOME !== '') {
    return join(env.XDG_CACHE_HOME, 'slsa-ledger', 'sigstore-tuf');
  }
  if (env.HOME !== undefined && env.HOME !== '')
    return join(env.HOME, '.cache', 'slsa-ledger', 'sigstore-tuf');
  return undefined;
}

/** Where @sigstore/tuf keeps the verified `trusted_root.json` target for a mirror. */
function cachedTrustedRootPath(cacheDir: string | undefined, mirrorUrl: string): string | undefined {
  if (cacheDir === undefined) return undefined;
  return join(cacheDir, tufRepoName(mirrorUrl), 'targets', TRUSTED_ROOT_TARGET);
}

/** @sigstore/tuf's cache directory name for a mirror (its host and path, url-encoded). */
function tufRepoName(mirrorUrl: string): string {
  const url = new URL(mirrorUrl);
  return encodeURIComponent(url.host + url.pathname.replace(/\/$/, ''));
}
