// Times the history replay of a first or --full ingest (`findLogRewrites`: check's streamed history
// audit, logs only) over a ledger built by ledger-history-build.mjs; prints ms, findings, peak RSS.
//   node bench/probe/ledger-history-replay.mjs DIR [REF=main]
import { execFileSync } from 'node:child_process';
const { findLogRewrites } = await import('../../dist/app/check-trust.js');
const [dir, ref = 'main'] = process.argv.slice(2);
if (dir === undefined) throw new Error('usage: node bench/probe/ledger-history-replay.mjs DIR [REF]');
const head = execFileSync('git', ['-C', dir, 'rev-parse', ref]).toString().trim();
const t0 = performance.now();
const found = await findLogRewrites(dir, head, 'docs/reports');
console.log(
  JSON.stringify({
    ms: Math.round(performance.now() - t0),
    findings: found.length,
    rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
);
