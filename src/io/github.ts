import { Octokit } from '@octokit/rest';
import type { Logger } from '../core/ports.js';
import { silentLogger } from '../core/ports.js';
import { limits } from '../core/input/limits.js';
import { decideRateLimit } from '../core/retry/rate-limit.js';
import { SlsaLedgerError } from '../errors.js';
import { BodyTooLargeError, readBodyBounded } from './http-body.js';
import { redactText } from './redaction.js';
import { retryMarker, withRetries } from './retry-loop.js';
import { retryPolicies } from '../core/retry/decide-retry.js';

export const defaultGithubApiUrl = 'https://api.github.com';

export interface GithubClientOptions {
  /** a token (never read from the environment here: the CLI passes it in); undefined = anonymous */
  readonly token: string | undefined;
  /** REST base, e.g. `https://api.github.com` or `https://ghes.example/api/v3` (`GITHUB_API_URL`) */
  readonly baseUrl?: string;
  readonly logger?: Logger;
  /** per-request timeout (default 30 s) */
  readonly timeoutMs?: number;
}

export interface GithubResponse<T> {
  readonly status: number;
  readonly data: T;
  /** lower-cased response headers */
  readonly headers: Readonly<Record<string, string | undefined>>;
}

/** A thin GitHub REST/GraphQL client: octokit with our base URL, timeout and coded errors. */
export interface GithubClient {
  readonly baseUrl: string;
  request<T = unknown>(
    what: string,
    route: string,
    params?: Readonly<Record<string, unknown>>,
  ): Promise<GithubResponse<T>>;
  graphql<T = unknown>(what: string, query: string, variables: Readonly<Record<string, unknown>>): Promise<T>;
}

/** Checks and normalises an API base URL: https (or http to a loopback address), no trailing slash. */
export function normaliseApiUrl(value: string, name = 'GITHUB_API_URL'): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SlsaLedgerError('CONFIG_INVALID', `${name} must be a URL, got '${value.slice(0, 80)}'`, {
      details: { name },
    });
  }
  if (url.username !== '' || url.password !== '' || !isAllowedScheme(url)) {
    throw new SlsaLedgerError(
      'CONFIG_INVALID',
      `${name} must be an https URL without credentials (http only to a loopback address)`,
      { details: { name } },
    );
  }
  return url.href.replace(/\/+$/, '');
}

/** https anywhere; plain http only to this machine (local fakes, port-forwards). */
export function isAllowedScheme(url: URL): boolean {
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

export function createGithubClient(options: GithubClientOptions): GithubClient {
  const baseUrl = normaliseApiUrl(options.baseUrl ?? defaultGithubApiUrl);
  const logger = options.logger ?? silentLogger;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const octokit = new Octokit({
    ...(options.token === undefined ? {} : { auth: options.token }),
    baseUrl,
    userAgent: 'slsa-ledger',
    // octokit logs deprecations through console by default; the library never writes to the console
    log: {
      debug: (m: string) => logger.debug(m),
      info: (m: string) => logger.debug(m),
      warn: (m: string) => logger.warn(m),
      // its request log's failure line ("POST … - 500 with id UNKNOWN", also when no server
      // answered at all): the coded error that follows says what failed
      error: (m: string) => logger.debug(m),
    },
  });
  return {
    baseUrl,
    async request<T>(what: string, route: string, params: Readonly<Record<string, unknown>> = {}) {
      // a read is tried again on a 5xx or a network failure, as GitHub's REST docs advise (the one
      // retry policy, `githubApi`); a write (a dispatch, an issue, a pull request) never: it may
      // have been done though the answer failed
      const isRead = /^(GET|HEAD) /i.test(route);
      const once = async (): Promise<GithubResponse<T>> => {
        try {
          const response = await octokit.request(route, {
            ...params,
            request: { signal: AbortSignal.timeout(timeoutMs), fetch: boundedFetch },
          });
          return {
            status: response.status,
            data: response.data as T,
            headers: lowerHeaders(response.headers),
          };
        } catch (error) {
          throw githubError(what, error, { retryable: isRead });
        }
      };
      return isRead ? withRetries(retryPolicies.githubApi, once) : once();
    },
    async graphql<T>(what: string, query: string, variables: Readonly<Record<string, unknown>>) {
      try {
        return await octokit.graphql<T>(query, {
          ...variables,
          request: { signal: AbortSignal.timeout(timeoutMs), fetch: boundedFetch },
        });
      } catch (error) {
        throw githubError(what, error);
      }
    },
  };
}

/**
 * `fetch` for octokit with the answer's body read here first, within `limits.apiResponse.maxBytes`
 * and under the request's timeout: octokit reads a body to its end (`response.text()`), so a server
 * streaming without end had it hold everything sent until the timeout, and a body cut off by the
 * timeout came back as a success whose data was "". A body over the limit is GITHUB_ANSWER_INVALID;
 * one that breaks off is the fetch's own failure (a timeout or network error: GITHUB_UNAVAILABLE).
 */
async function boundedFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const response = await fetch(input, init);
  // fetch follows redirects (GitHub answers 301 for a renamed repository), and drops the token when
  // one leaves the origin; an answer reached over plain http is refused, as GITHUB_API_URL is
  if (response.redirected && !isAllowedScheme(new URL(response.url))) {
    await response.body?.cancel().catch(() => undefined);
    throw new SlsaLedgerError(
      'GITHUB_ANSWER_INVALID',
      `github redirected to ${new URL(response.url).origin}: only https (or http to a loopback address) is followed`,
      { details: { location: new URL(response.url).origin } },
    );
  }
  // statuses whose answers carry no body (the Response constructor refuses one for them)
  if ([101, 204, 205, 304].includes(response.status)) return response;
  let bytes: Buffer;
  try {
    bytes = await readBodyBounded(response, limits.apiResponse.maxBytes, init?.signal ?? undefined);
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      throw new SlsaLedgerError(
        'GITHUB_ANSWER_INVALID',
        `github answered with more than ${error.maxBytes} bytes (the limit of an api answer)`,
        { details: { limit_bytes: error.maxBytes } },
      );
    }
    throw error;
  }
  const buffered = new Response(new Uint8Array(bytes), {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
  // octokit reads the final url of the answer (after redirects) from the response
  Object.defineProperty(buffered, 'url', { value: response.url });
  return buffered;
}

function lowerHeaders(headers: Readonly<Record<string, unknown>>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(headers)) {
    out[k.toLowerCase()] = typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
  }
  return out;
}

