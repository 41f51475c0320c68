// What one run costs the server in the ingest function, and what each part of it costs
// (docs/database.md "Organisation scale", fourteenth session). One repository's worth of the org
// bench's entries (PROBE_RUNS, default 10,000) goes through slsa_ingest_batch in batches of 5,000
// inside one transaction that is rolled back, so the database is left as it was; per variant the
// server process's CPU (from /proc/<pid>/stat: the server must run on this machine) and, for the
// first, the functions' times (track_functions). Variants drop indexes or disable the insert
// triggers inside that transaction; after one warm-up, each runs ROUNDS times (default 2), alternated.
//   node bench/probe/ingest-costs.js <database>   (postgres@127.0.0.1:5432, migrated, as its owner)
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { item } from '../database-org.js';

const db = process.argv[2];
if (db === undefined) throw new Error('usage: node bench/probe/ingest-costs.js <database>');
const N = Number(process.env.PROBE_RUNS ?? 10_000);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const BATCH = 5_000;
const COMMIT = 'b'.repeat(40);

const FINE = ['lag', 'lock_wait', 'notify_latency', 'upload_latency'].map(
  (m) => `index slsa_runs_${m}_fine_idx`,
);
const TRIGGERS = ['slsa_runs_kpi_insert', 'slsa_runs_kpi_fine_insert', 'slsa_runs_kpi_insert_hours'].map(
  (t) => `trigger ${t}`,
);
const variants = [
  { label: 'as migrated', off: [] },
  { label: 'without the four fine-bucket indexes', off: FINE },
  { label: 'without the rollup triggers', off: TRIGGERS },
  { label: 'without any secondary index or trigger', off: ['secondary indexes', ...TRIGGERS] },
];

/** user + system CPU of a process in ms (clock ticks of 10 ms) */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:5432/${db}` });
await client.connect();
const now = Date.now();
const items = Array.from({ length: N }, (_, j) => item(901, j, now));
const pid = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;

async function turnOff(what) {
  if (what.startsWith('trigger ')) {
    await client.query(`ALTER TABLE public.slsa_runs DISABLE TRIGGER ${what.slice(8)}`);
  } else if (what.startsWith('index ')) {
    await client.query(`DROP INDEX public.${what.slice(6)}`);
  } else {
    const { rows } = await client.query(
      `SELECT i.indexrelid::regclass::text AS name FROM pg_index i
        WHERE i.indrelid = 'public.slsa_runs'::regclass AND NOT i.indisprimary`,
    );
    for (const row of rows) await client.query(`DROP INDEX ${row.name}`);
  }
}

async function measure(variant, functions) {
  await client.query('BEGIN');
  try {
    if (functions) await client.query("SET LOCAL track_functions = 'all'");
    for (const what of variant.off) await turnOff(what);
    const id = randomUUID();
    await client.query('SELECT public.slsa_ingest_batch($1::jsonb)', [
      JSON.stringify({
        op: 'begin',
        ingest_id: id,
        repository: 'acme/probe901',
        engine: 'postgres',
        to_commit: COMMIT,
      }),
    ]);
    const cpu0 = cpuMs(pid);
    const started = performance.now();
    for (let i = 0; i < N; i += BATCH) {
      const entries = items.slice(i, i + BATCH);
      await client.query('SELECT public.slsa_ingest_batch($1::jsonb)', [
        JSON.stringify({ op: 'upsert', ingest_id: id, entries }),
      ]);
    }
    const wall = performance.now() - started;
    const cpu = cpuMs(pid) - cpu0;
    const stats = functions
      ? (
          await client.query(
            `SELECT funcname, calls, total_time, self_time FROM pg_stat_xact_user_functions
              ORDER BY total_time DESC LIMIT 12`,
          )
        ).rows
      : [];
    return { wall, cpu, stats };
  } finally {
    await client.query('ROLLBACK');
  }
}

const us = (msTotal) => ((msTotal * 1000) / N).toFixed(0).padStart(4);
await measure(variants[0], false); // warm-up: the function's plans, the caches
console.log(`${N} runs of one repository, ${BATCH} a batch, rolled back; µs a run (server CPU, wall)`);
for (let round = 0; round < ROUNDS; round++) {
  for (const [k, variant] of variants.entries()) {
    const { wall, cpu, stats } = await measure(variant, round === 0 && k === 0);
    console.log(
      `${variant.label.padEnd(42)} cpu ${us(cpu)}  wall ${us(wall)}  (${Math.round((N / wall) * 1000)} rows/s)`,
    );
    for (const s of stats) {
      console.log(
        `    ${s.funcname.padEnd(34)} ${String(s.calls).padStart(6)} calls  total ${us(s.total_time)}  self ${us(s.self_time)}`,
      );
    }
  }
}
await client.end();
