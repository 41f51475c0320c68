import { runSigstoreBench } from './sigstore.js';
import { runDashboardBench } from './dashboard.js';
import { runAttestBench } from './attest.js';
import { runDatabaseBench } from './database.js';
import { runDatabaseOrgBench } from './database-org.js';
import { runIntegrationsBench } from './integrations.js';
import { runLedgerBench } from './ledger.js';
import { runLedgerTrustBench } from './ledger-trust.js';

// Each suite: { name, run({ log }) -> [{ metric, value, unit, goal?, met? }] }. Areas append theirs.
export const suites = [];

// Sigstore bundle verification: batch verify through the app layer vs @sigstore/verify directly.
suites.push({ name: 'sigstore', run: runSigstoreBench });

// Dashboard API p95 with 1,000,000 runs in PostgreSQL (BENCH_SCALE=small: 20,000).
suites.push({ name: 'dashboard', run: runDashboardBench });

// attest hashing vs openssl / sha256sum, key-signed verifications per second, --version start-up
// (BENCH_SCALE=small: 64 MiB and 4 × 16 MiB).
suites.push({ name: 'attest', run: runAttestBench });

// Database: ingest into PostgreSQL 15 vs psql \copy + the same upsert, PGlite rows/s, kpi and the
// KPI views p95 at 1,000,000 runs (BENCH_SCALE=small: 20,000).
suites.push({ name: 'database', run: runDatabaseBench });

// Organisation scale (issue 17): R repositories × M runs through slsa_ingest_batch, ingest vs the
// \copy + upsert baseline at that size, kpi and dashboard p95, size per million runs
// (BENCH_ORG_REPOS × BENCH_ORG_RUNS, default 100 × 100,000; BENCH_SCALE=small: 10 × 2,000).
suites.push({ name: 'database-org', run: runDatabaseOrgBench });

// Integrations: Slack delivery through notifyEvent vs a bare fetch, artifact download (302, unzip)
// vs a bare fetch, notification metrics over a large log (BENCH_SCALE=small: smaller counts).
suites.push({ name: 'integrations', run: runIntegrationsBench });

// Ledger: merge into a 10,000-entry day file vs jq (reduce + sort_by + pretty print, byte-compared),
// the full record vs jq + git, median record + push (BENCH_SCALE=small: 1,000 entries).
suites.push({ name: 'ledger', run: runLedgerBench });

// Ledger trust: the pure audit of 10,000 signed transitions (key mode ed25519 and P-256) vs a raw
// crypto.verify loop, and keyless transitions vs `verify` batch (BENCH_SCALE=small: 1,000 / 40).
suites.push({ name: 'ledger-trust', run: runLedgerTrustBench });
