import { describe, expect, it } from 'vitest';
import {
  buildIssue,
  buildSlackMessage,
  escapeSlack,
  eventTexts,
  notifyEvents,
  parseNotifyEvent,
  parseNotifySubject,
  slackLink,
} from './events.js';
import {
  computeNotificationMetrics,
  parseNotificationLog,
  percentile,
  type NotificationAttempt,
} from './metrics.js';
import { decideRetry, defaultRetryPolicy, parseRetryAfter, type AttemptOutcome } from './retry.js';

const now = new Date('2026-11-26T12:00:00Z');
const subject = parseNotifySubject({
  tag: 'v1.2.3',
  run_id: 42,
  status: 'failure',
  failure_reason: 'upload <failed> & retried',
  release_url: 'https://github.com/acme/app/releases/tag/v1.2.3',
  artifact_url: 'javascript:alert(1)',
  unknown_field: 'ignored',
});

describe('events', () => {
  it('parses every documented event and refuses others (USAGE_INVALID_FLAG)', () => {
    for (const e of notifyEvents) expect(parseNotifyEvent(e)).toBe(e);
    expect(() => parseNotifyEvent('deploy')).toThrowCode('USAGE_INVALID_FLAG');
  });
  it('reads a partial entry, ignoring unknown and mistyped fields', () => {
    expect(subject).toEqual({
      tag: 'v1.2.3',
      run_id: 42,
      status: 'failure',
      failure_reason: 'upload <failed> & retried',
      release_url: 'https://github.com/acme/app/releases/tag/v1.2.3',
      artifact_url: 'javascript:alert(1)',
    });
    expect(parseNotifySubject({ tag: 'v1', run_id: -1 })).toEqual({ tag: 'v1' });
    expect(parseNotifySubject(undefined, { tag: 'v2', run_id: 3 })).toEqual({ tag: 'v2', run_id: 3 });
  });
  it.each([[{}], [{ tag: '' }], [[]], ['text']])('refuses %j without a tag (INPUT_INVALID)', (v) => {
    expect(() => parseNotifySubject(v)).toThrowCode('INPUT_INVALID');
  });
  it('escapes mrkdwn and keeps only https links', () => {
    expect(escapeSlack('<a> & b')).toBe('&lt;a&gt; &amp; b');
    expect(slackLink('https://x.test/a|b', 'l')).toBe('<https://x.test/a%7Cb|l>');
    expect(slackLink('http://x.test', 'l')).toBeUndefined();
    expect(slackLink('https://u:p@x.test', 'l')).toBeUndefined();
    expect(slackLink('not a url', 'l')).toBeUndefined();
  });
});

describe('buildSlackMessage', () => {
  it.each(notifyEvents)('%s: text fallback and blocks with tag, run, status, reason, next step', (event) => {
    const m = buildSlackMessage(event, subject, { runUrl: 'https://github.com/acme/app/actions/runs/9' });
    expect(m.text).toBe(
      `${eventTexts[event].headline}: v1.2.3 · run 42 · status failure · reason: upload &lt;failed&gt; &amp; retried`,
    );
    const blocks = JSON.stringify(m.blocks);
    expect(blocks).toContain('<https://github.com/acme/app/actions/runs/9|workflow run>');
    expect(blocks).toContain('<https://github.com/acme/app/releases/tag/v1.2.3|release>');
    expect(blocks).not.toContain('javascript:');
    expect(blocks).toContain(escapeSlack(eventTexts[event].action));
  });
  it('prefers an explicit reason and truncates long ones', () => {
    const m = buildSlackMessage('ingest-failed', { tag: 'v1' }, { reason: 'x'.repeat(5000) });
    expect(m.text.length).toBeLessThan(600);
    expect(JSON.stringify(m.blocks)).not.toContain('x'.repeat(3001));
  });
  it('names a ledger alert by its repository, not as a tag with no run or status', () => {
    const m = buildSlackMessage('ingest-failed', {
      tag: 'acme/widgets',
      repository: 'acme/widgets',
      failure_reason: 'LEDGER_REMOTE_UNAVAILABLE: cannot reach remote',
    });
    const blocks = JSON.stringify(m.blocks);
    expect(blocks).toContain('*repository*\\nacme/widgets');
    expect(blocks).not.toContain('*tag*');
    expect(blocks).not.toContain('*run*');
  });
});

