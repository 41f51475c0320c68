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
