import { describe, expect, it } from 'vitest';
import {
  commitsOf,
  decideRewriteAcceptance,
  parseAcceptRewriteValue,
  rewrittenDays,
  statusAfterRewrite,
  type LogRewrite,
} from './accept-rewrites.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
const LOG1 = 'docs/reports/2025-11-24/transitions.jsonl';
const LOG2 = 'docs/reports/2025-11-25/transitions.2.jsonl';
const VSA = 'docs/reports/2025-11-25/vsa.jsonl';
const rw = (commit: string, path: string): LogRewrite => ({ commit, path, message: `${commit} ${path}` });

describe('parseAcceptRewriteValue', () => {
  it.each([A, 'ABCDEF0', 'abcd', 'f'.repeat(64)])('takes %s', (value) => {
    expect(parseAcceptRewriteValue(value)).toBe(value.toLowerCase());
  });

  it.each(['abc', 'HEAD', 'main', `${A}x`, 'f'.repeat(65), '--all', 'a1b2..c3d4', ''])(
    'refuses %j',
    (value) => {
      expect(() => parseAcceptRewriteValue(value)).toThrowCode('INGEST_ACCEPT_REWRITE_INVALID');
    },
  );
});

describe('decideRewriteAcceptance', () => {
  it('nothing reported, nothing named: nothing to decide', () => {
    expect(decideRewriteAcceptance([], [], [])).toEqual({
      accepted: [],
      previously: [],
      refused: [],
      unmatched: [],
    });
  });

  it('a named commit accepts every log it rewrote; an unnamed one is refused', () => {
    const reported = [rw(A, LOG1), rw(A, LOG2), rw(B, LOG1)];
    const d = decideRewriteAcceptance(reported, [A], []);
    expect(d.accepted).toEqual([rw(A, LOG1), rw(A, LOG2)]);
    expect(d.refused).toEqual([rw(B, LOG1)]);
    expect(d.previously).toEqual([]);
    expect(d.unmatched).toEqual([]);
  });

  it('a rewrite accepted before (same commit and path) needs no name; another path of it does', () => {
    const reported = [rw(A, LOG1), rw(A, LOG2)];
    const d = decideRewriteAcceptance(reported, [], [{ commit: A, path: LOG1 }]);
    expect(d.previously).toEqual([rw(A, LOG1)]);
    expect(d.refused).toEqual([rw(A, LOG2)]);
  });

  it('named again after an earlier acceptance: previously, not recorded twice', () => {
    const d = decideRewriteAcceptance([rw(A, LOG1)], [A], [{ commit: A, path: LOG1 }]);
    expect(d.previously).toEqual([rw(A, LOG1)]);
    expect(d.accepted).toEqual([]);
    expect(d.unmatched).toEqual([]);
  });

  it('a named commit that made no reported rewrite is unmatched', () => {
    const d = decideRewriteAcceptance([rw(A, LOG1)], [A, C], []);
    expect(d.unmatched).toEqual([C]);
  });
});

// mutation audit (nineteenth session): each case below failed a mutant the tests above let through
describe('decideRewriteAcceptance, exact matches (mutation audit)', () => {
  it("an earlier acceptance covers its own commit's cut only, never another commit's cut of the same log", () => {
    const d = decideRewriteAcceptance([rw(B, LOG1)], [], [{ commit: A, path: LOG1 }]);
    expect(d.previously).toEqual([]);
    expect(d.refused).toEqual([rw(B, LOG1)]);
  });

  it('names are full commit ids (the app resolves abbreviations): a prefix accepts nothing', () => {
    const d = decideRewriteAcceptance([rw(A, LOG1)], ['aaaa'], []);
    expect(d.accepted).toEqual([]);
    expect(d.refused).toEqual([rw(A, LOG1)]);
    expect(d.unmatched).toEqual(['aaaa']);
  });
});

describe('commitsOf and rewrittenDays', () => {
  it('distinct commits in order; the day of each log, vsa logs included', () => {
    expect(commitsOf([rw(B, LOG1), rw(A, LOG1), rw(B, LOG2)])).toEqual([B, A]);
    expect([...rewrittenDays([rw(A, LOG1), rw(A, LOG2), rw(B, VSA)])]).toEqual([
      'docs/reports/2025-11-24/manifest.json',
      'docs/reports/2025-11-25/manifest.json',
    ]);
  });

  it('a path that is not a log of ours names no day', () => {
    expect([...rewrittenDays([rw(A, 'docs/reports/2025-11-24/manifest.json')])]).toEqual([]);
  });
});

describe('statusAfterRewrite', () => {
  it.each([
    ['verified', 'invalid'],
    ['invalid', 'invalid'],
    ['unsigned', 'unsigned'],
    ['untrusted', 'untrusted'],
    ['unverified', 'unverified'],
  ])('%s -> %s', (status, stored) => {
    expect(statusAfterRewrite(status)).toBe(stored);
  });
});