describe('buildIssue', () => {
  it('titles and labels one issue per (event, tag)', () => {
    const i = buildIssue('manifest-queued', subject);
    expect(i.title).toBe('slsa-ledger: manifest-queued for v1.2.3');
    expect(i.labels).toEqual(['slsa-ledger', 'slsa-ledger:manifest-queued']);
    expect(i.body).toContain('| reason | `upload <failed> & retried` |');
    expect(i.comment).toContain('again');
  });
});

/** An HTTP answer as the retry policy sees it. */
const r = (status: number, body = '', retryAfter?: string): AttemptOutcome => ({
  kind: 'response',
  status,
  body,
  ...(retryAfter === undefined ? {} : { retryAfter }),
});

describe('decideRetry', () => {
  const policy = defaultRetryPolicy;
  it.each([
    ['200 ok', r(200, 'ok'), 1, { kind: 'delivered' }],
    ['400 invalid_payload', r(400, 'invalid_payload'), 1, { kind: 'give-up', code: 'NOTIFY_REJECTED' }],
    ['404 no_service', r(404, 'no_service'), 1, { kind: 'give-up', code: 'NOTIFY_REJECTED' }],
    [
      '410 channel_is_archived',
      r(410, 'channel_is_archived'),
      1,
      { kind: 'give-up', code: 'NOTIFY_REJECTED' },
    ],
    ['500 first', r(500), 1, { kind: 'retry', delayMs: 375 }],
    ['500 third', r(503), 3, { kind: 'retry', delayMs: 1500 }],
    ['500 last', r(500), 4, { kind: 'give-up', code: 'NOTIFY_FAILED' }],
    ['network', { kind: 'network', message: 'ECONNREFUSED' } as const, 2, { kind: 'retry', delayMs: 750 }],
    ['429 retry-after 3', r(429, 'rate_limited', '3'), 1, { kind: 'retry', delayMs: 3000 }],
    ['429 retry-after over cap', r(429, '', '3600'), 1, { kind: 'give-up', code: 'NOTIFY_FAILED' }],
    ['429 without retry-after', r(429), 1, { kind: 'retry', delayMs: 375 }],
    ['429 http-date', r(429, '', 'Thu, 26 Nov 2026 12:00:05 GMT'), 1, { kind: 'retry', delayMs: 5000 }],
  ] as const)('%s', (_n, outcome, attempt, expected) => {
    expect(decideRetry(outcome, attempt, policy, { now, jitter: 0.5 })).toMatchObject(expected);
  });
  it('caps the backoff', () => {
    const d = decideRetry(r(500), 9, { ...policy, maxAttempts: 20 }, { now, jitter: 0.99 });
    expect(d).toMatchObject({ kind: 'retry', delayMs: policy.maxDelayMs });
  });
  it('reads Retry-After', () => {
    expect(parseRetryAfter('7', now)).toBe(7);
    expect(parseRetryAfter('garbage', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('Thu, 26 Nov 2026 11:00:00 GMT', now)).toBe(0);
  });
});

/** One logged notification attempt (the metrics' input). */
const a = (
  id: string,
  outcome: NotificationAttempt['outcome'],
  latency: number,
  elapsed: number,
  channel: NotificationAttempt['channel'] = 'slack',
): NotificationAttempt => ({
  timestamp: '2026-11-26T12:00:00Z',
  notification_id: id,
  channel,
  event: 'provenance-failure',
  tag: 'v1',
  run_id: 1,
  attempt: 1,
  outcome,
  status: null,
  reason: null,
  latency_ms: latency,
  elapsed_ms: elapsed,
});

describe('metrics', () => {
  it('computes the success ratio per notification and latency percentiles', () => {
    const records = [
      a('n1', 'retry', 100, 100),
      a('n1', 'delivered', 50, 700),
      a('n2', 'rejected', 30, 30),
      a('n3', 'delivered', 20, 20),
      a('n3', 'delivered', 40, 40, 'github-issue'),
    ];
    expect(computeNotificationMetrics(records)).toEqual({
      notifications: 4,
      delivered: 3,
      attempts: 5,
      notification_success_ratio: 0.75,
      attempt_latency_ms_p50: 40,
      attempt_latency_ms_p95: 100,
      delivery_ms_p50: 40,
      delivery_ms_p95: 700,
    });
  });
  it('is null on an empty log', () => {
    expect(computeNotificationMetrics([]).notification_success_ratio).toBeNull();
    expect(percentile([], 50)).toBeNull();
  });
  it('parses the JSONL log and counts lines it cannot read', () => {
    const text = `${JSON.stringify(a('n1', 'delivered', 1, 1))}\nnot json\n{"x":1}\n\n`;
    const { records, skipped } = parseNotificationLog(text);
    expect(records).toHaveLength(1);
    expect(skipped).toBe(2);
  });
});

// The mutation audit of the twentieth session (docs/status.md, Issue 17): each case below failed a
// hand mutant of events.ts, metrics.ts or retry.ts that every earlier test let through.

describe('events: the edges (mutation audit)', () => {
  it('takes an event by its exact name only', () => {
    for (const v of ['provenance', 'Provenance-Failure', 'PROVENANCE-READY', 'ledger-']) {
      expect(() => parseNotifyEvent(v)).toThrowCode('USAGE_INVALID_FLAG');
    }
  });
  it('refuses an entry that is not an object even when --tag gives the tag', () => {
    for (const v of [null, [], 'text', 7]) {
      expect(() => parseNotifySubject(v, { tag: 'v1' })).toThrowCode('INPUT_INVALID');
    }
  });
  it('refuses an empty --tag', () => {
    expect(() => parseNotifySubject({ tag: 'v1' }, { tag: '' })).toThrowCode('INPUT_INVALID');
  });
  it('keeps only well-typed, non-empty fields and no undefined keys', () => {
    expect(
      parseNotifySubject({
        tag: 'v1',
        status: '',
        sha: 7,
        actor: true,
        run_id: 1.5,
        validation: { reason: 5 },
      }),
    ).toStrictEqual({ tag: 'v1' });
    expect(parseNotifySubject({ tag: 'v1', run_id: 0 })).toStrictEqual({ tag: 'v1' });
    expect(parseNotifySubject({ tag: 'v1', run_id: 2 ** 53 })).toStrictEqual({ tag: 'v1' });
    expect(
      parseNotifySubject({ tag: 'v1', run_id: 1, validation: { reason: 'digest differs' } }),
    ).toStrictEqual({
      tag: 'v1',
      run_id: 1,
      validation_reason: 'digest differs',
    });
  });
  it('refuses a link with a user name or a password alone', () => {
    expect(slackLink('https://u@x.test/', 'l')).toBeUndefined();
    expect(slackLink('https://:p@x.test/', 'l')).toBeUndefined();
    expect(slackLink('https://x.test/', 'l')).toBe('<https://x.test/|l>');
  });
});

describe('buildSlackMessage: the edges (mutation audit)', () => {
  const blocksOf = (m: { blocks: unknown[] }): Record<string, any>[] => m.blocks as Record<string, any>[];
  it('escapes every entry field it shows, in the blocks and in the text', () => {
    const m = buildSlackMessage('provenance-failure', {
      tag: 'v1<&>',
      status: 'fail<ure>',
      governance_flag: 'flag<x>',
      failure_reason: 'upload <failed> & retried',
    });
    const fields = JSON.stringify(blocksOf(m)[1]);
    expect(fields).toContain('*tag*\\nv1&lt;&amp;&gt;');
    expect(fields).toContain('*status*\\nfail&lt;ure&gt;');
    expect(fields).toContain('*flag*\\nflag&lt;x&gt;');
    expect(blocksOf(m)[2]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '*reason*\nupload &lt;failed&gt; &amp; retried' },
    });
    expect(m.text).toBe(
      'provenance failed: v1&lt;&amp;&gt; · status fail&lt;ure&gt; · reason: upload &lt;failed&gt; &amp; retried',
    );
    expect(blocksOf(m)[0]).toMatchObject({ text: { text: ':x: provenance failed: v1<&>' } });
  });
  it('shows the event as the flag when the entry has none', () => {
    const m = buildSlackMessage('manifest-queued', { tag: 'v1' });
    expect(JSON.stringify(blocksOf(m)[1])).toContain('*flag*\\nmanifest-queued');
  });
  it('escapes the repository of a ledger alert', () => {
    const m = buildSlackMessage('ingest-failed', { tag: 'x', repository: 'a<b>/c&d' });
    expect(JSON.stringify(blocksOf(m)[1])).toContain('*repository*\\na&lt;b&gt;/c&amp;d');
  });
  it('prefers the given reason, then the failure reason, then the validation reason', () => {
    const both = { tag: 'v1', failure_reason: 'failure', validation_reason: 'validation' };
    expect(buildSlackMessage('validation-failed', both, { reason: 'given' }).text).toContain('reason: given');
    expect(buildSlackMessage('validation-failed', both).text).toContain('reason: failure');
    expect(
      buildSlackMessage('validation-failed', { tag: 'v1', validation_reason: 'validation' }).text,
    ).toContain('reason: validation');
  });
  it('numbers further links from 1 and drops the ones that are not https', () => {
    const m = buildSlackMessage(
      'ledger-drift',
      { tag: 'v1' },
      { links: ['https://a.test/', 'http://b.test/', 'https://c.test/'] },
    );
    expect(blocksOf(m).at(-1)).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: '<https://a.test/|link 1> · <https://c.test/|link 3>' }],
    });
  });
  it('has no context block without a usable link', () => {
    for (const links of [[], ['http://b.test/']]) {
      const m = buildSlackMessage('ledger-drift', { tag: 'v1' }, { links });
      expect(blocksOf(m).map((b) => b.type)).toEqual(['header', 'section', 'section']);
    }
  });
  it('truncates to the Block Kit limits exactly (header 150, section 3000)', () => {
    const fits = buildSlackMessage(
      'ingest-failed',
      { tag: 'v1' },
      { reason: 'r'.repeat(3000 - '*reason*\n'.length) },
    );
    expect(blocksOf(fits)[2]!.text.text).toBe(`*reason*\n${'r'.repeat(2991)}`);
    const long = buildSlackMessage('ingest-failed', { tag: 'v1' }, { reason: 'r'.repeat(4000) });
    expect(blocksOf(long)[2]!.text.text).toHaveLength(3000);
    expect(blocksOf(long)[2]!.text.text.endsWith('r…')).toBe(true);
    const header = buildSlackMessage('ingest-failed', { tag: 't'.repeat(300) });
    expect(blocksOf(header)[0]!.text.text).toHaveLength(150);
  });
});

