import { describe, expect, it } from 'vitest';
import { decideTokenAudit, parseRotatedAt, parseTokenExpiration } from './token-audit.js';

const now = new Date('2026-11-26T12:00:00Z');
const audit = (o: Partial<Parameters<typeof decideTokenAudit>[0]>) =>
  decideTokenAudit({
    now,
    expirationHeader: undefined,
    rotatedAt: undefined,
    warnDays: 14,
    maxAgeDays: 90,
    ...o,
  });

describe('parseTokenExpiration', () => {
  it.each([
    ['2026-12-01 12:00:00 UTC', '2026-12-01T12:00:00.000Z'],
    ['2026-12-01 04:00:00 -0800', '2026-12-01T12:00:00.000Z'],
    ['2026-12-01 13:00:00 +01:00', '2026-12-01T12:00:00.000Z'],
    ['2026-12-01T12:00:00Z', '2026-12-01T12:00:00.000Z'],
    ['2026-12-01 12:00:00', '2026-12-01T12:00:00.000Z'],
  ])('%s', (header, iso) => expect(parseTokenExpiration(header)?.toISOString()).toBe(iso));
  it.each(['', 'tomorrow', '2026-13-01 00:00:00 UTC', '2026-12-01'])('refuses %j', (h) =>
    expect(parseTokenExpiration(h)).toBeUndefined(),
  );
});

describe('parseRotatedAt', () => {
  it.each([
    ['2026-08-01', '2026-08-01T00:00:00.000Z'],
    ['2026-08-01T10:00:00Z', '2026-08-01T10:00:00.000Z'],
    ['2026-08-01T12:00:00+02:00', '2026-08-01T10:00:00.000Z'],
  ])('%s', (v, iso) => expect(parseRotatedAt(v)?.toISOString()).toBe(iso));
  it.each(['2026-08-01T10:00:00', 'last week', '2026-02-30x'])('refuses %j', (v) =>
    expect(parseRotatedAt(v)).toBeUndefined(),
  );
});

describe('decideTokenAudit', () => {
  it.each([
    ['no header, no rotation date', {}, [], undefined],
    ['expiry far away', { expirationHeader: '2027-06-01 00:00:00 UTC' }, [], 186],
    [
      'expiry within warn days',
      { expirationHeader: '2026-12-05 12:00:00 UTC' },
      ['dispatch-token-expiring'],
      9,
    ],
    [
      'expiry exactly at warn days',
      { expirationHeader: '2026-12-10 12:00:00 UTC' },
      ['dispatch-token-expiring'],
      14,
    ],
    ['already expired', { expirationHeader: '2026-11-20 12:00:00 UTC' }, ['dispatch-token-expiring'], -6],
    ['warn days 0', { expirationHeader: '2026-12-05 12:00:00 UTC', warnDays: 0 }, [], 9],
    ['rotation overdue', { rotatedAt: '2026-08-01' }, ['dispatch-token-rotation-overdue'], undefined],
    ['rotation fresh', { rotatedAt: '2026-10-01' }, [], undefined],
    [
      'both',
      { expirationHeader: '2026-11-30 12:00:00 UTC', rotatedAt: '2026-01-01' },
      ['dispatch-token-expiring', 'dispatch-token-rotation-overdue'],
      4,
    ],
  ] as const)('%s', (_name, o, flags, days) => {
    const a = audit(o);
    expect(a.flags).toEqual(flags);
    expect(a.daysToExpiry).toBe(days);
  });

  it('reports age and rotation date in RFC 3339', () => {
    const a = audit({ rotatedAt: '2026-08-01' });
    expect(a).toMatchObject({ rotatedAt: '2026-08-01T00:00:00Z', ageDays: 117 });
  });

  it('warns on an unreadable header instead of failing', () => {
    const a = audit({ expirationHeader: 'soon' });
    expect(a.expiresAt).toBeUndefined();
    expect(a.warnings).toHaveLength(1);
  });

  it('refuses a rotation date that is not a date or lies in the future (USAGE_INVALID_FLAG)', () => {
    expect(() => audit({ rotatedAt: 'yesterday' })).toThrowCode('USAGE_INVALID_FLAG');
    expect(() => audit({ rotatedAt: '2027-01-01' })).toThrowCode('USAGE_INVALID_FLAG');
  });
});

// mutation audit (nineteenth session): each case failed a mutant, or the bug, that the cases above
// let through
describe('token audit edges', () => {
  it('a day the calendar lacks is no date: not rolled over into the next month (the bug)', () => {
    expect(parseRotatedAt('2026-02-30')).toBeUndefined();
    expect(parseRotatedAt('2026-02-29T10:00:00Z')).toBeUndefined();
    expect(parseRotatedAt('2026-04-31T10:00:00+02:00')).toBeUndefined();
    expect(parseRotatedAt('2024-02-29')?.toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(parseTokenExpiration('2026-02-30 12:00:00 UTC')).toBeUndefined();
    expect(parseTokenExpiration('2026-06-31 12:00:00 -0800')).toBeUndefined();
    expect(() => audit({ rotatedAt: '2026-09-31' })).toThrowCode('USAGE_INVALID_FLAG');
    const a = audit({ expirationHeader: '2026-11-31 12:00:00 UTC' });
    expect(a).toMatchObject({ expiresAt: undefined, flags: [] });
    expect(a.warnings).toHaveLength(1);
  });

  it('refuses a header with text after its zone', () => {
    expect(parseTokenExpiration('2026-12-01 12:00:00 UTC tomorrow')).toBeUndefined();
    expect(parseTokenExpiration('2026-12-01 12:00:00 +01:00x')).toBeUndefined();
  });

  it('reads the zone name in any letter case', () => {
    expect(parseTokenExpiration('2026-12-01 12:00:00 utc')?.toISOString()).toBe('2026-12-01T12:00:00.000Z');
    expect(parseTokenExpiration('2026-12-01 12:00:00 gmt')?.toISOString()).toBe('2026-12-01T12:00:00.000Z');
  });

  it('an empty header or rotation date (an unset repository variable) is no value, no warning, no error', () => {
    expect(audit({ expirationHeader: ' ', rotatedAt: '' })).toEqual({
      expiresAt: undefined,
      daysToExpiry: undefined,
      rotatedAt: undefined,
      ageDays: undefined,
      flags: [],
      warnings: [],
    });
  });

  it('whole days to expiry round down: expired 12 hours ago is -1, not 0', () => {
    expect(audit({ expirationHeader: '2026-11-26 00:00:00 UTC' }).daysToExpiry).toBe(-1);
  });

  it('rotated just now is age 0; overdue only past max-age-days, not at it', () => {
    expect(audit({ rotatedAt: '2026-11-26T12:00:00Z' })).toMatchObject({ ageDays: 0, flags: [] });
    expect(audit({ rotatedAt: '2026-08-28T12:00:00Z' })).toMatchObject({ ageDays: 90, flags: [] });
    expect(audit({ rotatedAt: '2026-08-28T11:59:59Z' })).toMatchObject({
      ageDays: 90,
      flags: [],
    });
    expect(audit({ rotatedAt: '2026-08-27T12:00:00Z' })).toMatchObject({
      ageDays: 91,
      flags: ['dispatch-token-rotation-overdue'],
    });
  });
});
