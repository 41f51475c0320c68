// One repository of the org bench's entries (BENCH_ORG_RUNS of them, default 10,000) through
// slsa_ingest_batch in batches of 5,000, as `ingest` writes them; prints rows/s. Used on copies of a
// bench database with triggers or indexes removed to see what each costs (docs/database.md
// "Organisation scale", fifth session):
//   createdb -T <built> copy && BENCH_ORG_RUNS=10000 node bench/probe/ingest-one.js copy [repository number]
import { randomUUID } from 'node:crypto';
import { item } from '../database-org.js';
import { openDatabase } from '../../dist/io/db.js';
import { createSqlIngestSink } from '../../dist/io/ingest-sink.js';

const db = process.argv[2];
if (db === undefined) throw new Error('usage: node bench/probe/ingest-one.js <database> [repository number]');
const r = Number(process.argv[3] ?? 500);
const M = Number(process.env.BENCH_ORG_RUNS ?? 10_000);
const sink = createSqlIngestSink(
  await openDatabase({ databaseUrl: `postgres://postgres@127.0.0.1:5432/${db}`, role: 'ingest' }),
);
const now = Date.now();
const id = randomUUID();
const commit = 'b'.repeat(40);
const started = performance.now();
await sink.begin({ ingest_id: id, repository: `acme/probe${r}`, engine: 'postgres', to_commit: commit });
for (let i = 0; i < M; i += 5000) {
  const items = [];
  for (let j = i; j < Math.min(M, i + 5000); j++) items.push(item(r, j, now));
  const counts = await sink.upsert(id, items);
  if (counts.failed.length > 0) throw new Error(JSON.stringify(counts.failed[0]));
}
await sink.finish({ ingest_id: id, status: 'succeeded', entries_failed: 0, watermark: commit });
const seconds = (performance.now() - started) / 1000;
console.log(`${db}: ${M} runs in ${seconds.toFixed(2)} s = ${Math.round(M / seconds)} rows/s`);
await sink.close();
