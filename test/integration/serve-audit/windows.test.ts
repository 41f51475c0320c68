// Windows the API cannot answer are the caller's mistake (400 DASHBOARD_PARAM_INVALID), never a
// database error (503 "database unavailable", which says "retry") nor a 200 over an inverted window.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertPostgresInCi, hasPostgres } from '../../support/postgres.js';
import { engines, send, startServe } from './support.js';

await assertPostgresInCi();
const withPostgres = await hasPostgres();

describe.each(engines(withPostgres))('request windows on $name', ({ name, skip }) => {
  let base = '';
  let close: () => Promise<void> = () => Promise.resolve();

  beforeAll(async () => {
    if (skip) return;
    const started = await startServe(name);
    base = started.server.url;
    close = () => started.close();
  });
  afterAll(() => close());

  // PostgreSQL refuses the year 10000 (`until=9999-12-31` ends at 10000-01-01) and year 0000: these
  // reached the database and were answered 503 DB_INPUT_REJECTED "database unavailable"
  it.skipIf(skip)('a bound outside the years 0001 to 9999 is 400, not a database failure', async () => {
    for (const path of [
      '/api/runs?until=9999-12-31',
      '/api/kpi?until=9999-12-31',
      '/api/manifests?until=9999-12-31',
      '/api/runs?since=0000-01-01T10:00:00Z',
      `/api/kpi?since=${encodeURIComponent('0001-01-01T00:30:00+01:00')}`,
      `/api/runs?until=${encodeURIComponent('9999-12-31T23:00:00-14:00')}`,
    ]) {
      const r = await send(base, path);
      expect(r.status, path).toBe(400);
      expect(r.json.error.code, path).toBe('DASHBOARD_PARAM_INVALID');
    }
    expect((await send(base, '/api/runs?until=9999-12-30')).status).toBe(200);
  });

  // `since` in the future and no `until`: the default `until` (now) left the window inverted, and
  // /api/kpi answered 200 with since after until; `kpi --since` refuses the same window
  it.skipIf(skip)('a window left empty by the default until is 400, as one given empty', async () => {
    for (const path of [
      '/api/kpi?since=9999-12-31',
      '/api/kpi?since=0h',
      '/api/manifests?since=9999-12-31',
    ]) {
      const r = await send(base, path);
      expect(r.status, path).toBe(400);
      expect(r.json.error).toMatchObject({ code: 'DASHBOARD_PARAM_INVALID', details: { param: 'since' } });
    }
    // /api/runs has no default until: a future since is a window with no runs yet, not an empty one
    const runs = await send(base, '/api/runs?since=9999-12-31');
    expect(runs.status).toBe(200);
    expect(runs.json.total).toBe(0);
  });
});
