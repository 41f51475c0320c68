import { readdir } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';

const MAGIC = /[*?[{]/;

/** True when the pattern has glob syntax (`*`, `?`, `[…]`, `{a,b}`). */
export function hasGlobMagic(pattern: string): boolean {
  return MAGIC.test(pattern);
}

/** Glob → anchored RegExp over `/`-separated paths: `**` any depth, `*` and `?` within a segment. */
export function globToRegExp(pattern: string): RegExp {
  let out = '';
  let braces = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? '';
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        const slash = pattern[i + 2] === '/';
        out += slash ? '(?:[^/]*(?:/|$))*' : '.*';
        i += slash ? 2 : 1;
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end === -1) out += '\\[';
      else {
        const body = pattern
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        out += `[${body}]`;
        i = end;
      }
    } else if (c === '{') {
      braces++;
      out += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      out += ')';
    } else if (c === ',' && braces > 0) out += '|';
    else out += c.replace(/[.+^$()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/**
 * Expands one glob pattern to the regular files it matches, relative to `cwd` when the pattern is
 * relative, sorted. Directories are walked from the pattern's literal prefix; symlinked
 * directories are not followed.
 */
export async function expandGlob(pattern: string, cwd: string): Promise<string[]> {
  const normalized = pattern.replace(/\\/g, '/');
  const segments = normalized.split('/');
  const firstMagic = segments.findIndex((s) => hasGlobMagic(s));
  const baseSegments = segments.slice(0, firstMagic);
  const base = baseSegments.join('/') || (isAbsolute(normalized) ? '/' : '');
  const rest = segments.slice(firstMagic).join('/');
  const matcher = globToRegExp(rest);
  const maxDepth = rest.includes('**') ? Infinity : segments.length - firstMagic;
  const root = resolve(cwd, base || '.');
  const found: string[] = [];
  const walk = async (dir: string, rel: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const relPath = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (depth + 1 < maxDepth) await walk(join(dir, entry.name), relPath, depth + 1);
      } else if (entry.isFile() && matcher.test(relPath)) {
        found.push(base === '' ? relPath : `${base.replace(/\/$/, '')}/${relPath}`);
      }
    }
  };
  await walk(root, '', 0);
  return found.sort();
}
