import { describe, expect, it } from 'vitest';
import {
  buildDashboardView,
  buildHeadlineCards,
  buildSeries,
  formatDuration,
  formatNumber,
  formatPercent,
  httpsOrNull,
  maxBreakdownRows,
  maxSeriesDays,
  type HeadlineKpis,
} from './view-model.js';

const headline: HeadlineKpis = {
  entries: 60,
  days: 30,
  failureRate: 0.1,
  missingArtifactRate: 0,
  validatedRate: 0.95,
  dispatchTokenAgeDays: 12,
  dispatchTokenDaysToExpiry: 3,
  manifestToDbLagP95S: 90,
  notificationSuccessRatio: 1,
  ingestFailures: 0,
};

describe('formatting', () => {
  it.each([
    [null, '—'],
    [0, '0%'],
    [1, '100%'],
    [0.1234, '12.3%'],
    [0.0004, '<0.1%'],
    [Number.NaN, '—'],
  ])('percent %s -> %s', (v, s) => expect(formatPercent(v)).toBe(s));
  it.each([
    [null, '—'],
    [0.25, '250 ms'],
    [5, '5.0 s'],
    [90, '90 s'],
    [600, '10 min'],
    [36_000, '10.0 h'],
    [864_000, '10.0 d'],
    [-5, '-5.0 s'],
    [0.9996, '1.0 s'],
  ])('duration %s -> %s', (v, s) => expect(formatDuration(v)).toBe(s));
  it.each([
    [null, '—'],
    [1234, '1,234'],
    [2.345, '2.3'],
  ])('number %s -> %s', (v, s) => expect(formatNumber(v)).toBe(s));
});

describe('buildHeadlineCards', () => {
  it('shows every headline metric with a tone', () => {
    const cards = buildHeadlineCards(headline);
    expect(cards.map((c) => c.id)).toEqual([
      'entries_per_day',
      'failure_rate',
      'missing_artifact_rate',
      'validated_rate',
      'dispatch_token_age_days',
      'dispatch_token_days_to_expiry',
      'manifest_to_db_lag_p95_s',
      'notification_success_ratio',
      'ingest_failures',
      'notification_success_per_tag',
      'notification_latency_p95_s',
      'provenance_audit_failures',
      'signatures',
      'missing_from_ledger',
    ]);
    const byId = Object.fromEntries(cards.map((c) => [c.id, c]));
    expect(byId.entries_per_day).toMatchObject({ value: '2', tone: 'neutral' });
    expect(byId.failure_rate).toMatchObject({ value: '10.0%', tone: 'warn' });
    expect(byId.missing_artifact_rate).toMatchObject({ value: '0%', tone: 'good' });
    expect(byId.validated_rate).toMatchObject({ value: '95.0%', tone: 'good' });
    expect(byId.dispatch_token_days_to_expiry).toMatchObject({ value: '3 d', tone: 'warn' });
    expect(byId.manifest_to_db_lag_p95_s).toMatchObject({ value: '90 s', tone: 'good' });
  });
  it('marks bad and missing values', () => {
    const cards = buildHeadlineCards({
      ...headline,
      entries: 0,
      failureRate: 0.5,
      validatedRate: null,
      dispatchTokenDaysToExpiry: -1,
      dispatchTokenAgeDays: null,
      notificationSuccessRatio: 0.5,
      ingestFailures: 2,
    });
    const byId = Object.fromEntries(cards.map((c) => [c.id, c]));
    expect(byId.failure_rate!.tone).toBe('bad');
    expect(byId.validated_rate).toMatchObject({ value: '—', tone: 'neutral' });
    expect(byId.dispatch_token_days_to_expiry).toMatchObject({
      tone: 'bad',
      detail: 'expired: rotate it now',
    });
    expect(byId.dispatch_token_age_days).toMatchObject({ value: '—', tone: 'neutral' });
    expect(byId.notification_success_ratio!.tone).toBe('bad');
    expect(byId.ingest_failures).toMatchObject({ value: '2', tone: 'bad' });
  });
});

