// A client whose transactions' queryables are replaced by `wrap(tx)` (to count or time statements,
// or to take `beside` away); everything else goes to `db` as it is.
import type { DbClient, DbQueryable } from '../../src/io/db.js';

export function wrapTransactions(db: DbClient, wrap: (tx: DbQueryable) => DbQueryable): DbClient {
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
