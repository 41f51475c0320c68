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
    expect(i.body).toContain('| reason | upload <failed> & retried |');
    expect(i.comment).toContain('again');
  });
});

describe('decideRetry', () => {
  const policy = defaultRetryPolicy;
  const r = (status: number, body = '', retryAfter?: string): AttemptOutcome => ({
    kind: 'response',
    status,
    body,
    ...(retryAfter === undefined ? {} : { retryAfter }),
  });
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

describe('metrics', () => {
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
