import { SlsaLedgerError } from '../errors.js';

/**
 * The OIDC identity token for keyless signing: `SIGSTORE_ID_TOKEN` when set, otherwise GitHub
 * Actions' OIDC endpoint (`ACTIONS_ID_TOKEN_REQUEST_URL` + `ACTIONS_ID_TOKEN_REQUEST_TOKEN`,
 * audience `sigstore`; the job needs `id-token: write`). The environment is passed in by the
 * caller; tokens never appear in errors.
 */
export async function fetchIdentityToken(
  env: Readonly<Record<string, string | undefined>>,
  audience = 'sigstore',
): Promise<string> {
  const explicit = env.SIGSTORE_ID_TOKEN;
  if (explicit !== undefined && explicit !== '') return explicit;
  const url = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (url === undefined || url === '' || requestToken === undefined || requestToken === '') {
    throw new SlsaLedgerError(
      'OIDC_TOKEN_UNAVAILABLE',
      'no identity token: set SIGSTORE_ID_TOKEN, or run in github actions with permissions id-token: write',
    );
  }
  const target = new URL(url);
  target.searchParams.set('audience', audience);
  let response: Response;
  try {
    response = await fetch(target, {
      headers: { authorization: `bearer ${requestToken}`, accept: 'application/json' },
    });
  } catch (error) {
    throw new SlsaLedgerError('OIDC_TOKEN_UNAVAILABLE', `cannot reach the oidc endpoint ${target.origin}`, {
      cause: error,
    });
  }
  if (!response.ok) {
    throw new SlsaLedgerError(
      'OIDC_TOKEN_UNAVAILABLE',
      `the oidc endpoint ${target.origin} answered http ${response.status}`,
      { details: { status: response.status } },
    );
  }
  const body = (await response.json().catch(() => undefined)) as { value?: unknown } | undefined;
  if (typeof body?.value !== 'string' || body.value === '') {
    throw new SlsaLedgerError('OIDC_TOKEN_UNAVAILABLE', 'the oidc endpoint returned no token');
  }
  return body.value;
}
