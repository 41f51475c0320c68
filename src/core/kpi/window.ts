// `--since` / `--until` -> a KPI window. A date alone means the start of that UTC day for `since`
// and the end of it for `until` (so `--until 2025-11-30` includes the 30th); `7d` / `12h` count back
// from `now`. Default: the 30 days up to `now`.
import { SlsaLedgerError } from '../../errors.js';
import type { KpiWindow } from './kpi.js';

export const DEFAULT_WINDOW_DAYS = 30;

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const RELATIVE_RE = /^(\d{1,5})([dh])$/;
// The instants a bound may name: years 0001 to 9999. Outside them `toISOString` writes a six-digit
// year (`+010000-01-01…`, which `until=9999-12-31` gives) or year 0000, and PostgreSQL refuses both:
// a bad request would reach the database and come back as its error instead of the caller's.
const MIN_BOUND_MS = Date.parse('0001-01-01T00:00:00.000Z');
const MAX_BOUND_MS = Date.parse('9999-12-31T23:59:59.999Z');

function invalid(flag: string, raw: string): SlsaLedgerError {
  return new SlsaLedgerError(
    'KPI_WINDOW_INVALID',
    `--${flag} takes a date (2025-11-24), a time (2025-11-24T10:00:00Z) or an age (7d, 12h), got '${raw}'`,
    { details: { flag, value: raw } },
  );
}

/** One bound as an ISO instant (of the years 0001 to 9999). */
export function parseWindowBound(flag: 'since' | 'until', raw: string, now: Date): string {
  const t = parseBoundMs(flag, raw, now);
  if (!(t >= MIN_BOUND_MS && t <= MAX_BOUND_MS)) {
    throw new SlsaLedgerError(
      'KPI_WINDOW_INVALID',
      `--${flag} must name a time from 0001-01-01 to 9999-12-31T23:59:59.999Z, got '${raw.slice(0, 40)}'`,
      { details: { flag, value: raw.slice(0, 100) } },
    );
  }
  return new Date(t).toISOString();
}

/**
 * Midnight UTC of a day, any year: `Date.UTC` takes years 0 to 99 for 1900 to 1999, so the year is
 * set on its own (`setUTCFullYear` keeps it as given).
 */
function utcDay(year: number, month: number, day: number): Date {
  const t = new Date(0);
  t.setUTCFullYear(year, month - 1, day);
  return t;
}

function parseBoundMs(flag: 'since' | 'until', raw: string, now: Date): number {
  const value = raw.trim();
  const rel = RELATIVE_RE.exec(value);
  if (rel !== null) {
    const ms = Number(rel[1]) * (rel[2] === 'd' ? 86_400_000 : 3_600_000);
    return now.getTime() - ms;
  }
  const date = DATE_RE.exec(value);
  if (date !== null) {
    const [y, m, d] = [Number(date[1]), Number(date[2]), Number(date[3])];
    const t = utcDay(y, m, d);
    if (t.getUTCFullYear() !== y || t.getUTCMonth() !== m - 1 || t.getUTCDate() !== d)
      throw invalid(flag, raw);
    return t.getTime() + (flag === 'until' ? 86_400_000 : 0);
  }
  if (DATETIME_RE.test(value)) {
    const t = Date.parse(value);
    if (Number.isNaN(t)) throw invalid(flag, raw);
    const day = value.slice(0, 10);
    // Date.parse rolls 2025-02-30 over to March: refuse what is not a real day
    const check = DATE_RE.exec(day);
    if (check !== null) {
      const probe = utcDay(Number(check[1]), Number(check[2]), Number(check[3]));
      if (probe.getUTCDate() !== Number(check[3])) throw invalid(flag, raw);
    }
    return t;
  }
  throw invalid(flag, raw);
}

/**
 * The window for `kpi`: since <= entry timestamp < until.
 * @throws SlsaLedgerError `KPI_WINDOW_INVALID` for a bound that is not a date, time or age, or an empty window
 */
export function resolveKpiWindow(
  bounds: { readonly since?: string; readonly until?: string },
  now: Date,
): KpiWindow {
  const until = bounds.until === undefined ? now.toISOString() : parseWindowBound('until', bounds.until, now);
  const since =
    bounds.since === undefined
      ? new Date(Date.parse(until) - DEFAULT_WINDOW_DAYS * 86_400_000).toISOString()
      : parseWindowBound('since', bounds.since, now);
  if (Date.parse(since) >= Date.parse(until)) {
    throw new SlsaLedgerError('KPI_WINDOW_INVALID', `--since (${since}) must be before --until (${until})`, {
      details: { since, until },
    });
  }
  return { since, until };
}
