// What the read probes (kpi-beside.js, api-kpi-parts.js) share: a silent logger, the load average,
// and a client whose transactions' queryables are replaced by `wrap(tx)` (to time statements, or to
// take `beside` away); the tests' own copy is test/support/db-wrap.ts (TypeScript, not run here).
import { readFileSync } from 'node:fs';

export const silent = { debug() {}, info() {}, warn() {}, error() {} };

export const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

export function wrapTransactions(db, wrap) {
  return {
    engine: db.engine,
    role: db.role,
    target: db.target,
    close: () => db.close(),
    query: (sql, params) => db.query(sql, params),
    exec: (sql) => db.exec(sql),
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
  };
}