describe('buildSeries', () => {
  it('fills empty days between the first and the last', () => {
    const s = buildSeries([
      { day: '2026-11-03', success: 1, failure: 1, missingArtifact: 1, validated: 0, lagP95S: 5 },
      { day: '2026-11-01', success: 4, failure: 0, missingArtifact: 0, validated: 4, lagP95S: null },
    ]);
    expect(s.days).toEqual([
      Date.UTC(2026, 10, 1) / 1000,
      Date.UTC(2026, 10, 2) / 1000,
      Date.UTC(2026, 10, 3) / 1000,
    ]);
    expect(s.entries_success).toEqual([4, 0, 1]);
    expect(s.entries_failure).toEqual([0, 0, 1]);
    expect(s.failure_rate).toEqual([0, null, 0.5]);
    expect(s.missing_artifact_rate).toEqual([0, null, 0.5]);
    expect(s.validated_rate).toEqual([1, null, 0]);
    expect(s.lag_p95_s).toEqual([null, null, 5]);
  });
  it('is empty without data and cut to the latest days when too long', () => {
    expect(buildSeries([]).days).toEqual([]);
    const long = buildSeries([
      { day: '1990-01-01', success: 1, failure: 0, missingArtifact: 0, validated: 0, lagP95S: null },
      { day: '2026-01-01', success: 1, failure: 0, missingArtifact: 0, validated: 0, lagP95S: null },
    ]);
    expect(long.days).toHaveLength(maxSeriesDays);
    expect(long.days.at(-1)).toBe(Date.UTC(2026, 0, 1) / 1000);
  });
});

describe('buildDashboardView', () => {
  it('sorts breakdowns by count and computes shares', () => {
    const view = buildDashboardView({
      headline,
      daily: [],
      statusCounts: [
        { label: 'failure', count: 1 },
        { label: 'success', count: 3 },
      ],
      flagCounts: [
        { label: null, count: 1 },
        { label: 'validated', count: 2 },
        { label: 'my-flag', count: 1 },
        { label: 'gone', count: 0 },
      ],
    });
    expect(view.breakdown.status).toEqual([
      { label: 'success', count: 3, share: 0.75, tone: 'good' },
      { label: 'failure', count: 1, share: 0.25, tone: 'bad' },
    ]);
    expect(view.breakdown.governance_flag.map((r) => [r.label, r.tone])).toEqual([
      ['validated', 'good'],
      ['(none)', 'neutral'],
      ['my-flag', 'neutral'],
    ]);
    expect(view.headline).toHaveLength(14);
  });

  it('gives a flag named like an Object.prototype member the neutral tone, as a string', () => {
    // a pusher may write any kebab-case flag; `constructor` looked up in a plain object literal is
    // Object itself, which JSON drops: the row went out without its tone
    const view = buildDashboardView({
      headline,
      daily: [],
      statusCounts: [{ label: 'constructor', count: 1 }],
      flagCounts: [
        { label: 'constructor', count: 2 },
        { label: 'validated', count: 1 },
      ],
    });
    expect(view.breakdown.governance_flag).toEqual([
      { label: 'constructor', count: 2, share: 2 / 3, tone: 'neutral' },
      { label: 'validated', count: 1, share: 1 / 3, tone: 'good' },
    ]);
    expect(JSON.parse(JSON.stringify(view.breakdown.status))).toEqual([
      { label: 'constructor', count: 1, share: 1, tone: 'neutral' },
    ]);
  });

  it('keeps a breakdown of many distinct flags to maxBreakdownRows rows, the rest as one', () => {
    const flagCounts = Array.from({ length: 5_000 }, (_, i) => ({ label: `flag-${i}`, count: 1 }));
    flagCounts.push({ label: 'validated', count: 100 });
    const view = buildDashboardView({ headline, daily: [], statusCounts: [], flagCounts });
    const rows = view.breakdown.governance_flag;
    expect(rows).toHaveLength(maxBreakdownRows);
    expect(rows[0]).toMatchObject({ label: 'validated', count: 100 });
    expect(rows.at(-1)).toEqual({
      label: `(${5_000 - (maxBreakdownRows - 2)} others)`,
      count: 5_000 - (maxBreakdownRows - 2),
      share: (5_000 - (maxBreakdownRows - 2)) / 5_100,
      tone: 'neutral',
    });
    expect(rows.reduce((n, r) => n + r.count, 0)).toBe(5_100);
    // at the limit nothing is folded
    const exact = buildDashboardView({
      headline,
      daily: [],
      statusCounts: [],
      flagCounts: flagCounts.slice(0, maxBreakdownRows),
    });
    // (was `not.toContain(expect.stringMatching(/others/))`, which toContain compares with ===: it
    // could not fail)
    expect(exact.breakdown.governance_flag).toHaveLength(maxBreakdownRows);
    expect(exact.breakdown.governance_flag.filter((r) => /others/.test(r.label))).toEqual([]);
  });
});

