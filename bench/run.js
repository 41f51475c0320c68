// npm run bench: runs every suite in bench/suites.js against the built dist/, prints a table and
// writes bench/results.json. Figures are ratios against a baseline measured in the same process and
// run (sha256sum, openssl, jq, psql \copy), never absolute timings asserted in tests.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { suites } from './suites.js';

const only = process.argv.slice(2);
const results = {
  generated_at: new Date().toISOString(),
  machine: {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model,
    node: process.version,
    memory_gib: Math.round(os.totalmem() / 2 ** 30),
  },
  suites: {},
};
// Suites not run this time keep their last figures (each with its own generated_at), so running one
// suite never discards another's results.
const resultsUrl = new URL('./results.json', import.meta.url);
const previous = existsSync(resultsUrl) ? JSON.parse(readFileSync(resultsUrl, 'utf8')) : { suites: {} };
for (const suite of suites) {
  if (only.length > 0 && !only.includes(suite.name)) continue;
  process.stderr.write(`\n== ${suite.name}\n`);
  const started = performance.now();
  try {
    const rows = await suite.run({ log: (m) => process.stderr.write(`   ${m}\n`) });
    results.suites[suite.name] = {
      ok: true,
      generated_at: new Date().toISOString(),
      scale: process.env.BENCH_SCALE ?? 'full',
      seconds: (performance.now() - started) / 1000,
      rows,
    };
  } catch (error) {
    results.suites[suite.name] = { ok: false, error: String(error?.stack ?? error) };
    process.stderr.write(`   FAILED: ${error?.stack ?? error}\n`);
  }
}
const ran = Object.keys(results.suites);
for (const [name, s] of Object.entries(previous.suites ?? {}))
  if (!ran.includes(name)) results.suites[name] = s;
writeFileSync(resultsUrl, `${JSON.stringify(results, null, 2)}\n`);
for (const [name, s] of Object.entries(results.suites)) {
  if (!ran.includes(name)) continue;
  console.log(`\n${name}${s.ok ? '' : ' (FAILED)'}`);
  if (!s.ok) continue;
  const rows = s.rows;
  const w = Math.max(...rows.map((r) => r.metric.length)) + 2;
  for (const r of rows) {
    const goal = r.goal ? `  goal ${r.goal}${r.met === undefined ? '' : r.met ? ' ✓' : ' ✗'}` : '';
    console.log(`  ${r.metric.padEnd(w)}${String(r.value).padStart(14)} ${r.unit ?? ''}${goal}`);
  }
}
console.log('\nwritten: bench/results.json');