describe('buildIssue: the edges (mutation audit)', () => {
  it('keeps each value in its table cell and marks the body with the event', () => {
    const i = buildIssue(
      'provenance-failure',
      { tag: 'v1', governance_flag: 'g', failure_reason: 'a|b\r\nc\rd' },
      { runUrl: 'https://github.com/acme/app/actions/runs/9' },
    );
    expect(i.body).toContain('| reason | `a\\|b c d` |');
    expect(i.body).toContain('| flag | `g` |');
    expect(i.body).toContain('| workflow run | https://github.com/acme/app/actions/runs/9 |');
    expect(i.body).toContain('<!-- slsa-ledger event=provenance-failure -->');
    expect(i.comment).toContain('| reason | `a\\|b c d` |');
  });
  it('shows the given reason before the entry one', () => {
    const i = buildIssue('provenance-failure', { tag: 'v1', failure_reason: 'entry' }, { reason: 'given' });
    expect(i.body).toContain('| reason | `given` |');
  });
});

describe('decideRetry: the edges (mutation audit)', () => {
  const policy = defaultRetryPolicy;
  const ctx = { now, jitter: 0.5 };
  it('is the Slack policy of the one retry module (docs/integrations.md: 4 attempts, 500 ms, 8 s, 30 s)', () => {
    expect(defaultRetryPolicy).toEqual({
      maxAttempts: 4,
      baseDelayMs: 500,
      maxDelayMs: 8_000,
      maxRetryAfterMs: 30_000,
    });
  });
  it('only a 2xx is delivered', () => {
    expect(decideRetry(r(204), 1, policy, ctx)).toEqual({ kind: 'delivered' });
    expect(decideRetry(r(300, 'moved'), 1, policy, ctx)).toEqual({
      kind: 'give-up',
      code: 'NOTIFY_REJECTED',
      reason: 'http 300 moved',
    });
  });
  it('honours a Retry-After up to the cap exactly, beyond the backoff cap, and a Retry-After of 0', () => {
    expect(decideRetry(r(429, '', '30'), 1, policy, ctx)).toMatchObject({ kind: 'retry', delayMs: 30_000 });
    expect(decideRetry(r(429, '', '20'), 1, policy, ctx)).toMatchObject({ kind: 'retry', delayMs: 20_000 });
    expect(decideRetry(r(429, '', '0'), 1, policy, ctx)).toMatchObject({ kind: 'retry', delayMs: 0 });
    expect(decideRetry(r(429, '', '31'), 1, policy, ctx)).toEqual({
      kind: 'give-up',
      code: 'NOTIFY_FAILED',
      reason: 'http 429: retry-after 31 s exceeds the cap of 30 s',
    });
  });
  it('says how many attempts it made when it gives up', () => {
    expect(decideRetry(r(502, 'bad gateway'), 4, policy, ctx)).toEqual({
      kind: 'give-up',
      code: 'NOTIFY_FAILED',
      reason: 'http 502 bad gateway (after 4 attempts)',
    });
    expect(decideRetry({ kind: 'network', message: 'ECONNRESET' }, 4, policy, ctx)).toMatchObject({
      reason: 'network error: ECONNRESET (after 4 attempts)',
    });
  });
  it('reads Retry-After as delta-seconds (blanks around) or an HTTP date, rounded up', () => {
    expect(parseRetryAfter(' 7 ', now)).toBe(7);
    expect(parseRetryAfter('7s', now)).toBeUndefined();
    expect(parseRetryAfter('x7', now)).toBeUndefined();
    expect(parseRetryAfter('Thu, 26 Nov 2026 12:00:05 GMT', new Date('2026-11-26T12:00:00.500Z'))).toBe(5);
  });
  it('logs a short, printable reason', () => {
    const long = decideRetry(r(400, `${'e'.repeat(100)}`), 1, policy, ctx);
    expect(long).toMatchObject({ reason: `http 400 ${'e'.repeat(80)}` });
    expect(decideRetry(r(400, 'no_\u001b[2Jservice\n'), 1, policy, ctx)).toMatchObject({
      reason: 'http 400 no_[2Jservice',
    });
    expect(decideRetry(r(403, ' \n'), 1, policy, ctx)).toMatchObject({ reason: 'http 403' });
  });
});

