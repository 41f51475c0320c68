// Where `/api/kpi` spends its time (docs/database.md "Organisation scale", ninth session): each
// statement of the organisation's report and of the dashboard's charts timed on a warm reader (as
// `serve` keeps it), the Node side (the page's view, the JSON), and the whole request over HTTP.
// Median and p95 of ROUNDS rounds after one warm-up. Reads only. After `npm run build`:
//   node bench/probe/api-kpi-parts.js <database> [since, default 365d]   (postgres@127.0.0.1:5432)
//   PROBE_DIST=/path/to/other/dist ROUNDS=15 node bench/probe/api-kpi-parts.js …
import { load, silent, wrapTransactions } from './support.js';

// PROBE_DIST: another build's dist (e.g. main's, to compare; it may lack loadKpiReportWithCharts)
const dist = new URL(`${process.env.PROBE_DIST ?? '../../dist'}/`, import.meta.url);
const { loadKpiReport, loadKpiReportWithCharts, warmKpiReader } = await import(new URL('app/kpi.js', dist));
const { headlineFromKpis, serveDashboard } = await import(new URL('app/serve.js', dist));
const { buildDashboardView } = await import(new URL('core/dashboard/view-model.js', dist));
const { resolveKpiWindow } = await import(new URL('core/kpi/window.js', dist));
const { openDatabase } = await import(new URL('io/db.js', dist));
const { loadDashboardAggregates } = await import(new URL('io/runs-query.js', dist));
// serve's cache of answers per snapshot (twenty-eighth session; absent from older builds)
const { cacheBySnapshot } = await import(new URL('io/snapshot-cache.js', dist)).catch(() => ({}));

const name = process.argv[2];
if (name === undefined) throw new Error('usage: node bench/probe/api-kpi-parts.js <database> [since]');
const since = process.argv[3] ?? '365d';
const ROUNDS = Number(process.env.ROUNDS ?? 15);
const url = `postgres://postgres@127.0.0.1:5432/${name}`;

// every statement of a transaction timed, keyed by the function it serves and its order
const timings = new Map();
let label = '';
function timed(db) {
  return {
    ...db,
    ...wrapTransactions(db, (tx) => {
      let i = 0;
      return {
        exec: (sql) => tx.exec(sql),
        async query(sql, params) {
          const key = `${label} ${String(++i).padStart(2)} ${sql.replace(/\s+/g, ' ').trim().slice(0, 70)}`;
          const t = performance.now();
          const result = await tx.query(sql, params);
          const all = timings.get(key) ?? [];
          all.push(performance.now() - t);
          timings.set(key, all);
          return result;
        },
      };
    }),
  };
}

const stats = (all) => {
  const s = [...all].sort((a, b) => a - b);
  const at = (p) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
  return `median ${at(0.5).toFixed(1).padStart(6)}  p95 ${at(0.95).toFixed(1).padStart(6)}`;
};

async function rounds(what, fn) {
  await fn();
  timings.clear();
  const all = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t = performance.now();
    await fn();
    all.push(performance.now() - t);
  }
  console.log(`\n${what}: ${stats(all)} ms (load ${load()})`);
  for (const [key, t] of timings) console.log(`  ${stats(t)}  ${key}`);
}

const now = new Date();
const window = resolveKpiWindow({ since }, now);
const base = await openDatabase({
  databaseUrl: url,
  role: 'reader',
  warm: warmKpiReader({ now: () => now }, silent, [
    (r, w) => loadDashboardAggregates(r, w),
    ...(loadKpiReportWithCharts === undefined ? [] : [(r, w) => loadKpiReportWithCharts(r, w, now)]),
  ]),
});
const db = timed(base);
try {
  console.log(`${name}: organisation ${window.since} .. ${window.until}, ${ROUNDS} rounds`);
  await rounds('report alone (loadKpiReport)', async () => {
    label = 'report';
    await loadKpiReport(db, window, now);
  });
  await rounds('charts alone (loadDashboardAggregates)', async () => {
    label = 'charts';
    await loadDashboardAggregates(db, window);
  });
  await rounds('report and charts side by side (as /api/kpi reads them)', async () => {
    label = 'both';
    await Promise.all([loadKpiReport(db, window, now), loadDashboardAggregates(db, window)]);
  });
  if (loadKpiReportWithCharts !== undefined) {
    await rounds('report with its charts, one transaction (loadKpiReportWithCharts)', async () => {
      label = 'one';
      await loadKpiReportWithCharts(db, window, now);
    });
  }
  if (cacheBySnapshot !== undefined) {
    // as `serve` reads them: only the statements the cache could not answer reach the database
    const cached = cacheBySnapshot(db);
    await rounds(
      'report and charts side by side through the snapshot cache (only misses listed)',
      async () => {
        label = 'cached';
        // a request's window, as serve resolves it: `365d` moves with the clock, a time does not
        const at = new Date();
        const w = resolveKpiWindow({ since }, at);
        await Promise.all([loadKpiReport(cached, w, at), loadDashboardAggregates(cached, w)]);
      },
    );
    console.log(`  cache: ${JSON.stringify({ ...cached.cacheStats(), changes: undefined })}`);
  }
  const metrics = await loadKpiReport(base, window, now);
  const aggregates = await loadDashboardAggregates(base, window);
  await rounds('Node: the view and the JSON', async () => {
    const view = buildDashboardView({
      headline: headlineFromKpis(metrics),
      ...aggregates,
      window,
      repositories: metrics.repositories,
    });
    JSON.stringify({ window, metrics, view });
  });
} finally {
  await base.close();
}
const server = await serveDashboard({ databaseUrl: url, port: 0, logger: silent });
try {
  await rounds(`GET /api/kpi?since=${since}`, async () => {
    const res = await fetch(new URL(`/api/kpi?since=${since}`, server.url));
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
  });
} finally {
  await server.close();
}
