import { describe, expect, it } from 'vitest';
import {
  branchNameProblem,
  normalizeReportsDir,
  parseLedgerConfigSection,
  parseSymrefHead,
  pathHasControlCharacter,
  planLedgerLocation,
  readerTrackingRef,
  remoteNameProblem,
  writerTrackingRef,
} from './location.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

describe('the ledger config section', () => {
  it('accepts the keys init writes and clock_skew', () => {
    expect(
      parseLedgerConfigSection(
        { remote: 'origin', branch: 'slsa-ledger', reports_dir: './docs/reports/', clock_skew: 60 },
        'f',
      ),
    ).toEqual({ remote: 'origin', branch: 'slsa-ledger', reports_dir: 'docs/reports', clock_skew: 60 });
    expect(parseLedgerConfigSection(undefined, 'f')).toBeUndefined();
    expect(parseLedgerConfigSection(null, 'f')).toBeUndefined();
  });

  it.each([
    ['not a mapping', 'slsa-ledger'],
    ['a list', ['a']],
    ['an unknown key', { brnach: 'x' }],
    ['a number as branch', { branch: 5 }],
    ['a bad branch', { branch: 'a..b' }],
    ['a bad remote', { remote: 'https://x' }],
    ['an escaping reports dir', { reports_dir: '../x' }],
    ['a negative skew', { clock_skew: -1 }],
    ['a fractional skew', { clock_skew: 1.5 }],
    ['a text skew', { clock_skew: '300' }],
  ])('refuses %s with CONFIG_INVALID', (_name, value) => {
    expect(codeOf(() => parseLedgerConfigSection(value, 'f'))).toBe('CONFIG_INVALID');
  });

  it('lists every problem', () => {
    try {
      parseLedgerConfigSection({ branch: '', remote: 'a b', x: 1 }, 'f');
      expect.unreachable();
    } catch (error) {
      expect((error as { details: { problems: string[] } }).details.problems).toHaveLength(3);
    }
  });
});

describe('planLedgerLocation: flags, then config, then defaults (the branch from the remote)', () => {
  it('flags win over the config', () => {
    const plan = planLedgerLocation(
      { remote: 'up', branch: 'b1', reportsDir: 'r1' },
      { remote: 'origin', branch: 'b2', reports_dir: 'r2' },
    );
    expect(plan).toEqual({
      remote: 'up',
      branch: 'b1',
      reportsDir: 'r1',
      source: { remote: 'flag', branch: 'flag', reportsDir: 'flag' },
    });
  });
  it('the config wins over the defaults', () => {
    expect(planLedgerLocation({}, { branch: 'ledger', reports_dir: 'audit' })).toEqual({
      remote: 'origin',
      branch: 'ledger',
      reportsDir: 'audit',
      source: { remote: 'default', branch: 'config', reportsDir: 'config' },
    });
  });
  it('never assumes main: without flag and config the branch is left to the remote', () => {
    const plan = planLedgerLocation({}, undefined);
    expect(plan.branch).toBeUndefined();
    expect(plan.source.branch).toBe('remote-head');
    expect(plan.remote).toBe('origin');
    expect(plan.reportsDir).toBe('docs/reports');
  });
  it.each([[{ remote: '-x' }], [{ branch: 'a b' }], [{ reportsDir: '/abs' }], [{ reportsDir: 'a/../b' }]])(
    'refuses bad flags %j with LEDGER_REPO_INVALID',
    (flags) => {
      expect(codeOf(() => planLedgerLocation(flags, undefined))).toBe('LEDGER_REPO_INVALID');
    },
  );
});

describe('parseSymrefHead', () => {
  it('reads the default branch', () => {
    expect(parseSymrefHead('ref: refs/heads/master\tHEAD\n0123abcd\tHEAD\n')).toBe('master');
    expect(parseSymrefHead('ref: refs/heads/release/x\tHEAD\r\n')).toBe('release/x');
  });
  it('is undefined without a symbolic HEAD', () => {
    expect(parseSymrefHead('')).toBeUndefined();
    expect(parseSymrefHead('0123abcd\tHEAD\n')).toBeUndefined();
    expect(parseSymrefHead('ref: refs/heads/a..b\tHEAD\n')).toBeUndefined();
  });
});

