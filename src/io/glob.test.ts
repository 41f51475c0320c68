// The artifact globs behave as bash does (issue 13 item 6): dotfiles, braces, malformed patterns.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandArtifactPatterns, expandGlob, hasGlobMagic } from './glob.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'slsa-ledger-glob-'));
  mkdirSync(join(dir, 'dist', 'sub'), { recursive: true });
  mkdirSync(join(dir, 'elsewhere'));
  for (const f of [
    'dist/a.tgz',
    'dist/b.tgz',
    'dist/.hidden.tgz',
    'dist/sub/c.tgz',
    'dist/{a,b',
    'elsewhere/x.tgz',
  ])
    writeFileSync(join(dir, f), f);
  symlinkSync(join(dir, 'elsewhere'), join(dir, 'dist', 'link'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('expandGlob', () => {
  it('`*` does not match a leading dot (bash without dotglob)', async () => {
    expect(await expandGlob('dist/*.tgz', dir)).toEqual(['dist/a.tgz', 'dist/b.tgz']);
  });
  it('a named dot matches dotfiles', async () => {
    expect(await expandGlob('dist/.*.tgz', dir)).toEqual(['dist/.hidden.tgz']);
  });
  it('balanced braces expand', async () => {
    expect(await expandGlob('dist/{a,b}.tgz', dir)).toEqual(['dist/a.tgz', 'dist/b.tgz']);
  });
  it('an unbalanced brace is literal text, not an error', async () => {
    expect(hasGlobMagic('dist/{a,b')).toBe(false);
    expect(await expandGlob('dist/{a,b*', dir)).toEqual(['dist/{a,b']);
  });
  it('an unclosed bracket matches nothing and never throws', async () => {
    await expect(expandGlob('dist/[', dir)).resolves.toEqual([]);
    await expect(expandGlob('dist/[a-', dir)).resolves.toEqual([]);
  });
  it('`**` spans directories, a symlinked one as bash globstar does (`bash -c "shopt -s globstar; echo dist/**/*.tgz"`)', async () => {
    expect(await expandGlob('dist/**/*.tgz', dir)).toEqual([
      'dist/a.tgz',
      'dist/b.tgz',
      'dist/link/x.tgz',
      'dist/sub/c.tgz',
    ]);
  });
  it('absolute patterns give absolute paths', async () => {
    expect(await expandGlob(join(dir, 'dist/*.tgz'), '/')).toEqual([
      join(dir, 'dist/a.tgz'),
      join(dir, 'dist/b.tgz'),
    ]);
  });
});

describe('expandArtifactPatterns', () => {
  it('keeps literal paths, expands patterns, drops duplicates', async () => {
    expect(await expandArtifactPatterns(['dist/a.tgz', 'dist/*.tgz', 'missing.tgz'], dir)).toEqual([
      'dist/a.tgz',
      'dist/b.tgz',
      'missing.tgz',
    ]);
  });
  it('a pattern that matches nothing is INPUT_FILE_MISSING', async () => {
    await expect(expandArtifactPatterns(['dist/*.zip'], dir)).rejects.toThrowCode('INPUT_FILE_MISSING');
    await expect(expandArtifactPatterns(['dist/{x,y}.tgz'], dir)).rejects.toThrowCode('INPUT_FILE_MISSING');
  });
});

// Mutation audit (twentieth session): each case below fails with one mutant of glob.ts applied.
describe('expandGlob: what a pattern never reaches', () => {
  let own: string;
  beforeAll(() => {
    own = mkdtempSync(join(tmpdir(), 'slsa-ledger-glob-audit-'));
    mkdirSync(join(own, 'd', 'sub'), { recursive: true });
    for (const f of ['d/a.tgz', 'd/lit*.tgz', 'd/litx.tgz', 'd/sub/b.tgz']) writeFileSync(join(own, f), f);
    // a link back up: a loop that `**` must not walk round
    symlinkSync('..', join(own, 'd', 'sub', 'up'));
  });
  afterAll(() => rmSync(own, { recursive: true, force: true }));

  it('`**` enters a symlinked directory once, never round a loop', async () => {
    expect(await expandGlob('d/**/*.tgz', own)).toEqual([
      'd/a.tgz',
      'd/lit*.tgz',
      'd/litx.tgz',
      'd/sub/b.tgz',
      'd/sub/up/a.tgz',
      'd/sub/up/lit*.tgz',
      'd/sub/up/litx.tgz',
    ]);
  });

  it('matches with case, as bash does on Linux', async () => {
    expect(await expandGlob('d/A.*', own)).toEqual([]);
  });

  it('a backslash escapes a glob character, it is not a path separator', async () => {
    expect(await expandGlob('d/lit\\*.tgz', own)).toEqual(['d/lit*.tgz']);
  });

  it('an escaped glob character is no glob syntax: the pattern is a literal path', () => {
    expect(hasGlobMagic('d/lit\\*.tgz')).toBe(false);
    expect(hasGlobMagic('d/lit*.tgz')).toBe(true);
  });

  it('a pattern glob refuses (over 64 KiB) matches nothing, never throws', async () => {
    await expect(expandGlob(`${'x'.repeat(70_000)}*`, own)).resolves.toEqual([]);
  });

  it('a directory is never a match', async () => {
    expect(await expandGlob('d/s*', own)).toEqual([]);
  });

  it('gives the matches sorted, whatever order the directory lists them in', async () => {
    const many = mkdtempSync(join(tmpdir(), 'slsa-ledger-glob-order-'));
    const names = Array.from({ length: 40 }, (_, i) => `f${String((i * 17) % 40).padStart(2, '0')}.bin`);
    for (const n of names) writeFileSync(join(many, n), n);
    try {
      expect(await expandGlob('*.bin', many)).toEqual([...names].sort());
    } finally {
      rmSync(many, { recursive: true, force: true });
    }
  });
});