describe('buildSeries with a window', () => {
  const day = (d: string, n = 1) => ({
    day: d,
    success: n,
    failure: 0,
    missingArtifact: 0,
    validated: 0,
    lagP95S: 1,
  });
  it('spans the days of the window whatever the data (one day of runs in a 30-day window)', () => {
    const series = buildSeries([day('2025-11-20', 5)], {
      since: '2025-11-01T00:00:00.000Z',
      until: '2025-12-01T00:00:00.000Z',
    });
    expect(series.days).toHaveLength(30);
    expect(series.days[0]).toBe(Date.parse('2025-11-01T00:00:00Z') / 1000);
    expect(series.days.at(-1)).toBe(Date.parse('2025-11-30T00:00:00Z') / 1000);
    expect(series.entries_success.reduce((a, b) => a + b, 0)).toBe(5);
  });

  it('an age window counts its partial first day; a very long window starts at its first data', () => {
    expect(
      buildSeries([], { since: '2025-11-23T13:00:00.000Z', until: '2025-11-30T13:00:00.000Z' }).days,
    ).toHaveLength(8);
    const long = buildSeries([day('2025-01-05')], {
      since: '1970-01-01T00:00:00.000Z',
      until: '2025-12-01T00:00:00.000Z',
    });
    expect(long.days[0]).toBe(Date.parse('2025-01-05T00:00:00Z') / 1000);
  });
});

describe('repository rows and alerts', () => {
  it('links only https ledgers and raises ledger-history-rewritten', () => {
    const view = buildDashboardView({
      headline: {
        entries: 0,
        days: 1,
        failureRate: null,
        missingArtifactRate: null,
        validatedRate: null,
        dispatchTokenAgeDays: null,
        dispatchTokenDaysToExpiry: null,
        manifestToDbLagP95S: null,
        notificationSuccessRatio: null,
        ingestFailures: 0,
      },
      daily: [],
      statusCounts: [],
      flagCounts: [],
      repositories: [
        {
          repository: 'acme/a',
          ledger_url: 'javascript:alert(1)',
          entries: 3,
          failure_rate: 0.5,
          validated_rate: 1,
          latest_entry: null,
          latest_manifest: null,
          watermark: null,
          history_rewritten_at: '2025-11-30T00:00:00.000Z',
          history_rewrite_accepted_at: null,
        },
        {
          repository: 'acme/b',
          ledger_url: 'https://github.com/acme/b',
          entries: 0,
          failure_rate: null,
          validated_rate: null,
          latest_entry: { tag: 'v1', run_id: 1, timestamp: '2025-11-29T00:00:00.000Z' },
          latest_manifest: null,
          watermark: 'a'.repeat(40),
          history_rewritten_at: null,
          history_rewrite_accepted_at: '2025-11-30T01:00:00.000Z',
        },
      ],
    });
    expect(view.repositories.map((r) => r.ledger_url)).toEqual([null, 'https://github.com/acme/b']);
    expect(view.repositories[0]).toMatchObject({ failure_rate: '50.0%', failure_tone: 'bad' });
    expect(view.alerts).toEqual([
      expect.objectContaining({ kind: 'ledger-history-rewritten', repository: 'acme/a' }),
    ]);
    // an accepted rewrite stays on its repository's row (not an alert: it was dealt with)
    expect(view.repositories.map((r) => r.history_rewrite_accepted_at)).toEqual([
      null,
      '2025-11-30T01:00:00.000Z',
    ]);
  });
});

// Mutation audit of the dashboard core (twentieth session): a ledger's pusher writes the URLs.
describe('httpsOrNull', () => {
  it.each([
    'javascript:alert(1)',
    'javascript:alert(1)//https://x.example',
    ' https://x.example',
    'http://x.example',
    'https://',
    'https:// x.example',
    'https://x.example/a b',
    'https://x.example/\njavascript:alert(1)',
    'https://x.example/\t',
    'data:text/html,https://x.example',
    '',
  ])('refuses %j', (url) => {
    expect(httpsOrNull(url)).toBeNull();
  });

  it.each(['https://github.com/acme/ledger', 'HTTPS://github.com/acme/ledger', 'https://x.example/a?b=c#d'])(
    'keeps %j as it is',
    (url) => {
      expect(httpsOrNull(url)).toBe(url);
    },
  );

  it('refuses what is not a string', () => {
    expect(httpsOrNull(null)).toBeNull();
    expect(httpsOrNull(undefined)).toBeNull();
  });
});