describe('metrics: the edges (mutation audit)', () => {
  it('takes the nearest rank of numbers (not of their text), p0 as the least', () => {
    expect(percentile([100, 9, 10], 50)).toBe(10);
    expect(percentile([100, 9, 10], 0)).toBe(9);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 51)).toBe(3);
  });
  it('a notification delivered once stays delivered; a delivery at 0 ms counts', () => {
    const m = computeNotificationMetrics([a('n1', 'delivered', 5, 0), a('n1', 'failed', 5, 10)]);
    expect(m).toMatchObject({
      notifications: 1,
      delivered: 1,
      notification_success_ratio: 1,
      delivery_ms_p50: 0,
    });
  });
  it('p95 is the 19th of 20 values, p50 the 10th', () => {
    const records = Array.from({ length: 20 }, (_, i) => a(`n${i}`, 'delivered', i + 1, (i + 1) * 10));
    expect(computeNotificationMetrics(records)).toMatchObject({
      attempt_latency_ms_p50: 10,
      attempt_latency_ms_p95: 19,
      delivery_ms_p50: 100,
      delivery_ms_p95: 190,
    });
  });
  it.each([
    ['no id', { notification_id: undefined }],
    ['an unknown channel', { channel: 'email' }],
    ['no latency', { latency_ms: '5' }],
    ['no elapsed time', { elapsed_ms: null }],
    ['no outcome', { outcome: undefined }],
  ])('skips a line with %s', (_n, change) => {
    const line = JSON.stringify({ ...a('n1', 'delivered', 1, 1), ...change });
    expect(parseNotificationLog(`${line}\n`)).toEqual({ records: [], skipped: 1 });
  });
  it('reads both channels and skips blank lines silently', () => {
    const text = [a('n1', 'delivered', 1, 1), a('n1', 'delivered', 1, 1, 'github-issue')]
      .map((r) => JSON.stringify(r))
      .join('\n  \n');
    expect(parseNotificationLog(`\n${text}\n\n`)).toMatchObject({ skipped: 0 });
    expect(parseNotificationLog(text).records).toHaveLength(2);
  });
});

