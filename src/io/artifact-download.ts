import yauzl from 'yauzl';
import { readArtifactList } from '../core/input/github-answers.js';
import { parseJson } from '../core/input/strict-json.js';
import { retryPolicies } from '../core/retry/decide-retry.js';
import {
  pickProvenanceArtifact,
  pickProvenanceFiles,
  resolveArtifactLocation,
} from '../core/validate/validate-plan.js';
import { isSlsaLedgerError, SlsaLedgerError, type ErrorCode } from '../errors.js';
import { isAllowedScheme, normaliseApiUrl } from './github.js';
import { BodyTooLargeError, readBodyBounded } from './http-body.js';
import { withRetries } from './retry-loop.js';
import { networkReason } from './slack.js';

const maxRedirects = 5;

export interface FetchOptions {
  /** sent only to `tokenOrigin` (never across a redirect to another origin) */
  readonly token?: string;
  readonly tokenOrigin?: string;
  readonly accept?: string;
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
  /** the code for failures (ARTIFACT_UNAVAILABLE, MANIFEST_URL_UNAVAILABLE) */
  readonly code: ErrorCode;
  /** names the thing in messages, never the URL's query (signed URLs carry credentials there) */
  readonly what: string;
}

/**
 * Scheme, host and path of a URL: what a message may show of it (no user, password, query or
 * fragment). Not `url.origin`, which is `null` for a `file:` or `data:` URL.
 */
export function describeUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/**
 * GETs a URL following redirects by hand so the token goes only to its own origin: a 302 from the
 * GitHub API to a signed blob URL on another origin is followed WITHOUT Authorization (the blob
 * store refuses a second credential, and the token must not leak there).
 */
export async function fetchBytes(start: string, options: FetchOptions): Promise<{ bytes: Buffer; url: URL }> {
  const deadline = AbortSignal.timeout(options.timeoutMs ?? 60_000);
  // the one retry policy (src/core/retry): a network failure, a 5xx and a 429 (its Retry-After
  // within the cap) are tried again from the start (a signed blob url may have been renewed), all
  // within the one deadline; a 4xx, a refused redirect and an answer over the limit are not
  return withRetries(retryPolicies.download, () => fetchBytesOnce(start, options, deadline), {
    stopped: () => deadline.aborted,
  });
}

async function fetchBytesOnce(
  start: string,
  options: FetchOptions,
  deadline: AbortSignal,
): Promise<{ bytes: Buffer; url: URL }> {
  let url = new URL(start);
  for (let hop = 0; ; hop++) {
    if (!isAllowedScheme(url)) {
      throw new SlsaLedgerError(
        options.code,
        `${options.what}: refusing a non-https URL ${url.protocol}//${url.host}`,
        {
          details: { url: describeUrl(url) },
        },
      );
    }
    const withToken =
      options.token !== undefined && options.token !== '' && url.origin === options.tokenOrigin;
    let response: Response;
    try {
      response = await fetch(url, {
        redirect: 'manual',
        signal: deadline,
        headers: {
          'user-agent': 'slsa-ledger',
          ...(options.accept === undefined ? {} : { accept: options.accept }),
          ...(withToken
            ? { authorization: `Bearer ${options.token ?? ''}`, 'x-github-api-version': '2022-11-28' }
            : {}),
        },
      });
    } catch (error) {
      throw new SlsaLedgerError(
        options.code,
        `${options.what}: ${networkReason(error)} reaching ${url.host}`,
        {
          cause: error,
          details: { url: describeUrl(url), retry: {} },
        },
      );
    }
    if (response.status >= 300 && response.status < 400 && response.headers.get('location') !== null) {
      await response.body?.cancel();
      if (hop >= maxRedirects) {
        throw new SlsaLedgerError(options.code, `${options.what}: too many redirects`, {
          details: { url: describeUrl(url) },
        });
      }
      url = new URL(response.headers.get('location') ?? '', url);
      continue;
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      const hint =
        response.status === 404 || response.status === 410
          ? ' (expired or deleted?)'
          : response.status === 401 || response.status === 403
            ? ' (the token lacks access: actions: read / contents: read)'
            : '';
      throw new SlsaLedgerError(
        options.code,
        `${options.what}: ${url.host} answered ${response.status}${hint}`,
        {
          details: {
            url: describeUrl(url),
            status: response.status,
            ...(response.status >= 500 || response.status === 429
              ? { retry: { retryAfter: response.headers.get('retry-after') ?? undefined } }
              : {}),
          },
        },
      );
    }
    const max = options.maxBytes ?? 64 * 1024 * 1024;
    let bytes: Buffer;
    try {
      // read within the limit: a server that streams without end (no content-length) stops here
      bytes = await readBodyBounded(response, max, deadline);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        throw new SlsaLedgerError(options.code, `${options.what}: more than the limit of ${max} bytes`, {
          details: { url: describeUrl(url), limit_bytes: max },
        });
      }
      throw new SlsaLedgerError(
        options.code,
        `${options.what}: the download from ${url.host} broke off (${networkReason(error)})`,
        {
          cause: error,
          details: { url: describeUrl(url) },
        },
      );
    }
    return { bytes, url };
  }
}

