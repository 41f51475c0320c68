import { limits } from '../core/input/limits.js';
import { parseJson } from '../core/input/strict-json.js';
import { UnavailableError } from '../errors.js';
import { readBodyBounded } from './http-body.js';
import { learnSecret } from './redaction.js';

export interface IdentityTokenOptions {
  /** audience requested from GitHub's OIDC endpoint (Fulcio expects `sigstore`) */
  readonly audience?: string;
  /** injectable for tests; defaults to the global fetch */
  readonly fetch?: typeof globalThis.fetch;
  readonly timeoutMs?: number;
}

/**
 * The OIDC identity token for keyless signing: `SIGSTORE_ID_TOKEN` when set, otherwise one
 * requested from GitHub Actions' OIDC endpoint (`ACTIONS_ID_TOKEN_REQUEST_URL` with
 * `audience=sigstore`, bearer `ACTIONS_ID_TOKEN_REQUEST_TOKEN`; the job needs `id-token: write`).
 * The environment is passed in by the caller (library code never reads process.env). Throws
 * OIDC_TOKEN_UNAVAILABLE; the tokens never appear in errors.
 */
export async function fetchIdentityToken(
  env: Readonly<Record<string, string | undefined>>,
  options: IdentityTokenOptions = {},
): Promise<string> {
  const explicit = env.SIGSTORE_ID_TOKEN?.trim();
  if (explicit !== undefined && explicit !== '') return explicit;

  const requestUrl = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (requestUrl === undefined || requestUrl === '' || requestToken === undefined || requestToken === '') {
    throw new UnavailableError(
      'OIDC_TOKEN_UNAVAILABLE',
      'no identity token: set SIGSTORE_ID_TOKEN, or run in github actions with permissions id-token: write',
    );
  }
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    throw new UnavailableError('OIDC_TOKEN_UNAVAILABLE', 'ACTIONS_ID_TOKEN_REQUEST_URL is not a url');
  }
  url.searchParams.set('audience', options.audience ?? 'sigstore');
  const doFetch = options.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    response = await doFetch(url, {
      headers: { Authorization: `bearer ${requestToken}`, Accept: 'application/json; api-version=2.0' },
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (cause) {
    // A fetch error can echo the request: keep only its name so no bearer token reaches a log.
    throw new UnavailableError('OIDC_TOKEN_UNAVAILABLE', `cannot reach the oidc endpoint ${url.origin}`, {
      cause: new Error(cause instanceof Error ? cause.name : 'fetch failed'),
    });
  }
  if (!response.ok) {
    throw new UnavailableError(
      'OIDC_TOKEN_UNAVAILABLE',
      `the oidc endpoint ${url.origin} answered http ${response.status}`,
      { details: { status: response.status } },
    );
  }
  // within the API-answer limits (docs/limits.md): `response.json()` read to the end, however long
  let body: { value?: unknown } | undefined;
  try {
    const bytes = await readBodyBounded(response, limits.apiResponse.maxBytes);
    body = parseJson(bytes, 'apiResponse', 'the oidc token answer') as { value?: unknown } | undefined;
  } catch {
    body = undefined;
  }
  const token = body?.value;
  if (typeof token !== 'string' || token === '' || !/^[A-Za-z0-9._-]+$/.test(token)) {
    throw new UnavailableError('OIDC_TOKEN_UNAVAILABLE', 'the oidc endpoint returned no token');
  }
  // a bearer credential for Fulcio while it lives: redacted from everything written from now on,
  // and masked in the job's log (what @actions/core's getIDToken does with setSecret)
  learnSecret(token);
  return token;
}
