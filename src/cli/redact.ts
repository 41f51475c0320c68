// Secrets never reach logs, manifests or error messages: every byte the CLI writes passes here.

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
] as const;

/** The secret strings present in an environment (values of at least 6 characters, and URL passwords). */
export function collectSecrets(env: Readonly<Record<string, string | undefined>>): string[] {
  const out = new Set<string>();
  for (const name of secretEnvNames) {
    const v = env[name];
    if (v && v.length >= 6) out.add(v);
  }
  for (const name of ['DATABASE_URL', 'SLSA_LEDGER_DATABASE_URL']) {
    const password = passwordOf(env[name]);
    if (password) out.add(password);
  }
  return [...out].sort((a, b) => b.length - a.length);
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

/** Replaces every secret, and the password of any URL with credentials, by `***`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('***');
  // user:password@ in any URL
  return out.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:/@"']+):[^\s@/"']+@/gi, '$1:***@');
}
