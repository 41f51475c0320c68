import { join } from 'node:path';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { DEFAULT_MIRROR_URL, getTrustedRoot } from '@sigstore/tuf';
import { SlsaLedgerError, UnavailableError } from '../errors.js';
import type { Logger } from '../core/ports.js';
import { buildTrustMaterial, type SigstoreTrust } from '../core/verify/signature-sigstore.js';
import { fileExists, parseJsonText, readInputText, readJsonFile } from './files.js';

export interface LoadSigstoreTrustOptions {
  /** `--trusted-root FILE`: a Sigstore trusted_root.json; used as is, nothing is fetched */
  readonly trustedRootPath?: string;
  /** `--offline`: never fetch; without a trusted root file, only a TUF cache of an earlier run is used */
  readonly offline?: boolean;
  /** TUF cache directory (default `$XDG_CACHE_HOME/slsa-ledger/sigstore-tuf`, else `$HOME/.cache/…`) */
  readonly cacheDir?: string;
  /** TUF mirror (default Sigstore public-good) */
  readonly tufMirrorUrl?: string;
  /** the environment, for the default cache directory (never read from process.env here) */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logger?: Logger;
}

/**
 * Loads the trust material for certificate-signed provenance: the given trusted_root.json, or
 * Sigstore public-good's through TUF (with a local cache). Offline it never fetches: a trusted
 * root file or a cached TUF target is required, else TRUST_ROOT_UNAVAILABLE.
 * Throws INPUT_FILE_MISSING / INPUT_JSON_MALFORMED / INPUT_TRUSTED_ROOT_INVALID for a bad file.
 */
export async function loadSigstoreTrust(options: LoadSigstoreTrustOptions = {}): Promise<SigstoreTrust> {
  if (options.trustedRootPath !== undefined) {
    const json = await readJsonFile(options.trustedRootPath, 'trusted root', 'trustedRoot');
    return validated(json, options.trustedRootPath);
  }
  const mirrorUrl = options.tufMirrorUrl ?? DEFAULT_MIRROR_URL;
  const cacheDir = options.cacheDir ?? defaultCacheDir(options.env ?? {});
  if (options.offline === true) {
    const cached = cachedTrustedRootPath(cacheDir, mirrorUrl);
    if (cacheDir === undefined || cached === undefined || !(await fileExists(cached))) {
      throw new UnavailableError(
        'TRUST_ROOT_UNAVAILABLE',
        'offline and no trust material: pass --trusted-root FILE (a sigstore trusted_root.json) or run once online to fill the tuf cache',
        { details: { cacheDir: cacheDir ?? null } },
      );
    }
    options.logger?.debug(`using cached sigstore trusted root ${cached}`);
    return validated(
      parseJsonText(
        await readInputText(cached, 'cached trusted root'),
        cached,
        'cached trusted root',
        'trustedRoot',
      ),
      cached,
    );
  }
  if (cacheDir === undefined) {
    throw new UnavailableError(
      'TRUST_ROOT_UNAVAILABLE',
      'no cache directory for the sigstore tuf client: set HOME or XDG_CACHE_HOME, or pass --trusted-root FILE',
    );
  }
  options.logger?.debug(`fetching the sigstore trusted root from ${mirrorUrl}`);
  let root: TrustedRoot;
  try {
    root = await getTrustedRoot({ mirrorURL: mirrorUrl, cachePath: cacheDir, retry: 2, timeout: 10_000 });
  } catch (cause) {
    throw new UnavailableError(
      'TRUST_ROOT_UNAVAILABLE',
      `cannot fetch the sigstore trusted root from ${mirrorUrl}: ${(cause as Error).message}`.toLowerCase(),
      { cause, details: { mirrorUrl } },
    );
  }
  return validated(TrustedRoot.toJSON(root), mirrorUrl);
}

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
  let url: URL;
  try {
    url = new URL(mirrorUrl);
  } catch {
    return undefined;
  }
  const repoName = encodeURIComponent(url.host + url.pathname.replace(/\/$/, ''));
  return join(cacheDir, repoName, 'targets', 'trusted_root.json');
}
