// A report read through one connection or two on one snapshot (DbQueryable.beside; docs/database.md
// "Two connections, one snapshot", thirty-second session): `loadKpiReport` as `kpi` sends it (the
// reader's own client, which gives a second connection) against the same client with `beside` taken
// away (every statement on one connection, as before), alternated round by round on one warm reader,
// for the bench's windows, the organisation and one repository. Median and p95 of ROUNDS rounds each,
// after one warm-up of each; the two reports are checked equal. Reads only. After `npm run build`:
//   node bench/probe/kpi-beside.js <database> [ROUNDS=21]   (postgres@127.0.0.1:5432)
import { loadKpiReport, warmKpiReader } from '../../dist/app/kpi.js';
import { resolveKpiWindow } from '../../dist/core/kpi/window.js';
import { openDatabase } from '../../dist/io/db.js';
import { isDeepStrictEqual } from 'node:util';
import { load, silent, wrapTransactions } from './support.js';

const name = process.argv[2];
if (name === undefined) throw new Error('usage: node bench/probe/kpi-beside.js <database>');
const ROUNDS = Number(process.env.ROUNDS ?? 21);
const url = `postgres://postgres@127.0.0.1:5432/${name}`;

// the same client, its transactions without `beside`: one connection, as before
const alone = (db) =>
  wrapTransactions(db, (tx) => ({
    query: (sql, params) => tx.query(sql, params),
    exec: (sql) => tx.exec(sql),
  }));

const stats = (all) => {
  const s = [...all].sort((a, b) => a - b);
  const at = (p) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
  return { median: at(0.5), p95: at(0.95) };
};
const fmt = (x) => x.toFixed(1).padStart(6);

const now = new Date();
const day = 86_400_000;
// the first run of the bench's organisation is a year before its build: a year from 00:05 of the
// first whole day 365 days ago, as bench/database-org.js's worst edge
const from0005 = new Date(Math.ceil((now - 365 * day) / day) * day + 5 * 60_000).toISOString();
const windows = [
  ['30 days', () => resolveKpiWindow({}, new Date())],
  ['a year (365d, now)', () => resolveKpiWindow({ since: '365d' }, new Date())],
  ['a year from 00:05', () => resolveKpiWindow({ since: from0005 }, new Date())],
];
// bench/database-org.js's repoName(7)
const scopes = [
  ['organisation', undefined],
  ['one repository', { repositories: ['acme/svc007'] }],
];

const reader = await openDatabase({
  databaseUrl: url,
  role: 'reader',
  warm: warmKpiReader({ now: () => now }, silent),
});
const one = alone(reader);
try {
  console.log(`${name}: ${ROUNDS} rounds each, alternated; load ${load()}`);
  console.log('                                         one connection        two on one snapshot');
  for (const [sLabel, scope] of scopes) {
    for (const [wLabel, windowAt] of windows) {
      const window = windowAt();
      const a = await loadKpiReport(one, window, now, scope);
      const b = await loadKpiReport(reader, window, now, scope);
      if (!isDeepStrictEqual(a, b)) throw new Error(`${sLabel}, ${wLabel}: the two reports differ`);
      const times = { one: [], two: [] };
      for (let i = 0; i < ROUNDS; i++) {
        for (const [k, db] of i % 2 === 0
          ? [
              ['one', one],
              ['two', reader],
            ]
          : [
              ['two', reader],
              ['one', one],
            ]) {
          const t = performance.now();
          await loadKpiReport(db, window, now, scope);
          times[k].push(performance.now() - t);
        }
      }
      const [x, y] = [stats(times.one), stats(times.two)];
      console.log(
        `${`${sLabel}, ${wLabel}`.padEnd(40)} median ${fmt(x.median)} p95 ${fmt(x.p95)}   median ${fmt(y.median)} p95 ${fmt(y.p95)}`,
      );
    }
  }
  console.log(`load ${load()}`);
} finally {
  await reader.close();
}
