import { describe, expect, it } from 'vitest';
import { parseWindowBound, resolveKpiWindow } from './window.js';

const now = new Date('2025-11-30T12:00:00Z');

describe('parseWindowBound', () => {
  it.each([
    ['since', '2025-11-01', '2025-11-01T00:00:00.000Z'],
    ['until', '2025-11-01', '2025-11-02T00:00:00.000Z'],
    ['since', '2025-11-01T10:20:30Z', '2025-11-01T10:20:30.000Z'],
    ['until', '2025-11-01T10:20:30.5+02:00', '2025-11-01T08:20:30.500Z'],
    ['since', '7d', '2025-11-23T12:00:00.000Z'],
    ['since', '12h', '2025-11-30T00:00:00.000Z'],
  ] as const)('%s %s -> %s', (flag, raw, expected) => {
    expect(parseWindowBound(flag, raw, now)).toBe(expected);
  });

  it.each([
    '2025-02-30',
    'yesterday',
    '2025-11-01 10:00',
    '1w',
    '',
    '2025-13-01T00:00:00Z',
    '2025-02-30T00:00:00Z',
  ])('refuses %j', (raw) => {
    expect(() => parseWindowBound('since', raw, now)).toThrowCode('KPI_WINDOW_INVALID');
  });

  // PostgreSQL refuses year 0000 and the six-digit years toISOString writes past 9999: such a bound
  // reached the database and came back from `serve` as a 503 `DB_INPUT_REJECTED`
  it.each([
    ['until', '9999-12-31'],
    ['until', '9999-12-31T23:00:00-14:00'],
    ['since', '0000-01-01T10:00:00Z'],
    ['since', '0001-01-01T00:30:00+01:00'],
  ] as const)('refuses %s %j, outside the years 0001 to 9999', (flag, raw) => {
    expect(() => parseWindowBound(flag, raw, now)).toThrowCode('KPI_WINDOW_INVALID');
  });

  it.each([
    ['until', '9999-12-30', '9999-12-31T00:00:00.000Z'],
    ['since', '9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
    ['since', '0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
  ] as const)('takes %s %j, at the edges of that range', (flag, raw, expected) => {
    expect(parseWindowBound(flag, raw, now)).toBe(expected);
  });

  // Date.UTC reads the years 0 to 99 as 1900 to 1999: those dates were refused as not real days
  it.each([
    ['since', '0001-01-01', '0001-01-01T00:00:00.000Z'],
    ['since', '0099-12-31', '0099-12-31T00:00:00.000Z'],
    ['until', '0050-06-15', '0050-06-16T00:00:00.000Z'],
    ['since', '0004-02-29', '0004-02-29T00:00:00.000Z'],
    ['since', '0004-02-29T12:00:00Z', '0004-02-29T12:00:00.000Z'],
    ['since', '0100-01-01', '0100-01-01T00:00:00.000Z'],
  ] as const)('takes %s %j, a year below 100', (flag, raw, expected) => {
    expect(parseWindowBound(flag, raw, now)).toBe(expected);
  });

  it('still refuses a day that is not real in a year below 100', () => {
    expect(() => parseWindowBound('since', '0003-02-29', now)).toThrowCode('KPI_WINDOW_INVALID');
    expect(() => parseWindowBound('since', '0003-02-29T00:00:00Z', now)).toThrowCode('KPI_WINDOW_INVALID');
  });
});

describe('resolveKpiWindow', () => {
  it('defaults to the 30 days up to now', () => {
    expect(resolveKpiWindow({}, now)).toEqual({
      since: '2025-10-31T12:00:00.000Z',
      until: '2025-11-30T12:00:00.000Z',
    });
  });
  it('defaults since to 30 days before a given until', () => {
    expect(resolveKpiWindow({ until: '2025-10-31' }, now).since).toBe('2025-10-02T00:00:00.000Z');
  });
  it('refuses an empty window', () => {
    expect(() => resolveKpiWindow({ since: '2025-11-02', until: '2025-11-01' }, now)).toThrowCode(
      'KPI_WINDOW_INVALID',
    );
  });
});

// mutation audit (nineteenth session): each case failed a mutant the cases above let through
describe('parseWindowBound, the edges of each form', () => {
  it('takes a bound with blanks around it', () => {
    expect(parseWindowBound('since', ' 7d ', now)).toBe('2025-11-23T12:00:00.000Z');
    expect(parseWindowBound('until', '\t2025-11-01 ', now)).toBe('2025-11-02T00:00:00.000Z');
  });

  it.each(['2025-11-01T10:00:00', '2025-11-01T10:00', '7dx', '7d ago', '12hours'])(
    'refuses %j (a time needs its zone; an age is digits and d or h, nothing after)',
    (raw) => {
      expect(() => parseWindowBound('since', raw, now)).toThrowCode('KPI_WINDOW_INVALID');
    },
  );

  it('refuses a window whose since equals its until', () => {
    expect(() =>
      resolveKpiWindow({ since: '2025-11-01T00:00:00Z', until: '2025-11-01T00:00:00Z' }, now),
    ).toThrowCode('KPI_WINDOW_INVALID');
  });
});
