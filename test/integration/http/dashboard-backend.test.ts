// `/api/kpi` on a backend with and without `kpisWithAggregates` (the database's one read of the
// report and its charts): the same JSON either way, and only the one read when a backend has it.
import { describe, expect, it } from 'vitest';
import { createDashboardHandler, headlineFromKpis, type DashboardBackend } from '../../../src/app/serve.js';
import { computeKpis, type KpiWindow } from '../../../src/core/kpi/kpi.js';
import type { DashboardAggregates } from '../../../src/io/runs-query.js';

const now = new Date('2026-12-04T09:00:00.000Z');
const charts: DashboardAggregates = {
  daily: [
    { day: '2026-12-01', success: 3, failure: 1, missingArtifact: 1, validated: 2, lagP95S: 4.5 },
    { day: '2026-12-03', success: 5, failure: 0, missingArtifact: 0, validated: 5, lagP95S: null },
  ],
  statusCounts: [
    { label: 'success', count: 8 },
    { label: 'failure', count: 1 },
  ],
  flagCounts: [
    { label: 'provenance-ready', count: 8 },
    { label: null, count: 1 },
  ],
};

function backend(calls: string[], oneRead: boolean): DashboardBackend {
  const report = (window: KpiWindow) => computeKpis([], window, { now });
  const unused = () => Promise.reject(new Error('not read by /api/kpi'));
  return {
    kpis(window) {
      calls.push('kpis');
      const metrics = report(window);
      return Promise.resolve({ metrics, headline: headlineFromKpis(metrics) });
    },
    aggregates() {
      calls.push('aggregates');
      return Promise.resolve(charts);
    },
    ...(oneRead
      ? {
          kpisWithAggregates(window: KpiWindow) {
            calls.push('kpisWithAggregates');
            const metrics = report(window);
            return Promise.resolve({ metrics, headline: headlineFromKpis(metrics), aggregates: charts });
          },
        }
      : {}),
    runs: unused,
    run: unused,
    manifests: unused,
    ping: () => Promise.resolve(),
  };
}

async function getKpi(b: DashboardBackend): Promise<{ status: number; body: unknown }> {
  const handler = createDashboardHandler({
    backend: b,
    assets: new Map(),
    boundHost: '127.0.0.1',
    clock: { now: () => now },
    logger: { debug() {}, info() {}, warn() {}, progress() {}, progressDone() {} },
  });
  const response = await handler({
    method: 'GET',
    path: '/api/kpi',
    query: [['since', '7d']],
    headers: { host: '127.0.0.1:8080' },
  });
  return { status: response.status, body: JSON.parse(String(response.body)) as unknown };
}

describe('/api/kpi and the backend', () => {
  it('reads the report and the charts once through kpisWithAggregates, with the same JSON', async () => {
    const sideBySide: string[] = [];
    const oneRead: string[] = [];
    const before = await getKpi(backend(sideBySide, false));
    const after = await getKpi(backend(oneRead, true));
    expect(sideBySide.sort()).toEqual(['aggregates', 'kpis']);
    expect(oneRead).toEqual(['kpisWithAggregates']);
    expect(before.status).toBe(200);
    expect(after).toEqual(before);
    // the charts made it into the page's view: the series of the window's days
    const view = (after.body as { view: { series: { entries_success: number[] } } }).view;
    expect(view.series.entries_success).toEqual([0, 0, 0, 0, 3, 0, 5, 0]);
  });
});
