import { crc32, inflateRawSync } from 'node:zlib';
import {
  pickProvenanceArtifact,
  pickProvenanceFiles,
  resolveArtifactLocation,
} from '../core/validate/validate-plan.js';
import { SlsaLedgerError, type ErrorCode } from '../errors.js';
import { isAllowedScheme, normaliseApiUrl } from './github.js';
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

/** `origin + path` of a URL: what a message may show of it. */
export function describeUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/**
 * GETs a URL following redirects by hand so the token goes only to its own origin: a 302 from the
 * GitHub API to a signed blob URL on another origin is followed WITHOUT Authorization (the blob
 * store refuses a second credential, and the token must not leak there).
 */
export async function fetchBytes(start: string, options: FetchOptions): Promise<{ bytes: Buffer; url: URL }> {
  let url = new URL(start);
  const deadline = AbortSignal.timeout(options.timeoutMs ?? 60_000);
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
          details: { url: describeUrl(url) },
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
          details: { url: describeUrl(url), status: response.status },
        },
      );
    }
    const max = options.maxBytes ?? 64 * 1024 * 1024;
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > max) {
      await response.body?.cancel();
      throw new SlsaLedgerError(
        options.code,
        `${options.what}: ${declared} bytes is more than the limit of ${max}`,
        {
          details: { url: describeUrl(url) },
        },
      );
    }
    let bytes: Buffer;
    try {
      bytes = Buffer.from(await response.arrayBuffer());
    } catch (error) {
      throw new SlsaLedgerError(options.code, `${options.what}: the download from ${url.host} broke off`, {
        cause: error,
        details: { url: describeUrl(url) },
      });
    }
    if (bytes.length > max) {
      throw new SlsaLedgerError(options.code, `${options.what}: more than the limit of ${max} bytes`, {
        details: { url: describeUrl(url) },
      });
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
    let artifacts: { id: number; name: string; expired?: boolean }[];
    try {
      artifacts = (JSON.parse(listing.bytes.toString('utf8')) as { artifacts: typeof artifacts }).artifacts;
      if (!Array.isArray(artifacts)) throw new Error('no artifacts array');
    } catch (error) {
      throw new SlsaLedgerError(code, `artifacts of run ${location.runId}: unexpected answer`, {
        cause: error,
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

function extractProvenance(zip: Buffer): DownloadedFile[] {
  const files = readZip(zip);
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

/** Reads a zip archive (stored or deflated entries; no zip64, no encryption). */
export function readZip(zip: Buffer, maxTotal = 256 * 1024 * 1024): DownloadedFile[] {
  const bad = (why: string): SlsaLedgerError =>
    new SlsaLedgerError('ARTIFACT_UNAVAILABLE', `the artifact is not a readable zip archive: ${why}`);
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65_535); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd === -1) throw bad('no end of central directory');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  const out: DownloadedFile[] = [];
  let total = 0;
  for (let n = 0; n < count; n++) {
    if (p + 46 > zip.length || zip.readUInt32LE(p) !== 0x02014b50) throw bad('broken central directory');
    const flags = zip.readUInt16LE(p + 8);
    const method = zip.readUInt16LE(p + 10);
    const crc = zip.readUInt32LE(p + 16);
    const packed = zip.readUInt32LE(p + 20);
    const size = zip.readUInt32LE(p + 24);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    const name = zip.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    p += 46 + nameLen + extraLen + commentLen;
    if (name.endsWith('/')) continue;
    if ((flags & 1) !== 0) throw bad(`${name} is encrypted`);
    if (packed === 0xffffffff || size === 0xffffffff) throw bad('zip64 is not supported');
    total += size;
    if (total > maxTotal) throw bad('too large');
    if (local + 30 > zip.length || zip.readUInt32LE(local) !== 0x04034b50)
      throw bad(`broken local header of ${name}`);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(start, start + packed);
    let bytes: Buffer;
    if (method === 0) bytes = Buffer.from(data);
    else if (method === 8) {
      try {
        bytes = inflateRawSync(data, { maxOutputLength: Math.max(size, 1) });
      } catch (error) {
        throw new SlsaLedgerError('ARTIFACT_UNAVAILABLE', `the artifact's ${name} does not inflate`, {
          cause: error,
        });
      }
    } else throw bad(`${name} uses compression method ${method}`);
    if (bytes.length !== size || crc32(bytes) !== crc) throw bad(`${name} fails its crc check`);
    out.push({ name, bytes });
  }
  return out;
}
