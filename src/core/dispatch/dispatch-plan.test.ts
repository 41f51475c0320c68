import { describe, expect, it } from 'vitest';
import {
  buildDispatchMetrics,
  decideDispatchTag,
  parseRef,
  parseRepository,
  parseSecondsFlag,
  parseWorkflow,
  pickDispatchedRun,
  renderGithubOutput,
  renderStepSummary,
} from './dispatch-plan.js';
import { decideTokenAudit } from './token-audit.js';

describe('flag parsing', () => {
  it.each(['acme/app', 'a/b.c', 'Acme-1/app_x'])('accepts repository %s', (r) =>
    expect(parseRepository(r).owner).toBe(r.split('/')[0]),
  );
  it.each(['acme', 'acme/app/x', '/app', 'acme/..', '-a/b'])('refuses repository %s', (r) => {
    expect(() => parseRepository(r)).toThrowCode('USAGE_INVALID_FLAG');
  });
  it.each([
    ['provenance.yml', 'provenance.yml'],
    ['.github/workflows/x.yaml', 'x.yaml'],
    ['12345', '12345'],
  ])('accepts workflow %s', (w, out) => expect(parseWorkflow(w)).toBe(out));
  it.each(['../x.yml', 'x', 'a/b.yml'])('refuses workflow %s', (w) => {
    expect(() => parseWorkflow(w)).toThrowCode('USAGE_INVALID_FLAG');
  });
  it.each(['main', 'v1.2.3', 'refs/tags/v1.2.3', 'release/2026'])('accepts ref %s', (r) =>
    expect(parseRef(r)).toBe(r),
  );
  it.each(['', '-x', 'a..b', 'a b', 'x.lock', 'a/', 'a~1', 'a@{1}'])('refuses ref %j', (r) => {
    expect(() => parseRef(r)).toThrowCode('USAGE_INVALID_FLAG');
  });
  it.each([
    ['2', 2000],
    ['0.25', 250],
  ])('seconds %s', (v, ms) => expect(parseSecondsFlag('x', v, { min: 0, max: 10 })).toBe(ms));
  it.each(['-1', '11', 'abc', '1e3'])('refuses seconds %s', (v) => {
    expect(() => parseSecondsFlag('x', v, { min: 0, max: 10 })).toThrowCode('USAGE_INVALID_FLAG');
  });
});

describe('decideDispatchTag', () => {
  it.each([
    [{ tag: 'v9', inputs: { tag: 'v1' }, ref: 'main' }, 'v9'],
    [{ tag: undefined, inputs: { tag: 'v1' }, ref: 'main' }, 'v1'],
    [{ tag: undefined, inputs: {}, ref: 'refs/tags/v2' }, 'v2'],
  ])('%j', (o, tag) => expect(decideDispatchTag(o.tag, o.inputs, o.ref)).toBe(tag));
});

describe('pickDispatchedRun', () => {
  const since = new Date('2026-11-26T12:00:00Z');
  const run = (id: number, created: string, o: Partial<{ event: string; head_branch: string }> = {}) => ({
    id,
    event: 'workflow_dispatch',
    head_branch: 'v1.2.3',
    created_at: created,
    ...o,
  });
  it('takes the earliest matching run created since the call', () => {
    const r = pickDispatchedRun(
      [run(3, '2026-11-26T12:00:09Z'), run(2, '2026-11-26T12:00:05Z'), run(1, '2026-11-26T11:59:00Z')],
      { ref: 'refs/tags/v1.2.3', since },
    );
    expect(r).toEqual({ run: run(2, '2026-11-26T12:00:05Z'), ambiguous: true });
  });
  it.each([
    ['an older run', [run(1, '2026-11-26T11:00:00Z')]],
    ['another event', [run(1, '2026-11-26T12:00:01Z', { event: 'push' })]],
    ['another ref', [run(1, '2026-11-26T12:00:01Z', { head_branch: 'main' })]],
    ['no runs', []],
  ])('ignores %s', (_n, runs) => expect(pickDispatchedRun(runs, { ref: 'v1.2.3', since })).toBeUndefined());
});

describe('outputs', () => {
  it('builds the metrics the ledger entry takes', () => {
    const audit = decideTokenAudit({
      now: new Date('2026-11-26T00:00:00Z'),
      expirationHeader: '2026-12-01 00:00:00 UTC',
      rotatedAt: '2026-09-01',
      warnDays: 14,
      maxAgeDays: 90,
    });
    expect(buildDispatchMetrics(audit, { usedByRunId: 7, usedAt: '2026-11-26T00:00:00Z' })).toEqual({
      dispatch_token_expires_at: '2026-12-01T00:00:00Z',
      dispatch_token_rotated_at: '2026-09-01T00:00:00Z',
      dispatch_token_last_used_run_id: 7,
      dispatch_token_last_used_at: '2026-11-26T00:00:00Z',
    });
  });
  it('renders GITHUB_OUTPUT lines, with a delimiter for multi-line values', () => {
    expect(renderGithubOutput({ a: '1', b: 'x\ny' }, 'EOF_1')).toBe('a=1\nb<<EOF_1\nx\ny\nEOF_1\n');
  });
  it('shows step summary values as written: code, one line, no cell split', () => {
    expect(renderStepSummary('T', [['k', 'a|b\nc']])).toBe(
      '### T\n\n<table>\n<tr><th>k</th><td><code>a|b c</code></td></tr>\n</table>\n\n',
    );
  });
  it('shows a pushed tag holding HTML, Markdown and a mention as text in the step summary', () => {
    const out = renderStepSummary('T', [['tag', `<img src=x onerror=alert(1)>_x_@acme-team#1&amp;'"`]]);
    expect(out).toContain(
      '<td><code>&lt;img src=x onerror=alert(1)&gt;_x_@acme-team#1&amp;amp;&#39;&quot;</code></td>',
    );
    expect(out).not.toContain('<img');
  });
  it('links a step summary value only to an https address, escaped', () => {
    const run = 'https://github.com/acme/app/actions/runs/7?a=1&b="2"';
    expect(renderStepSummary('T', [['run', run, run]])).toContain(
      '<td><a href="https://github.com/acme/app/actions/runs/7?a=1&amp;b=&quot;2&quot;"><code>https://github.com/acme/app/actions/runs/7?a=1&amp;b=&quot;2&quot;</code></a></td>',
    );
    expect(renderStepSummary('T', [['run', 'javascript:alert(1)', 'javascript:alert(1)']])).toContain(
      '<td><code>javascript:alert(1)</code></td>',
    );
    expect(renderStepSummary('T', [['run', 'x', 'HTTPS://h/\n\nx']])).toContain('<a href="HTTPS://h/ x">');
  });
});