/**
 * Wraps an octokit failure once: a response with 4xx is GITHUB_REJECTED (details.status, the API's
 * message), a 5xx, a timeout or a network failure GITHUB_UNAVAILABLE. Never includes the token.
 */
export function githubError(
  what: string,
  error: unknown,
  options: { readonly retryable?: boolean } = {},
): SlsaLedgerError {
  // a 5xx or a network failure of a read may pass (src/io/retry-loop.ts); a timeout has already
  // waited its whole deadline, and is not tried again
  const marker = options.retryable === true ? retryMarker(undefined) : {};
  const e = error as {
    status?: number;
    name?: string;
    response?: { status?: number; data?: unknown; headers?: Record<string, unknown> };
    errors?: unknown;
  };
  // a failure of our own fetch wrapper (an answer over the limit), wrapped by octokit
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof SlsaLedgerError) {
    return new SlsaLedgerError(cause.code, `${what}: ${cause.message}`, {
      cause: error,
      details: { ...cause.details, what },
    });
  }
  const response = e.response;
  if (response?.status !== undefined) {
    const status = response.status;
    const apiMessage = apiMessageOf(response.data);
    const details = { status, what, ...(apiMessage === undefined ? {} : { github_message: apiMessage }) };
    // a rate limit is not a refusal (the rate-limit page of the REST docs, src/core/retry/rate-limit.ts):
    // a 403 of the secondary limit had been GITHUB_REJECTED (exit 3, "do not retry")
    const header = (name: string): string | null => {
      const value = response.headers?.[name];
      return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null;
    };
    const limit = decideRateLimit(
      status,
      {
        remaining: header('x-ratelimit-remaining'),
        reset: header('x-ratelimit-reset'),
        retryAfter: header('retry-after'),
      },
      apiMessage ?? '',
    );
    if (limit !== undefined) {
      return new SlsaLedgerError(
        'GITHUB_RATE_LIMITED',
        `${what}: github rate limit exceeded (${status})${limit.resetAt === null ? '' : `; it resets at ${limit.resetAt}`}${limit.retryAfterS === null ? '' : `; retry after ${limit.retryAfterS} s`}`,
        { cause: error, details: { ...details, resetAt: limit.resetAt, retryAfterS: limit.retryAfterS } },
      );
    }
    if (status >= 500) {
      return new SlsaLedgerError(
        'GITHUB_UNAVAILABLE',
        `${what}: github answered ${status}${suffix(apiMessage)}`,
        {
          cause: error,
          details: { ...details, ...marker },
        },
      );
    }
    return new SlsaLedgerError('GITHUB_REJECTED', `${what}: github answered ${status}${suffix(apiMessage)}`, {
      cause: error,
      details,
    });
  }
  if (e.name === 'GraphqlResponseError' && Array.isArray(e.errors)) {
    const first = (e.errors as readonly { type?: string; message?: string }[])[0];
    return new SlsaLedgerError(
      'GITHUB_REJECTED',
      `${what}: github graphql error${first?.message === undefined ? '' : `: ${shorten(first.message)}`}`,
      { cause: error, details: { what, graphql_type: first?.type } },
    );
  }
  const causeName = (cause as { name?: string } | undefined)?.name;
  const reason = [e.name, causeName].some((n) => n === 'TimeoutError' || n === 'AbortError')
    ? 'timed out'
    : 'network error';
  return new SlsaLedgerError('GITHUB_UNAVAILABLE', `${what}: ${reason} reaching the github api`, {
    cause: error,
    details: { what, ...(reason === 'network error' ? marker : {}) },
  });
}

function apiMessageOf(data: unknown): string | undefined {
  if (
    typeof data === 'object' &&
    data !== null &&
    typeof (data as { message?: unknown }).message === 'string'
  ) {
    return shorten((data as { message: string }).message);
  }
  if (typeof data === 'string' && data.trim() !== '') return shorten(data.trim());
  return undefined;
}

/**
 * The API's message, at most 200 characters, redacted before it is cut: an answer that quotes the
 * token would otherwise keep the part of it before the cut, which no redaction recognises.
 */
function shorten(message: string): string {
  return redactText(message.slice(0, 64 * 1024)).slice(0, 200);
}

function suffix(message: string | undefined): string {
  return message === undefined ? '' : ` (${message})`;
}