describe('branch names and private refs', () => {
  it.each(['main', 'slsa-ledger', 'release/2025', 'a.b'])('accepts %s', (b) => {
    expect(branchNameProblem(b)).toBeUndefined();
  });
  it.each(['', '-x', 'a..b', 'a b', 'a:b', 'x.lock', '.x', 'a/', '@', 'a@{b'])('refuses %j', (b) => {
    expect(branchNameProblem(b)).toBeDefined();
  });
  it('keeps the writer and reader refs apart', () => {
    expect(writerTrackingRef('origin', 'main')).toBe('refs/slsa-ledger/origin/main');
    expect(readerTrackingRef('origin', 'main')).toBe('refs/slsa-ledger-read/origin/main');
  });
});

describe('paths with control characters', () => {
  it('flags every C0 control and DEL, and nothing else', () => {
    for (let c = 0; c < 0x20; c++)
      expect(pathHasControlCharacter(`docs/reports/2026-01-01${String.fromCharCode(c)}/manifest.json`)).toBe(
        true,
      );
    expect(pathHasControlCharacter('docs/reports/2026-01-01/\u007fmanifest.json')).toBe(true);
    expect(pathHasControlCharacter('docs/reports/2026-01-01/manifest.json')).toBe(false);
    expect(pathHasControlCharacter('docs/reports/2026-01-01/transitions.2.jsonl')).toBe(false);
    expect(pathHasControlCharacter('docs/reports/\u00e9t\u00e9 \u2028/manifest.json')).toBe(false);
  });
});

// The mutation audit (eighteenth session): each case below failed a mutant the tests above let pass.
describe('the location rules at their edges', () => {
  it.each(['.', '..', '-x', 'a b', 'a/b', ''])('refuses the remote name %j', (r) => {
    expect(remoteNameProblem(r)).toBeDefined();
  });
  it('a branch name of 255 characters is fine, 256 is not', () => {
    expect(branchNameProblem('b'.repeat(255))).toBeUndefined();
    expect(branchNameProblem('b'.repeat(256))).toBeDefined();
  });
  it.each([
    'a\u007fb',
    'a\u0000b',
    'a\tb',
    'a~b',
    'a^b',
    'a?b',
    'a*b',
    'a[b',
    'a\\b',
    'a//b',
    '/a',
    'a.',
    'a/.b',
    'a.lock/b',
  ])('refuses the branch %j', (b) => {
    expect(branchNameProblem(b)).toBeDefined();
  });
  it('normalises the reports folder, and refuses one that is not a plain relative path', () => {
    expect(normalizeReportsDir('./docs/reports//')).toBe('docs/reports');
    for (const bad of ['docs/./reports', 'docs/x y', 'docs/x\ny', '/docs'])
      expect(normalizeReportsDir(bad)).toBeUndefined();
  });
  it('the section: an empty list is not a mapping; null values are absent ones', () => {
    expect(codeOf(() => parseLedgerConfigSection([], 'f'))).toBe('CONFIG_INVALID');
    expect(
      parseLedgerConfigSection({ remote: null, branch: null, reports_dir: null, clock_skew: null }, 'f'),
    ).toEqual({});
  });
  it('clock_skew from 0 to 86400 seconds', () => {
    expect(parseLedgerConfigSection({ clock_skew: 0 }, 'f')).toEqual({ clock_skew: 0 });
    expect(parseLedgerConfigSection({ clock_skew: 86_400 }, 'f')).toEqual({ clock_skew: 86_400 });
    expect(codeOf(() => parseLedgerConfigSection({ clock_skew: 86_401 }, 'f'))).toBe('CONFIG_INVALID');
  });
  it('reads only the symbolic HEAD line of ls-remote', () => {
    expect(parseSymrefHead('xref: refs/heads/a\tHEAD\n')).toBeUndefined();
    expect(parseSymrefHead('ref: refs/heads/a\trefs/remotes/origin/HEAD\n')).toBeUndefined();
  });
});
