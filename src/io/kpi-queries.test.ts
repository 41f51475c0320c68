import { describe, expect, it } from 'vitest';
import { wholeUtcMonths } from './kpi-queries.js';

describe('wholeUtcMonths', () => {
  it.each([
    ['2025-01-01T00:00:00.000Z', '2025-04-01T00:00:00.000Z', '2025-01-01', '2025-04-01'],
    ['2025-01-02T00:00:00.000Z', '2025-04-15T00:00:00.000Z', '2025-02-01', '2025-04-01'],
    // a window from the first years (kpi --since 0001-01-01): Date.UTC gave 1901 and 1950
    ['0001-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '0001-01-01', '2026-01-01'],
    ['0050-03-02T00:00:00.000Z', '0099-12-31T00:00:00.000Z', '0050-04-01', '0099-12-01'],
  ])('[%s, %s) -> [%s, %s)', (from, to, first, end) => {
    expect(wholeUtcMonths({ from, to })).toEqual({ first, end });
  });
});