describe('formatting and tones at their edges', () => {
  it.each([
    [0.001, '0.1%'],
    [0.0009, '<0.1%'],
    [-0.0004, '>-0.1%'],
    [Infinity, '—'],
  ])('percent %s -> %s', (ratio, text) => {
    expect(formatPercent(ratio)).toBe(text);
  });

  it.each([
    [10, '10 s'],
    [9.96, '10.0 s'],
    [119, '119 s'],
    [120, '2 min'],
    [7199, '120 min'],
    [7200, '2.0 h'],
    [129_600, '36.0 h'],
    [172_800, '2.0 d'],
  ])('duration %s -> %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  const cards = (over: Partial<HeadlineKpis>) =>
    Object.fromEntries(buildHeadlineCards({ ...headline, ...over }).map((c) => [c.id, c]));

  it('colours a value on a threshold as the better side', () => {
    expect(cards({ failureRate: 0.2 }).failure_rate!.tone).toBe('warn');
    expect(cards({ failureRate: 0.05 }).failure_rate!.tone).toBe('good');
    expect(cards({ validatedRate: 0.5 }).validated_rate!.tone).toBe('warn');
    expect(cards({ validatedRate: 0.9 }).validated_rate!.tone).toBe('good');
    expect(cards({ validatedRate: 0.49 }).validated_rate!.tone).toBe('bad');
  });

  it('counts a window of zero days as one, and says day for one', () => {
    expect(cards({ entries: 5, days: 0 }).entries_per_day).toMatchObject({ value: '5' });
    expect(cards({ entries: 5, days: 1 }).entries_per_day!.detail).toBe('5 entries over 1 day');
  });
});

describe('card thresholds', () => {
  const tone = (id: string, over: Partial<HeadlineKpis>) =>
    buildHeadlineCards({ ...headline, ...over }).find((c) => c.id === id)!.tone;
  it.each([
    ['failure_rate', { failureRate: 0.06 }, 'warn'],
    ['failure_rate', { failureRate: 0.21 }, 'bad'],
    ['missing_artifact_rate', { missingArtifactRate: 0 }, 'good'],
    ['missing_artifact_rate', { missingArtifactRate: 0.01 }, 'warn'],
    ['missing_artifact_rate', { missingArtifactRate: 0.05 }, 'warn'],
    ['missing_artifact_rate', { missingArtifactRate: 0.051 }, 'bad'],
    ['validated_rate', { validatedRate: 0.89 }, 'warn'],
    ['dispatch_token_age_days', { dispatchTokenAgeDays: 60 }, 'good'],
    ['dispatch_token_age_days', { dispatchTokenAgeDays: 61 }, 'warn'],
    ['dispatch_token_age_days', { dispatchTokenAgeDays: 90 }, 'warn'],
    ['dispatch_token_age_days', { dispatchTokenAgeDays: 91 }, 'bad'],
    ['dispatch_token_days_to_expiry', { dispatchTokenDaysToExpiry: 14 }, 'good'],
    ['dispatch_token_days_to_expiry', { dispatchTokenDaysToExpiry: 13 }, 'warn'],
    ['dispatch_token_days_to_expiry', { dispatchTokenDaysToExpiry: 0 }, 'bad'],
    ['manifest_to_db_lag_p95_s', { manifestToDbLagP95S: 3600 }, 'good'],
    ['manifest_to_db_lag_p95_s', { manifestToDbLagP95S: 3601 }, 'warn'],
    ['manifest_to_db_lag_p95_s', { manifestToDbLagP95S: 86_401 }, 'bad'],
    ['notification_success_ratio', { notificationSuccessRatio: 0.985 }, 'warn'],
    ['notification_success_ratio', { notificationSuccessRatio: 0.89 }, 'bad'],
    ['ingest_failures', { ingestFailures: 1 }, 'bad'],
    ['notification_success_per_tag', { notificationSuccessPerTag: 0.985 }, 'warn'],
    ['notification_latency_p95_s', { notificationLatencyP95S: 11 }, 'warn'],
    ['notification_latency_p95_s', { notificationLatencyP95S: 61 }, 'bad'],
    ['provenance_audit_failures', { auditFailures: 1 }, 'bad'],
    ['signatures', { signaturesBad: 1 }, 'bad'],
    ['missing_from_ledger', { missingFromLedger: 1 }, 'bad'],
  ] as const)('%s %j -> %s', (id, over, expected) => {
    expect(tone(id, over)).toBe(expected);
  });

  it('says a token at zero days is expired, and shows no signature share without entries', () => {
    const byId = Object.fromEntries(
      buildHeadlineCards({ ...headline, dispatchTokenDaysToExpiry: 0, entries: 0 }).map((c) => [c.id, c]),
    );
    expect(byId.dispatch_token_days_to_expiry!.detail).toBe('expired: rotate it now');
    expect(byId.signatures!.value).toBe('—');
  });
});

describe('series at the edges of maxSeriesDays', () => {
  const day = (d: string) => ({
    day: d,
    success: 1,
    failure: 0,
    missingArtifact: 0,
    validated: 0,
    lagP95S: null,
  });
  const DAY = 86_400_000;
  const until = Date.parse('2025-12-01T00:00:00Z');
  const windowOf = (days: number) => ({
    since: new Date(until - days * DAY).toISOString(),
    until: new Date(until).toISOString(),
  });

  it('draws every day of a window of exactly 3,660 days, and cuts one of 3,661 to its data', () => {
    expect(maxSeriesDays).toBe(3_660);
    expect(buildSeries([day('2025-11-30')], windowOf(3_660)).days).toHaveLength(3_660);
    expect(buildSeries([day('2025-11-30')], windowOf(3_661)).days).toEqual([
      Date.parse('2025-11-30T00:00:00Z') / 1000,
    ]);
  });

  it('draws at most 3,660 days, the latest, however early the data', () => {
    const series = buildSeries([day('1970-01-01'), day('2025-11-30')], windowOf(20_000));
    expect(series.days).toHaveLength(3_660);
    expect(series.days.at(-1)).toBe(Date.parse('2025-11-30T00:00:00Z') / 1000);
  });

  it('draws the last day when the only data lies after the window', () => {
    expect(buildSeries([day('2026-01-05')], windowOf(5_000)).days).toEqual([
      Date.parse('2025-11-30T00:00:00Z') / 1000,
    ]);
  });

  it('takes an empty window as no window, and skips a day that is not a date', () => {
    const at = new Date(until).toISOString();
    expect(buildSeries([day('2025-11-20')], { since: at, until: at }).days).toEqual([
      Date.parse('2025-11-20T00:00:00Z') / 1000,
    ]);
    expect(buildSeries([day('2025-11-20'), day('not-a-day')]).days).toEqual([
      Date.parse('2025-11-20T00:00:00Z') / 1000,
    ]);
  });
});

describe('breakdown rows', () => {
  it('shows at most 20 rows, ties by label', () => {
    expect(maxBreakdownRows).toBe(20);
    const view = buildDashboardView({
      headline,
      daily: [],
      statusCounts: [],
      flagCounts: [
        { label: 'b-flag', count: 1 },
        { label: 'a-flag', count: 1 },
        { label: 'c-flag', count: 2 },
      ],
    });
    expect(view.breakdown.governance_flag.map((r) => r.label)).toEqual(['c-flag', 'a-flag', 'b-flag']);
  });

  it('has no rate on a day without entries', () => {
    const series = buildSeries([
      { day: '2025-11-20', success: 0, failure: 0, missingArtifact: 0, validated: 0, lagP95S: 5 },
    ]);
    expect(series.failure_rate).toEqual([null]);
    expect(series.missing_artifact_rate).toEqual([null]);
    expect(series.validated_rate).toEqual([null]);
    expect(series.lag_p95_s).toEqual([5]);
  });
});

describe('governance flag tones', () => {
  it('colours the flags the tools write', () => {
    const flags = {
      validated: 'good',
      'provenance-ready': 'good',
      'validation-failed': 'bad',
      'artifact-missing': 'bad',
      'dispatch-token-expired': 'bad',
      'manifest-queued': 'warn',
      'dispatch-token-expiring': 'warn',
      'dispatch-token-rotation-overdue': 'warn',
      'my-flag': 'neutral',
    };
    const view = buildDashboardView({
      headline,
      daily: [],
      statusCounts: [],
      flagCounts: Object.keys(flags).map((label) => ({ label, count: 1 })),
    });
    expect(Object.fromEntries(view.breakdown.governance_flag.map((r) => [r.label, r.tone]))).toEqual(flags);
  });
});
