// What a ledger's pusher writes reaches the API: its answers stay bounded whatever the data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEntry, type LedgerEntry } from '../../../src/core/ledger/entry.js';
import { maxBreakdownRows } from '../../../src/core/dashboard/view-model.js';
import { assertPostgresInCi, hasPostgres } from '../../support/postgres.js';
import { engines, send, startServe } from './support.js';

await assertPostgresInCi();
const withPostgres = await hasPostgres();

/** `n` runs of the last day, each with a governance flag of its own (any kebab-case text is a flag). */
function distinctFlags(n: number): LedgerEntry[] {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) =>
    parseEntry({
      run_id: 7_000 + i,
      tag: `v9.0.${i}`,
      sha: 'c'.repeat(40),
      artifact_url: 'https://example.com/a.tgz',
      actor: 'pusher',
      timestamp: `${new Date(now - 3_600_000 - i * 60_000).toISOString().slice(0, 19)}Z`,
      status: 'success',
      governance_flag: i < 10 ? 'validated' : `pushed-flag-${i}`,
      release_url: 'https://example.com/r',
    }),
  );
}

describe.each(engines(withPostgres))('hostile ledger data on $name', ({ name, skip }) => {
  const runs = distinctFlags(80);
  let base = '';
  let close: () => Promise<void> = () => Promise.resolve();

  beforeAll(async () => {
    if (skip) return;
    const started = await startServe(name, { entries: runs });
    base = started.server.url;
    close = () => started.close();
  });
  afterAll(() => close());

  // before: one breakdown row (and one bar in the page) per distinct flag, so a pusher who wrote a
  // flag per run made every page load carry every run (2 MB of JSON at 20,000 runs)
  it.skipIf(skip)('the flag breakdown is at most maxBreakdownRows rows; the rest is one row', async () => {
    const r = await send(base, '/api/kpi');
    expect(r.status).toBe(200);
    const rows = r.json.view.breakdown.governance_flag as { label: string; count: number }[];
    expect(rows).toHaveLength(maxBreakdownRows);
    expect(rows[0]).toMatchObject({ label: 'validated', count: 10 });
    expect(rows.at(-1)!.label).toBe(`(${70 - (maxBreakdownRows - 2)} others)`);
    expect(rows.reduce((n, row) => n + row.count, 0)).toBe(runs.length);
  });
});
