// A small ledger with hand-computed KPIs (DESIGN.md §5), shared by the unit tests of the pure
// reference and the integration tests of the SQL on PGlite and Postgres.
import type { LedgerEntry } from '../../src/core/ledger/entry.js';

const sha = (n: number): string => n.toString(16).padStart(40, '0');

export const kpiFixtureEntries: readonly LedgerEntry[] = [
  {
    run_id: 99,
    tag: 'v0.9.0',
    sha: sha(99),
    artifact_url: null,
    actor: 'alice',
    timestamp: '2025-11-23T08:00:00Z',
    status: 'failure',
    failure_reason: 'build failed',
    metrics: { lock_wait_s: 100 },
  },
  {
    run_id: 101,
    tag: 'v1.0.0',
    sha: sha(101),
    artifact_url: 'https://example.com/v1.0.0.tgz',
    actor: 'alice',
    timestamp: '2025-11-24T10:00:00Z',
    status: 'success',
    governance_flag: 'validated',
    release_url: 'https://example.com/releases/v1.0.0',
    provenance: {
      digest: `sha256:${'a'.repeat(64)}`,
      predicate_type: 'https://slsa.dev/provenance/v1',
      builder_id: 'https://github.com/org/repo/.github/workflows/provenance.yml@refs/heads/main',
      subjects: [{ name: 'v1.0.0.tgz', sha256: 'b'.repeat(64) }],
    },
    validation: { status: 'passed', validated_at: '2025-11-24T11:00:00Z', validator_run_id: 501 },
    metrics: {
      dispatch_token_rotated_at: '2025-11-01T00:00:00Z',
      dispatch_token_expires_at: '2025-12-01T00:00:00Z',
      artifact_upload_latency_s: 10,
      lock_wait_s: 1,
      notify: { attempts: 2, delivered: 2 },
    },
  },
  {
    run_id: 102,
    tag: 'v1.0.1',
    sha: sha(102),
    artifact_url: null,
    actor: 'bob',
    timestamp: '2025-11-24T12:00:00Z',
    status: 'failure',
    governance_flag: 'artifact-missing',
    failure_reason: 'upload timed out',
    metrics: { lock_wait_s: 3, notify: { attempts: 3, delivered: 1 } },
  },
  {
    run_id: 103,
    tag: 'v1.0.2',
    sha: sha(103),
    artifact_url: 'https://example.com/v1.0.2.tgz',
    actor: 'bob',
    timestamp: '2025-11-25T09:00:00Z',
    status: 'success',
    governance_flag: 'artifact-missing',
    validation: { status: 'failed', validated_at: '2025-11-25T10:00:00Z', reason: 'digest mismatch' },
    metrics: {
      dispatch_token_rotated_at: '2025-11-20T00:00:00Z',
      dispatch_token_expires_at: '2025-12-20T00:00:00Z',
      artifact_upload_latency_s: 20,
      lock_wait_s: 2,
    },
  },
  {
    run_id: 104,
    tag: 'v1.0.3',
    sha: sha(104),
    artifact_url: 'https://example.com/v1.0.3.tgz',
    actor: 'carol',
    timestamp: '2025-11-25T18:30:00Z',
    status: 'success',
    governance_flag: 'validated',
    validation: { status: 'passed', validated_at: '2025-11-25T19:00:00Z' },
    metrics: { artifact_upload_latency_s: 30, lock_wait_s: 4, notify: { attempts: 1, delivered: 1 } },
  },
  {
    run_id: 105,
    tag: 'v1.0.4',
    sha: sha(105),
    artifact_url: 'https://example.com/v1.0.4.tgz',
    actor: 'carol',
    timestamp: '2025-11-25T23:59:59Z',
    status: 'success',
  },
];

export const kpiFixtureWindow = { since: '2025-11-24T00:00:00.000Z', until: '2025-11-26T00:00:00.000Z' };
export const kpiFixtureNow = new Date('2025-11-30T00:00:00Z');

/** The hand-computed values over the window (lag and manifest hashes depend on the run). */
export const kpiFixtureExpected = {
  entries: 5,
  entries_per_day: { '2025-11-24': 2, '2025-11-25': 3 },
  failure_rate: 0.2, // 102
  missing_artifact_rate: 0.4, // 102 (null url), 103 (flag)
  validated_rate: 0.4, // 101, 104
  notification_success_ratio: 0.666667, // (2+1+1)/(2+3+1)
  lock_wait_s: { p50: 2.5, p95: 3.85 }, // [1,2,3,4]
  artifact_upload_latency_s: { p50: 20, p95: 29 }, // [10,20,30]
  dispatch_token_rotated_at: '2025-11-20T00:00:00.000Z',
  dispatch_token_expires_at: '2025-12-20T00:00:00.000Z',
  dispatch_token_age_days: 10,
  dispatch_token_days_to_expiry: 20,
} as const;
