import { parseJiraIssue, type JiraIssueFields } from '../core/validate/signoff.js';
import { SlsaLedgerError } from '../errors.js';
import { limits } from '../core/input/limits.js';
import { retryPolicies } from '../core/retry/decide-retry.js';
import { parseJson } from '../core/input/strict-json.js';
import { isAllowedScheme } from './github.js';
import { BodyTooLargeError, readBodyBounded } from './http-body.js';
import { withRetries } from './retry-loop.js';
import { networkReason } from './slack.js';

export interface JiraCredentials {
  /** JIRA_BASE_URL, e.g. https://acme.atlassian.net */
  readonly baseUrl: string | undefined;
  /** JIRA_EMAIL */
  readonly email: string | undefined;
  /** JIRA_API_TOKEN */
  readonly apiToken: string | undefined;
}

/**
 * Reads an issue's status and labels: `GET /rest/api/3/issue/{key}?fields=status,labels` with Basic
 * auth (email:API token). 404 means "no such issue, or not visible to this account"; both fail the
 * sign-off. Throws JIRA_CREDENTIALS_MISSING, JIRA_REJECTED (401/403), JIRA_UNAVAILABLE.
 */
export async function fetchJiraIssue(
  credentials: JiraCredentials,
  key: string,
  timeoutMs = 15_000,
): Promise<JiraIssueFields | undefined> {
  const { baseUrl, email, apiToken } = credentials;
  if (!baseUrl || !email || !apiToken) {
    const missing = [
      !baseUrl && 'JIRA_BASE_URL',
      !email && 'JIRA_EMAIL',
      !apiToken && 'JIRA_API_TOKEN',
    ].filter(Boolean);
    throw new SlsaLedgerError('JIRA_CREDENTIALS_MISSING', `--require-signoff needs ${missing.join(', ')}`, {
      details: { missing },
    });
  }
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch {
    throw new SlsaLedgerError('CONFIG_INVALID', 'JIRA_BASE_URL is not a URL');
  }
  if (!isAllowedScheme(base) || base.username !== '' || base.password !== '') {
    throw new SlsaLedgerError('CONFIG_INVALID', 'JIRA_BASE_URL must be an https URL without credentials');
  }
  const url = new URL(`${base.href.replace(/\/+$/, '')}/rest/api/3/issue/${encodeURIComponent(key)}`);
  url.searchParams.set('fields', 'status,labels');
  const authorization = `Basic ${Buffer.from(`${email}:${apiToken}`).toString('base64')}`;
  // the one retry policy (src/core/retry): a 5xx, a 429 (its Retry-After within the cap) and a
  // network failure or timeout are tried again; 401/403/404 and a malformed answer are not
  return withRetries(
    retryPolicies.jira,
    () => fetchJiraIssueOnce(url, authorization, key, base.host, timeoutMs),
    {
      noteAttempts: true,
    },
  );
}

/** One GET of the issue; a failure worth another attempt carries `details.retry`. */
async function fetchJiraIssueOnce(
  url: URL,
  authorization: string,
  key: string,
  host: string,
  timeoutMs: number,
): Promise<JiraIssueFields | undefined> {
  let response: Response;
  // one deadline for the headers and the body
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    response = await fetch(url, {
      redirect: 'error',
      signal,
      headers: {
        accept: 'application/json',
        authorization,
      },
    });
  } catch (error) {
    throw new SlsaLedgerError('JIRA_UNAVAILABLE', `jira: ${networkReason(error)} reaching ${host}`, {
      cause: error,
      details: { retry: {} },
    });
  }
  if (response.status === 404) {
    await response.body?.cancel().catch(() => undefined);
    return undefined;
  }
  if (response.status === 401 || response.status === 403) {
    await response.body?.cancel().catch(() => undefined);
    throw new SlsaLedgerError(
      'JIRA_REJECTED',
      `jira refused the credentials (${response.status}): check JIRA_EMAIL and JIRA_API_TOKEN`,
      {
        details: { status: response.status },
      },
    );
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    const retryable = response.status >= 500 || response.status === 429;
    const retryAfter = response.headers.get('retry-after');
    throw new SlsaLedgerError('JIRA_UNAVAILABLE', `jira answered ${response.status} for ${key}`, {
      details: {
        status: response.status,
        ...(retryable ? { retry: retryAfter === null ? {} : { retryAfter } } : {}),
      },
    });
  }
  let json: unknown;
  try {
    // within the API-answer limits (docs/limits.md), under the same timeout as the headers
    const bytes = await readBodyBounded(response, limits.apiResponse.maxBytes, signal);
    json = parseJson(bytes, 'apiResponse', `jira issue ${key}`);
  } catch (error) {
    const why =
      error instanceof BodyTooLargeError
        ? `more than ${limits.apiResponse.maxBytes} bytes`
        : error instanceof SlsaLedgerError
          ? `something that is not acceptable json (${error.code})`
          : `a body that broke off (${networkReason(error)})`;
    throw new SlsaLedgerError('JIRA_UNAVAILABLE', `jira answered ${key} with ${why}`, {
      cause: error,
      details: { key },
    });
  }
  return parseJiraIssue(key, json);
}
