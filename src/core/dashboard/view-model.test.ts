import { describe, expect, it } from 'vitest';
import {
  buildDashboardView,
  buildHeadlineCards,
  buildSeries,
  formatDuration,
  formatNumber,
  formatPercent,
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
    expect(view.headline).toHaveLength(9);
  });
});