export interface ProvenanceDownloadOptions {
  /** the entry's artifact_url */
  readonly artifactUrl: string;
  /** GITHUB_API_URL */
  readonly apiUrl: string;
  /** GITHUB_TOKEN (actions: read), sent to the API origin only */
  readonly token?: string;
  /** artifact name when the URL names a whole run */
  readonly artifactName?: string;
  readonly timeoutMs?: number;
}

export interface DownloadedFile {
  readonly name: string;
  readonly bytes: Buffer;
}

/**
 * Downloads the provenance an entry points at: one artifact of the GitHub artifacts API (a zip,
 * reached through a 302 to a blob store), the provenance artifact of a run, or a plain https file.
 * Every failure is ARTIFACT_UNAVAILABLE (exit 5).
 */
export async function downloadProvenance(options: ProvenanceDownloadOptions): Promise<DownloadedFile[]> {
  const api = new URL(normaliseApiUrl(options.apiUrl));
  const code = 'ARTIFACT_UNAVAILABLE' as const;
  let location;
  try {
    location = resolveArtifactLocation(options.artifactUrl);
  } catch (error) {
    throw new SlsaLedgerError(code, 'the entry has no usable artifact_url', { cause: error });
  }
  const common = {
    code,
    tokenOrigin: api.origin,
    ...(options.token === undefined ? {} : { token: options.token }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  };
  const apiBase = api.href.replace(/\/+$/, '');
  let zipUrl: string;
  if (location.kind === 'direct') {
    const { bytes, url } = await fetchBytes(location.url, { ...common, what: 'provenance download' });
    const name = decodeURIComponent(url.pathname.split('/').pop() ?? 'provenance');
    return isZip(bytes) ? extractProvenance(bytes) : [{ name, bytes }];
  }
  if (location.kind === 'run') {
    const listing = await fetchBytes(
      `${apiBase}/repos/${location.owner}/${location.repo}/actions/runs/${location.runId}/artifacts?per_page=100`,
      { ...common, accept: 'application/vnd.github+json', what: `artifacts of run ${location.runId}` },
    );
    let artifacts: { id: number; name: string; expired: boolean }[];
    try {
      artifacts = readArtifactList(
        parseJson(listing.bytes, 'apiResponse', `artifacts of run ${location.runId}`),
        `artifacts of run ${location.runId}`,
      );
    } catch (error) {
      throw new SlsaLedgerError(code, `artifacts of run ${location.runId}: unexpected answer`, {
        cause: error,
        ...(isSlsaLedgerError(error) ? { details: { reason: error.message } } : {}),
      });
    }
    const chosen = pickProvenanceArtifact(artifacts, options.artifactName);
    if (chosen === undefined) {
      throw new SlsaLedgerError(
        code,
        `run ${location.runId} has no live provenance artifact${options.artifactName ? ` named ${options.artifactName}` : ''}`,
        {
          details: { run_id: location.runId, artifacts: artifacts.map((a) => a.name) },
        },
      );
    }
    zipUrl = `${apiBase}/repos/${location.owner}/${location.repo}/actions/artifacts/${chosen.id}/zip`;
  } else {
    zipUrl = `${apiBase}/repos/${location.owner}/${location.repo}/actions/artifacts/${location.artifactId}/zip`;
  }
  const { bytes } = await fetchBytes(zipUrl, {
    ...common,
    accept: 'application/vnd.github+json',
    what: 'artifact download',
  });
  return extractProvenance(bytes);
}

function isZip(bytes: Buffer): boolean {
  return bytes.length >= 4 && bytes.readUInt32LE(0) === 0x04034b50;
}

async function extractProvenance(zip: Buffer): Promise<DownloadedFile[]> {
  const files = await readZip(zip);
  const chosen = pickProvenanceFiles(files.map((f) => f.name));
  if (chosen.length === 0) {
    throw new SlsaLedgerError(
      'ARTIFACT_UNAVAILABLE',
      `the artifact holds no provenance file (${files.map((f) => f.name).join(', ') || 'empty'})`,
      {
        details: { files: files.map((f) => f.name) },
      },
    );
  }
  return files.filter((f) => chosen.includes(f.name));
}

/** Limits of one downloaded archive (docs/limits.md, "artifact archives"). */
export interface ZipLimits {
  /** entries in the central directory, directories included */
  readonly maxEntries: number;
  /** uncompressed bytes of one file */
  readonly maxEntryBytes: number;
  /** uncompressed bytes of all files */
  readonly maxTotalBytes: number;
  /** uncompressed / compressed, for files above `ratioFloorBytes` (a zip bomb inflates ~1000:1) */
  readonly maxRatio: number;
  readonly ratioFloorBytes: number;
}

export const defaultZipLimits: ZipLimits = {
  maxEntries: 1_000,
  maxEntryBytes: 64 * 1024 * 1024,
  maxTotalBytes: 256 * 1024 * 1024,
  maxRatio: 100,
  ratioFloorBytes: 1024 * 1024,
};

/**
 * Reads a zip archive in memory with yauzl (a maintained reader: zip64, CRC and size checks, and
 * file-name validation that refuses absolute paths, `..` components and backslashes — zip-slip).
 * Each file's declared sizes are checked against the limits before it is inflated, and the
 * inflated bytes are counted while they stream, so a lying header cannot exceed them either.
 * @throws ARTIFACT_ARCHIVE_INVALID (exit 3): malformed, hostile or over a limit
 */
export async function readZip(zip: Buffer, limits: ZipLimits = defaultZipLimits): Promise<DownloadedFile[]> {
  const bad = (why: string, cause?: unknown): SlsaLedgerError =>
    new SlsaLedgerError('ARTIFACT_ARCHIVE_INVALID', `the artifact is not an acceptable zip archive: ${why}`, {
      ...(cause === undefined ? {} : { cause }),
      details: { reason: why },
    });
  const zipfile = await new Promise<yauzl.ZipFile>((resolvePromise, reject) => {
    yauzl.fromBuffer(
      zip,
      { lazyEntries: true, decodeStrings: true, validateEntrySizes: true, strictFileNames: true },
      (error, file) => (error ? reject(bad(zipReason(error), error)) : resolvePromise(file)),
    );
  });
  if (zipfile.entryCount > limits.maxEntries) {
    zipfile.close();
    throw bad(`${zipfile.entryCount} entries, more than the limit of ${limits.maxEntries}`);
  }
  const out: DownloadedFile[] = [];
  let total = 0;
  try {
    for (;;) {
      const entry = await new Promise<yauzl.Entry | undefined>((resolvePromise, reject) => {
        const onEntry = (e: yauzl.Entry): void => {
          zipfile.off('end', onEnd).off('error', onError);
          resolvePromise(e);
        };
        const onEnd = (): void => {
          zipfile.off('entry', onEntry).off('error', onError);
          resolvePromise(undefined);
        };
        const onError = (error: Error): void => {
          zipfile.off('entry', onEntry).off('end', onEnd);
          reject(bad(zipReason(error), error));
        };
        zipfile.once('entry', onEntry).once('end', onEnd).once('error', onError);
        zipfile.readEntry();
      });
      if (entry === undefined) break;
      const name = entry.fileName;
      if (name.endsWith('/')) continue;
      if (entry.isEncrypted()) throw bad(`${name} is encrypted`);
      if (entry.uncompressedSize > limits.maxEntryBytes) {
        throw bad(
          `${name} inflates to ${entry.uncompressedSize} bytes, more than the limit of ${limits.maxEntryBytes}`,
        );
      }
      total += entry.uncompressedSize;
      if (total > limits.maxTotalBytes)
        throw bad(`the files inflate to more than ${limits.maxTotalBytes} bytes`);
      if (
        entry.uncompressedSize > limits.ratioFloorBytes &&
        entry.uncompressedSize > limits.maxRatio * Math.max(1, entry.compressedSize)
      ) {
        throw bad(`${name} has a compression ratio above ${limits.maxRatio}:1 (a zip bomb?)`);
      }
      const stream = await new Promise<NodeJS.ReadableStream>((resolvePromise, reject) => {
        zipfile.openReadStream(entry, (error, s) =>
          error ? reject(bad(zipReason(error), error)) : resolvePromise(s),
        );
      });
      const chunks: Buffer[] = [];
      let size = 0;
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          size += chunk.length;
          if (size > entry.uncompressedSize) throw bad(`${name} inflates past its declared size`);
          chunks.push(chunk);
        }
      } catch (error) {
        if (error instanceof SlsaLedgerError) throw error;
        throw bad(`${name}: ${zipReason(error)}`, error);
      }
      out.push({ name, bytes: Buffer.concat(chunks, size) });
    }
  } finally {
    zipfile.close();
  }
  return out;
}

/** yauzl's message, without anything but the reason (names are validated before they are shown). */
function zipReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.slice(0, 200);
}
