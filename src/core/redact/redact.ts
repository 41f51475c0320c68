// Secrets never reach logs, manifests, files or error messages: every byte the CLI writes to
// stdout/stderr and every text file the tool writes passes `redact` (pure; the scope that carries
// the secrets to file writers is src/io/redaction.ts).

/** Environment variables whose values are secrets. */
export const secretEnvNames = [
  'PROVENANCE_DISPATCH_TOKEN',
  'GITHUB_TOKEN',
  'GH_TOKEN',
  'SLACK_WEBHOOK_URL',
  'SLSA_MANIFEST_SERVICE_KEY',
  'SUPABASE_SERVICE_ROLE_KEY',
  'JIRA_API_TOKEN',
  'SLSA_LEDGER_KEY_PASSPHRASE',
  'SIGSTORE_ID_TOKEN',
  'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
  'ACTIONS_RUNTIME_TOKEN',
  'PGPASSWORD',
  'APP_PRIVATE_KEY',
] as const;

/** Secrets that are URLs whose path is the secret (a Slack incoming webhook: /services/T…/B…/X…). */
const secretUrlNames = new Set<string>(['SLACK_WEBHOOK_URL']);

/**
 * The secret strings present in an environment: values of at least 6 characters, URL passwords,
 * and for webhook URLs also their path (a receiver may echo the path alone) and its last segment.
 * Longest first, so a secret that contains another is replaced whole.
 */
export function collectSecrets(env: Readonly<Record<string, string | undefined>>): string[] {
  const out = new Set<string>();
  for (const name of secretEnvNames) {
    const v = env[name];
    if (v && v.length >= 6) out.add(v);
    // a value pasted with a line break or spaces around it (`$(cat token)`, a secret saved with its
    // newline) is sent trimmed (fetch trims header values, URLs drop them), so the trimmed value is
    // what a receiver echoes
    const trimmed = v?.trim();
    if (trimmed && trimmed !== v && trimmed.length >= 6) out.add(trimmed);
    if (v && secretUrlNames.has(name)) for (const part of urlSecretParts(v)) out.add(part);
  }
  for (const name of ['DATABASE_URL', 'SLSA_LEDGER_DATABASE_URL']) {
    const password = passwordOf(env[name]);
    if (password) out.add(password);
  }
  return [...out].sort((a, b) => b.length - a.length);
}

function urlSecretParts(value: string): string[] {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return [];
  }
  const path = url.pathname;
  const parts: string[] = [];
  if (path.length >= 6) parts.push(path, path.replace(/^\/+/, ''));
  const segments = path.split('/').filter((s) => s !== '');
  const last = segments[segments.length - 1];
  if (last !== undefined && last.length >= 12) parts.push(last);
  if (url.search.length >= 7) parts.push(url.search.slice(1));
  return parts.filter((p) => p.length >= 6);
}

function passwordOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const p = decodeURIComponent(new URL(url).password);
    return p.length >= 4 ? p : undefined;
  } catch {
    return undefined;
  }
}

// Credentials known by their shape, whatever variable (or log line) they came from: GitHub tokens
// (classic, fine-grained, app installation, OAuth, refresh), JSON Web Tokens (an OIDC identity
// token, a Supabase key), Slack tokens and the secret path of a Slack incoming webhook.
const TOKEN_SHAPES =
  /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}|xox[abposr]-[A-Za-z0-9-]{10,})/g;
const SLACK_WEBHOOK_PATH = /(hooks\.slack\.com\/services\/)[A-Za-z0-9_/-]+/gi;

// A query or fragment parameter whose name says it is a credential: AWS (`X-Amz-Signature`,
// `X-Amz-Credential`, `X-Amz-Security-Token`, `AWSAccessKeyId`, `Signature`), Google Cloud Storage
// (`X-Goog-Signature`, `X-Goog-Credential`, `GoogleAccessId`), Azure SAS (`sig`), CloudFront
// (`Signature`, `Key-Pair-Id`), GitHub's asset redirects (`jwt`), and the generic `token`,
// `access_token`, `private_token`, `api_key`, `apikey`, `access_key`, `key`, `secret`, `password`,
// `auth`, `authorization`: the whole name, or its last part after `-`, `_` or `.`.
const CREDENTIAL_PARAM_RE =
  /(?:^|[-_.])(?:sig|signature|token|jwt|secret|password|passwd|credential|credentials|apikey|api[-_]key|access[-_]key|key|awsaccesskeyid|googleaccessid|key-pair-id|auth|authorization)$/i;

/** Whether a query or fragment parameter name (decoded) names a credential (`access_token`, `sig`…). */
export function isCredentialParam(name: string): boolean {
  return CREDENTIAL_PARAM_RE.test(name.trim());
}

function decodedParamName(raw: string): string {
  const name = raw.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

/**
 * Text with the credentials of every URL in it hidden: the userinfo (`https://user:token@host` ->
 * `https://***@host`) up to the last `@` of the authority, even with a raw `@` or space pasted in
 * the password (the authority ends at `/`, `\\`, `?`, `#` or the end of the line), and the value of
 * every query or fragment parameter named like a credential (`?access_token=***`, `&sig=***`), up
 * to the next `&`, `;`, `#`, quote or white space.
 */
export function scrubUrlCredentials(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\\?#\r\n]*@/gi, '$1***@')
    .replace(/([?&;#])([^=&;#?\s'"]+)=([^&;#\s'"]+)/g, (whole, sep: string, name: string) =>
      isCredentialParam(decodedParamName(name)) ? `${sep}${name}=***` : whole,
    );
}

/**
 * Replaces every secret, the password of any URL with credentials and every credential known by its
 * shape (a GitHub token, a JWT, a Slack token or webhook path) by `***`.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    out = out.split(s).join('***');
    // JSON text (the --json output, the notification log) holds a secret with a quote, a backslash
    // or a line break (a PEM key, a passphrase) escaped: `"` as `\"`, a line break as `\n`
    const escaped = JSON.stringify(s).slice(1, -1);
    if (escaped !== s) out = out.split(escaped).join('***');
  }
  out = out.replace(TOKEN_SHAPES, '***').replace(SLACK_WEBHOOK_PATH, '$1***');
  // user:password@ in any URL, up to the last `@` of its authority: a password pasted with a raw `@`
  // in it (`p@ss`, not `p%40ss`) is cut there, as the URL parser does; the user may be empty
  // (`redis://:password@host`, a token-only URL), as the URL parser allows
  return out.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:/@"']*):[^\s/"']+@/gi, '$1:***@');
}

/**
 * JSON data with `redact` applied to every string in it (object keys are left as they are). The
 * value itself when no string changed, so data without secrets keeps its identity.
 */
export function redactJson<T>(value: T, secrets: readonly string[]): T {
  if (typeof value === 'string') return redact(value, secrets) as T;
  if (Array.isArray(value)) {
    const items = value.map((item: unknown) => redactJson(item, secrets));
    return (items.some((item, i) => item !== value[i]) ? items : value) as T;
  }
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = redactJson(item, secrets);
      if (out[key] !== item) changed = true;
    }
    return (changed ? out : value) as T;
  }
  return value;
}