describe('buildSlackMessage: a cut never splits a character', () => {
  const lone = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
  it('keeps a surrogate pair whole at the header, section and text limits', () => {
    const odd = buildSlackMessage(
      'ingest-failed',
      { tag: '😀'.repeat(100) },
      { reason: `a${'😀'.repeat(2000)}` },
    );
    const even = buildSlackMessage('ingest-failed', { tag: 'v1' }, { reason: '😀'.repeat(2000) });
    const texts = [
      (odd.blocks[0] as any).text.text,
      (odd.blocks[2] as any).text.text,
      (even.blocks[2] as any).text.text,
      odd.text,
      even.text,
    ];
    for (const t of texts) {
      expect(lone.test(t), JSON.stringify(t.slice(-4))).toBe(false);
      expect(t).toMatch(/😀…/u);
    }
  });
});

describe('buildIssue: text from the ledger is shown, never rendered', () => {
  it('puts tag, status, flag and reason in code spans: no mention, reference, link or HTML', () => {
    const i = buildIssue('provenance-failure', {
      tag: 'v1',
      status: 'failed',
      governance_flag: 'needs-review',
      failure_reason: 'ask @acme/security, see #1 and [docs](https://evil.example) <img src=x>',
    });
    expect(i.body).toContain(
      '| reason | `ask @acme/security, see #1 and [docs](https://evil.example) <img src=x>` |',
    );
    expect(i.body).toContain('| tag | `v1` |');
    expect(i.body).toContain('| status | `failed` |');
    expect(i.body).toContain('| flag | `needs-review` |');
    expect(i.body).toMatch(/^\*\*[^*]+\*\* for `v1`\./);
    // outside the code spans nothing of the reason is left
    const outside = i.body.replace(/(`+) ?[^`]*?(?: ?)\1/g, '');
    expect(outside).not.toMatch(/@acme|#1|evil\.example|<img/);
  });

  it('a reason holding backticks gets a longer fence', () => {
    const i = buildIssue('provenance-failure', { tag: 'v1', failure_reason: '`@acme` ``#2``' });
    expect(i.body).toContain('| reason | ``` `@acme` ``#2`` ``` |');
  });

  it('keeps the urls as links', () => {
    const i = buildIssue(
      'provenance-failure',
      { tag: 'v1', release_url: 'https://github.com/acme/app/releases/tag/v1' },
      { runUrl: 'https://github.com/acme/app/actions/runs/9' },
    );
    expect(i.body).toContain('| release | https://github.com/acme/app/releases/tag/v1 |');
    expect(i.body).toContain('| workflow run | https://github.com/acme/app/actions/runs/9 |');
  });
});
