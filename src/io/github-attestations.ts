// GitHub's attestations API, read as `gh attestation verify` reads it (cli/cli
// pkg/cmd/attestation/api/client.go):
// - GET /repos/{owner}/{repo}/attestations/{subject_digest} and GET /orgs/{org}/attestations/{subject_digest}
//   (https://docs.github.com/rest/repos/repos#list-attestations,
//   https://docs.github.com/rest/orgs/orgs#list-attestations), `subject_digest` = `sha256:HEX`,
//   `per_page` at most 100, more pages by the `Link: <…>; rel="next"` header's cursor
//   (https://docs.github.com/rest/using-the-rest-api/using-pagination-in-the-rest-api);
// - redirects are followed (a renamed or transferred repository answers 301), the token only
//   within the origin it was sent to;
// - each item holds the bundle inline (`bundle`) or a short-lived signed `bundle_url` serving the
//   bundle's JSON compressed with raw snappy. The URL is a signed blob-storage address: the GitHub
//   token is never sent to it.
// - rate limits (https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api,
//   "Exceeding the rate limit"): the primary limit answers 403 or 429 with `x-ratelimit-remaining: 0`
//   (wait for `x-ratelimit-reset`); a secondary limit answers 403 or 429 with a message saying so,
//   `retry-after` only sometimes (else "wait for at least one minute"). So every 429, and a 403 with
//   `x-ratelimit-remaining: 0`, `retry-after` or a rate-limit message, is GITHUB_RATE_LIMITED
//   (exit 5) with the reset time or the wait, never retried at once; 404 is "no attestations"; 5xx
//   is retried (gh retries 3 times), then GITHUB_UNAVAILABLE; another 4xx (a 403 of permissions
//   too) is GITHUB_REJECTED. The token never appears in a message.
import { decideRetry, retryPolicies, type BackoffPolicy } from '../core/retry/decide-retry.js';
import { decideRateLimit } from '../core/retry/rate-limit.js';
import { uncompress } from 'snappyjs';
import { limits, otherLimits } from '../core/input/limits.js';
import { parseJson } from '../core/input/strict-json.js';
import { SlsaLedgerError, UnavailableError } from '../errors.js';
import { BodyTooLargeError, readBodyBounded, readBodyPrefix } from './http-body.js';

export interface FetchAttestationsOptions {
  /** default https://api.github.com (GITHUB_API_URL) */
  readonly apiUrl: string;
  /** GITHUB_TOKEN (optional for public repositories) */
  readonly token?: string;
  /** `OWNER/REPO` (repository scope) … */
  readonly repo?: string;
  /** … or an organisation */
  readonly owner?: string;
  /** `sha256:HEX` (or `sha512:HEX`) */
  readonly digest: string;
  /** attestations at most (gh's --limit: 1..1000, default 30) */
  readonly limit?: number;
  /** filter by predicate type on the server (newer API; the client filters again) */
  readonly predicateType?: string;
  /** injectable for tests; default global fetch */
  readonly fetch?: typeof fetch;
  /** waits between retries of a 5xx (ms, default 200 as gh) */
  readonly retryDelayMs?: number;
  /** each request, its redirects and its body included (default 30 s) */
  readonly timeoutMs?: number;
  /** bytes of all answers together, pages and bundles (default `otherLimits.attestationsBytes`) */
  readonly maxTotalBytes?: number;
}

/** Bundles downloaded at once. */
const DOWNLOADS_AT_ONCE = 8;

/** What is left of the bytes all answers of one call may take together. */
interface Budget {
  left: number;
  readonly total: number;
}

function spend(budget: Budget, bytes: number): void {
  budget.left -= bytes;
  if (budget.left < 0) {
    throw new SlsaLedgerError(
      'INPUT_TOO_LARGE',
      `the attestations api's answers are more than ${budget.total} bytes together`,
      { details: { limit: 'attestationsBytes', max: budget.total } },
    );
  }
}

export interface FetchedAttestation {
  /** the bundle JSON, parsed strictly */
  readonly bundle: unknown;
  /** where it came from, for verdicts */
  readonly source: string;
  readonly repositoryId?: number;
}