// The mutation audit of the twentieth session (docs/status.md, Issue 17): each case below failed a
// hand mutant of dispatch-plan.ts that every earlier test let through.

describe('flag parsing: the edges (mutation audit)', () => {
  it('takes an owner of up to 39 characters and a repository of up to 100', () => {
    expect(parseRepository(`${'a'.repeat(39)}/${'r'.repeat(100)}`).repo).toHaveLength(100);
    expect(() => parseRepository(`${'a'.repeat(40)}/r`)).toThrowCode('USAGE_INVALID_FLAG');
    expect(() => parseRepository(`a/${'r'.repeat(101)}`)).toThrowCode('USAGE_INVALID_FLAG');
    expect(() => parseRepository('acme/.')).toThrowCode('USAGE_INVALID_FLAG');
    expect(parseRepository('acme/.github')).toEqual({ owner: 'acme', repo: '.github' });
  });
  it.each(['12abc', 'x.yml.bak', 'x.yaml~'])('refuses workflow %j', (w) => {
    expect(() => parseWorkflow(w)).toThrowCode('USAGE_INVALID_FLAG');
  });
  it.each(['a\\b', 'a\u0001b', 'a\u007fb', 'a:b', 'a?b', 'a*b', 'a[b', 'a^b', `${'r'.repeat(256)}`])(
    'refuses ref %j',
    (r) => {
      expect(() => parseRef(r)).toThrowCode('USAGE_INVALID_FLAG');
    },
  );
  it('takes a ref of 255 characters', () => {
    expect(parseRef('r'.repeat(255))).toHaveLength(255);
  });
  it('shortens only a leading refs/heads/ or refs/tags/', () => {
    expect(decideDispatchTag(undefined, {}, 'refs/heads/main')).toBe('main');
    expect(decideDispatchTag(undefined, {}, 'feature/refs/tags/v1')).toBe('feature/refs/tags/v1');
  });
  it.each([
    ['0', 0],
    ['10', 10_000],
    ['0.0015', 2],
  ])('seconds %s at the bounds and rounding', (v, ms) => {
    expect(parseSecondsFlag('x', v, { min: 0, max: 10 })).toBe(ms);
  });
  it.each(['', ' 2', '+1', '2s', '0x1', '1.'])('refuses seconds %j', (v) => {
    expect(() => parseSecondsFlag('x', v, { min: 0, max: 10 })).toThrowCode('USAGE_INVALID_FLAG');
  });
  it('is undefined without the flag', () => {
    expect(parseSecondsFlag('x', undefined, { min: 0, max: 10 })).toBeUndefined();
  });
});

describe('pickDispatchedRun: the edges (mutation audit)', () => {
  const since = new Date('2026-11-26T12:00:00Z');
  const run = (id: number, created: string) => ({
    id,
    event: 'workflow_dispatch',
    head_branch: 'main',
    created_at: created,
  });
  it('takes a run created at the very call, and the lower id of two created together', () => {
    expect(pickDispatchedRun([run(1, '2026-11-26T12:00:00Z')], { ref: 'main', since })).toEqual({
      run: run(1, '2026-11-26T12:00:00Z'),
      ambiguous: false,
    });
    expect(
      pickDispatchedRun([run(5, '2026-11-26T12:00:03Z'), run(4, '2026-11-26T12:00:03Z')], {
        ref: 'main',
        since,
      }),
    ).toEqual({ run: run(4, '2026-11-26T12:00:03Z'), ambiguous: true });
  });
});

describe('outputs: the edges (mutation audit)', () => {
  it('has no metric keys for what the audit did not learn', () => {
    const audit = decideTokenAudit({
      now: new Date('2026-11-26T00:00:00Z'),
      expirationHeader: undefined,
      rotatedAt: undefined,
      warnDays: 14,
      maxAgeDays: 90,
    });
    expect(buildDispatchMetrics(audit, { usedAt: '2026-11-26T00:00:00Z' })).toStrictEqual({
      dispatch_token_last_used_at: '2026-11-26T00:00:00Z',
    });
  });
  it('uses the delimiter form for a carriage return too', () => {
    expect(renderGithubOutput({ a: 'x\ry' }, 'EOF_1')).toBe('a<<EOF_1\nx\ry\nEOF_1\n');
  });
  it('keeps backslashes, turns carriage returns into spaces and escapes the label', () => {
    expect(renderStepSummary('T', [['k<1>\r', 'a\\|b\rc']])).toContain(
      '<tr><th>k&lt;1&gt; </th><td><code>a\\|b c</code></td></tr>',
    );
  });
});
