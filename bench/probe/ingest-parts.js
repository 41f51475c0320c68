// Times pieces of the ingest function's per-run work alone (docs/database.md "Organisation scale",
// fifth session): one 5,000-entry batch of the org bench's entries sent to the server and taken apart
// by single statements, µs a run (eight rounds after one warm-up). Reads only.
//   node bench/probe/ingest-parts.js <database>   (postgres@127.0.0.1:5432, migrated)
import pg from 'pg';
import { item } from '../database-org.js';

const db = process.argv[2];
if (db === undefined) throw new Error('usage: node bench/probe/ingest-parts.js <database>');
const c = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:5432/${db}` });
await c.connect();
const now = Date.now();
const items = [];
for (let j = 0; j < 5000; j++) items.push(item(777, j, now));
const batch = JSON.stringify({ entries: items });
const elements = `jsonb_array_elements($1::jsonb->'entries') x`;
async function time(label, sql) {
  await c.query(sql, [batch]);
  const started = performance.now();
  for (let i = 0; i < 8; i++) await c.query(sql, [batch]);
  console.log(label.padEnd(44), (((performance.now() - started) / 8 / 5000) * 1000).toFixed(1), 'µs a run');
}
await time('send the batch as text', 'SELECT length($1::text)');
await time('+ parse into jsonb, split into entries', `SELECT count(*) FROM ${elements}`);
await time(
  '+ shape the columns',
  `SELECT count(*) FROM (SELECT (x->'entry'->>'timestamp')::timestamptz, (x->'entry'->'metrics'->>'lock_wait_s')::float8, x->'entry'->>'tag', x->'entry'->'provenance' FROM ${elements}) s`,
);
await time(
  '+ sha256 of the entry text',
  `SELECT count(encode(sha256(convert_to((x->'entry')::text, 'UTF8')), 'hex')) FROM ${elements}`,
);
await time(
  '+ the entry schema check',
  `SELECT count(public.slsa_entry_problem(x->'entry')) FROM ${elements}`,
);
await c.end();