const PER_PAGE_MAX = 100;
const MAX_LIMIT = 1000;
/** The GitHub API policy of the one retry module, from the caller's first delay. */
function policyOf(delayMs: number): BackoffPolicy {
  return {
    ...retryPolicies.githubApi,
    baseDelayMs: delayMs,
    maxDelayMs: Math.max(delayMs, retryPolicies.githubApi.maxDelayMs),
  };
}

/** Fetches the attestations for a digest (see the module comment for the behaviour). */
export async function fetchAttestations(options: FetchAttestationsOptions): Promise<FetchedAttestation[]> {
  const limit = options.limit ?? 30;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new SlsaLedgerError('USAGE_INVALID_FLAG', `--limit ${limit} is not allowed: 1..${MAX_LIMIT}`, {
      details: { flag: 'limit' },
    });
  }
  const doFetch = options.fetch ?? fetch;
  const scope =
    options.repo !== undefined
      ? `repos/${options.repo.split('/').map(encodeURIComponent).join('/')}`
      : `orgs/${encodeURIComponent(options.owner ?? '')}`;
  const base = options.apiUrl.replace(/\/+$/, '');
  const query = new URLSearchParams({ per_page: String(Math.min(limit, PER_PAGE_MAX)) });
  if (options.predicateType !== undefined) query.set('predicate_type', options.predicateType);
  let url: string | undefined =
    `${base}/${scope}/attestations/${encodeURIComponent(options.digest)}?${query.toString()}`;
  const items: { bundle?: unknown; bundle_url?: unknown; repository_id?: unknown }[] = [];
  const apiOrigin = new URL(base).origin;
  const total = options.maxTotalBytes ?? otherLimits.attestationsBytes;
  const budget: Budget = { left: total, total };
  while (url !== undefined && items.length < limit) {
    if (new URL(url).origin !== apiOrigin) {
      throw new SlsaLedgerError('GITHUB_REJECTED', 'the next page is on another host than the api', {
        details: { url: new URL(url).origin },
      });
    }
    const response = await requestWithRetry(
      doFetch,
      url,
      apiHeaders(options.token),
      options.retryDelayMs ?? 200,
      options.timeoutMs,
    );
    if (response.status === 404) break;
    const page = await boundedBody(response, Math.min(limits.apiResponse.maxBytes, budget.left + 1));
    spend(budget, page.byteLength);
    const body = parseJson(page, 'apiResponse', 'attestations api answer') as {
      attestations?: unknown;
    };
    if (!Array.isArray(body.attestations)) {
      throw new SlsaLedgerError(
        'GITHUB_REJECTED',
        'the attestations api answered without an attestations list',
      );
    }
    items.push(...(body.attestations as typeof items));
    // a page that adds nothing ends the walk: a `Link: rel="next"` to the same (or another) empty
    // page, forever, had the loop request without end; so the pages are at most `limit`
    url = body.attestations.length === 0 ? undefined : nextLink(response.headers.get('link'));
  }
  if (items.length === 0) {
    throw new SlsaLedgerError(
      'ATTESTATIONS_NOT_FOUND',
      `no attestations found for ${options.digest} in ${options.repo ?? options.owner ?? ''}`,
      {
        details: { digest: options.digest, scope: options.repo ?? options.owner ?? null },
      },
    );
  }
  const kept = items.slice(0, limit);
  // a few downloads at a time, every bundle within what is left of the budget: 1,000 bundle urls
  // were fetched at once, each up to 32 MiB
  const out: FetchedAttestation[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < kept.length; i = next++) {
      const item = kept[i] as (typeof kept)[number];
      const source = `github:${options.repo ?? options.owner ?? ''}#${i}`;
      const repositoryId = typeof item.repository_id === 'number' ? { repositoryId: item.repository_id } : {};
      if (typeof item.bundle_url === 'string' && item.bundle_url !== '') {
        out[i] = {
          bundle: await downloadBundle(doFetch, item.bundle_url, budget, options.timeoutMs),
          source,
          ...repositoryId,
        };
      } else if (item.bundle !== undefined && item.bundle !== null) {
        out[i] = { bundle: item.bundle, source, ...repositoryId };
      } else {
        throw new SlsaLedgerError(
          'GITHUB_REJECTED',
          `attestation ${i} has neither a bundle nor a bundle url`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(DOWNLOADS_AT_ONCE, kept.length) }, worker));
  return out;
}

