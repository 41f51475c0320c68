// Artifact globs (`attest 'dist/*'`, `validate --artifact 'release-assets/*'`), expanded by the
// maintained `glob` package (minimatch + brace-expansion) with bash's behaviour where it matters:
// - `*`, `?` and `[…]` never match a leading dot (`dist/*.tgz` does not match `dist/.hidden.tgz`),
//   as bash without `dotglob`; name the dot to match it (`dist/.*.tgz`);
// - `{a,b}` expands, an unbalanced `{a,b` is literal text (bash: no brace expansion), never an error;
// - `**` spans directories as bash with `globstar` does (a symlinked directory below the first
//   segment is entered once, never recursively);
// - a pattern that matches nothing is an error the caller names (bash with `failglob`), never the
//   pattern taken as a file name.
import { glob, hasMagic } from 'glob';
import { SlsaLedgerError } from '../errors.js';

/** True when the pattern has glob syntax (`*`, `?`, `[…]`, or a balanced `{a,b}`). */
export function hasGlobMagic(pattern: string): boolean {
  return hasMagic(pattern, { magicalBraces: true, windowsPathsNoEscape: false });
}

/**
 * Expands one glob pattern to the regular files it matches, relative to `cwd` when the pattern is
 * relative (the results keep the pattern's form: relative patterns give relative paths), sorted.
 * A malformed pattern matches nothing; it never throws.
 */
export async function expandGlob(pattern: string, cwd: string): Promise<string[]> {
  let found: string[];
  try {
    found = await glob(pattern, {
      cwd,
      dot: false,
      nodir: true,
      follow: false,
      posix: true,
      // a literal `[` or `{` that does not close stays literal, as in bash
      nocase: false,
      windowsPathsNoEscape: false,
    });
  } catch {
    return [];
  }
  return found.sort();
}

/**
 * Expands artifact arguments: literal paths stay as given (the reader names a missing one), each
 * pattern must match at least one file. Duplicates are dropped, the first position kept.
 * @throws INPUT_FILE_MISSING (exit 3) naming a pattern that matches nothing
 */
export async function expandArtifactPatterns(patterns: readonly string[], cwd: string): Promise<string[]> {
  const out: string[] = [];
  for (const pattern of patterns) {
    if (!hasGlobMagic(pattern)) {
      out.push(pattern);
      continue;
    }
    const matches = await expandGlob(pattern, cwd);
    if (matches.length === 0) {
      throw new SlsaLedgerError('INPUT_FILE_MISSING', `no files match '${pattern}'`, {
        details: { pattern },
      });
    }
    out.push(...matches);
  }
  return [...new Set(out)];
}
