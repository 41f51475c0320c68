import { Octokit } from '@octokit/rest';
import type { Logger } from '../core/ports.js';
import { silentLogger } from '../core/ports.js';
import { SlsaLedgerError } from '../errors.js';
import { redactText } from './redaction.js';

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
      error: (m: string) => logger.warn(m),
    },
  });
  return {
    baseUrl,
    async request<T>(what: string, route: string, params: Readonly<Record<string, unknown>> = {}) {
      try {
        const response = await octokit.request(route, {
          ...params,
          request: { signal: AbortSignal.timeout(timeoutMs) },
        });
        return { status: response.status, data: response.data as T, headers: lowerHeaders(response.headers) };
      } catch (error) {
        throw githubError(what, error);
      }
    },
    async graphql<T>(what: string, query: string, variables: Readonly<Record<string, unknown>>) {
      try {
        return await octokit.graphql<T>(query, {
          ...variables,
          request: { signal: AbortSignal.timeout(timeoutMs) },
        });
      } catch (error) {
        throw githubError(what, error);
      }
    },
  };
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
export function githubError(what: string, error: unknown): SlsaLedgerError {
  const e = error as {
    status?: number;
    name?: string;
    response?: { status?: number; data?: unknown; headers?: Record<string, unknown> };
    errors?: unknown;
  };
  const response = e.response;
  if (response?.status !== undefined) {
    const status = response.status;
    const apiMessage = apiMessageOf(response.data);
    const details = { status, what, ...(apiMessage === undefined ? {} : { github_message: apiMessage }) };
    if (status >= 500 || status === 429) {
      return new SlsaLedgerError(
        'GITHUB_UNAVAILABLE',
        `${what}: github answered ${status}${suffix(apiMessage)}`,
        {
          cause: error,
          details,
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
  const reason = e.name === 'TimeoutError' || e.name === 'AbortError' ? 'timed out' : 'network error';
  return new SlsaLedgerError('GITHUB_UNAVAILABLE', `${what}: ${reason} reaching the github api`, {
    cause: error,
    details: { what },
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