function apiHeaders(token: string | undefined): Record<string, string> {
  return {
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
    'user-agent': 'slsa-ledger',
    ...(token === undefined || token === '' ? {} : { authorization: `Bearer ${token}` }),
  };
}

/** The deadline of each answer, for the read of its body (readBodyBounded holds it). */
const deadlines = new WeakMap<Response, AbortSignal>();

/** The default time for one request of the attestations API, its redirects and body included. */
const REQUEST_TIMEOUT_MS = 30_000;

async function requestWithRetry(
  doFetch: typeof fetch,
  url: string,
  headers: Record<string, string>,
  delayMs: number,
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<Response> {
  for (let attempt = 0; ; attempt += 1) {
    let response: Response;
    try {
      // one deadline per attempt, for the redirects, the headers and the body read after it (the
      // signal stays with the response): a server that never answers, or drips, had no limit
      const deadline = AbortSignal.timeout(timeoutMs);
      response = await fetchFollowingRedirects(doFetch, url, headers, deadline);
      deadlines.set(response, deadline);
    } catch (cause) {
      if (cause instanceof SlsaLedgerError) throw cause;
      const verdict = decideRetry(policyOf(delayMs), attempt + 1, { retryable: true, random: Math.random() });
      if (verdict.kind === 'retry') {
        await sleep(verdict.delayMs);
        continue;
      }
      throw new UnavailableError(
        'GITHUB_UNAVAILABLE',
        `cannot reach the github api: ${(cause as Error).message}`.toLowerCase(),
        {
          cause,
        },
      );
    }
    if (response.ok || response.status === 404) return response;
    const errorMessage =
      response.status === 403 || response.status === 429 ? await readErrorMessage(response) : undefined;
    const limit = decideRateLimit(
      response.status,
      {
        remaining: response.headers.get('x-ratelimit-remaining'),
        reset: response.headers.get('x-ratelimit-reset'),
        retryAfter: response.headers.get('retry-after'),
      },
      errorMessage ?? '',
    );
    if (limit !== undefined) {
      throw new UnavailableError(
        'GITHUB_RATE_LIMITED',
        `github api rate limit exceeded${limit.resetAt !== null ? `; it resets at ${limit.resetAt}` : ''}${limit.retryAfterS !== null ? `; retry after ${limit.retryAfterS} s` : ''}${limit.primary ? ' (set GITHUB_TOKEN for a higher limit)' : ''}`,
        { details: { status: response.status, resetAt: limit.resetAt, retryAfterS: limit.retryAfterS } },
      );
    }
    const verdict = decideRetry(policyOf(delayMs), attempt + 1, {
      retryable: response.status >= 500,
      random: Math.random(),
    });
    if (verdict.kind === 'retry') {
      await sleep(verdict.delayMs);
      continue;
    }
    const message = errorMessage ?? (await readErrorMessage(response));
    if (response.status >= 500) {
      throw new UnavailableError('GITHUB_UNAVAILABLE', `the github api answered ${response.status}`, {
        details: { status: response.status },
      });
    }
    throw new SlsaLedgerError(
      'GITHUB_REJECTED',
      `the github api refused the request (${response.status}${message ? `: ${message}` : ''})`,
      {
        details: { status: response.status },
      },
    );
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/**
 * GET with GitHub's redirects followed (https://docs.github.com/rest/using-the-rest-api/best-practices-for-using-the-rest-api,
 * "Follow redirects": any request may be redirected; a renamed or transferred repository answers 301
 * with its new location): at most 5, https only (http only to the loopback interface), and the
 * token is dropped as soon as a redirect leaves the origin it was meant for, as browsers and Go do.
 */
async function fetchFollowingRedirects(
  doFetch: typeof fetch,
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<Response> {
  let current = new URL(url);
  let sent = headers;
  for (let hop = 0; ; hop += 1) {
    const response = await doFetch(current, { headers: sent, redirect: 'manual', signal });
    const location = response.headers.get('location');
    if (!REDIRECTS.has(response.status) || location === null) return response;
    await response.body?.cancel();
    if (hop >= MAX_REDIRECTS) {
      throw new SlsaLedgerError('GITHUB_REJECTED', `more than ${MAX_REDIRECTS} redirects from ${url}`, {
        details: { status: response.status },
      });
    }
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      throw new SlsaLedgerError('GITHUB_REJECTED', 'a redirect to something that is not a url');
    }
    if (next.protocol !== 'https:' && !(next.protocol === 'http:' && isLoopback(next.hostname))) {
      throw new SlsaLedgerError('GITHUB_REJECTED', `a redirect to ${next.protocol} is refused (https only)`, {
        details: { location: next.origin },
      });
    }
    if (next.origin !== current.origin) {
      const { authorization: _dropped, ...rest } = sent;
      sent = rest;
    }
    current = next;
  }
}

function isLoopback(hostname: string): boolean {
  return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
}

/** The `message` of a GitHub error answer (at most 200 characters), or '' when there is none. */
async function readErrorMessage(response: Response): Promise<string> {
  // an error answer's message is short: read its first 64 KiB, never an endless body
  return readBodyPrefix(response, 64 * 1024, deadlines.get(response)).then(
    (bytes) => {
      const t = bytes.toString('utf8');
      try {
        const m = (JSON.parse(t) as { message?: unknown }).message;
        return typeof m === 'string' ? m.slice(0, 200) : '';
      } catch {
        return '';
      }
    },
    () => '',
  );
}

async function downloadBundle(
  doFetch: typeof fetch,
  url: string,
  budget: Budget,
  timeoutMs?: number,
): Promise<unknown> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SlsaLedgerError('GITHUB_REJECTED', 'a bundle url is not a url');
  }
  if (parsed.protocol !== 'https:' && parsed.hostname !== '127.0.0.1') {
    throw new SlsaLedgerError('GITHUB_REJECTED', `a bundle url is not https (${parsed.protocol})`);
  }
  // a signed blob-storage url: no GitHub token goes there
  const response = await requestWithRetry(doFetch, url, { 'user-agent': 'slsa-ledger' }, 200, timeoutMs);
  if (response.status === 404)
    throw new SlsaLedgerError('GITHUB_REJECTED', 'a bundle url answered 404 (expired?)');
  const compressed = await boundedBody(response, Math.min(limits.signed.maxBytes, budget.left + 1));
  spend(budget, compressed.byteLength);
  let json: Buffer;
  try {
    json = uncompress(Buffer.from(compressed), limits.signed.maxBytes);
  } catch (cause) {
    throw new SlsaLedgerError(
      'INPUT_PROVENANCE_MALFORMED',
      `a downloaded bundle is not snappy-compressed json: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  spend(budget, json.byteLength);
  return parseJson(json, 'signed', 'downloaded attestation bundle');
}

async function boundedBody(response: Response, max: number): Promise<Uint8Array> {
  try {
    return await readBodyBounded(response, max, deadlines.get(response));
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      throw new SlsaLedgerError('INPUT_TOO_LARGE', `an answer is over the limit of ${max} bytes`);
    }
    // a body that timed out or broke off: the service is unavailable, never an internal error
    const reason = (error as { name?: string }).name === 'TimeoutError' ? 'timed out' : 'broke off';
    throw new UnavailableError('GITHUB_UNAVAILABLE', `an answer of the github api ${reason}`, {
      cause: error,
    });
  }
}

/** The `rel="next"` target of a Link header. */
export function nextLink(header: string | null): string | undefined {
  if (header === null) return undefined;
  for (const part of header.split(',')) {
    const m = /^\s*<([^>]+)>\s*;\s*rel="next"\s*$/.exec(part);
    if (m !== null) return m[1];
  }
  return undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
