import type { LedgerEntry } from '../../src/core/ledger/entry.js';

/** A valid entry; override any field. */
export function makeEntry(overrides: Record<string, unknown> = {}): LedgerEntry {
  return {
    run_id: 101,
    tag: 'v1.2.3',
    sha: 'a'.repeat(40),
    artifact_url: 'https://github.com/o/r/releases/download/v1.2.3/app.tgz',
    actor: 'release-bot',
    timestamp: '2025-11-24T10:00:00Z',
    status: 'success',
    ...overrides,
  };
}
