// Helpers for the facts extractors: repository URIs in the forms generators write them.

/** `https://github.com/o/r`, `git+https://github.com/o/r.git` → `github.com/o/r`. */
export function normalizeRepositoryUri(uri: string): string {
  return uri
    .trim()
    .replace(/^git\+/, '')
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
    .replace(/\/+$/, '')
    .replace(/\.git$/, '');
}

/** Splits `git+https://github.com/o/r@refs/tags/v1` at the first `@` after the host into repository and ref. */
export function splitGitUri(uri: string): { repository: string; ref: string | undefined } {
  const withoutScheme = uri.replace(/^git\+/, '');
  const hostStart = withoutScheme.indexOf('://');
  const at = withoutScheme.indexOf('@', hostStart === -1 ? 0 : hostStart + 3);
  if (at === -1) return { repository: normalizeRepositoryUri(withoutScheme), ref: undefined };
  return {
    repository: normalizeRepositoryUri(withoutScheme.slice(0, at)),
    ref: withoutScheme.slice(at + 1),
  };
}
