// What a ledger's pusher writes reaches the API: its answers stay bounded whatever the data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEntry, type LedgerEntry } from '../../../src/core/ledger/entry.js';
import { maxBreakdownRows } from '../../../src/core/dashboard/view-model.js';
import { maxAuditRecords } from '../../../src/io/runs-query.js';
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
    // the audit log of a run a pusher rewrote before each of 1,005 scheduled ingests
    const target = runs[0]!;
    const started = await startServe(name, {
      entries: runs,
      prepare: (db) =>
        db
          .query(
            `INSERT INTO public.provenance_audit_log (repository, tag, run_id, action, changed_at, metadata)
             SELECT (SELECT repository FROM public.slsa_runs WHERE tag = $1 AND run_id = $2), $1, $2, 'update', now() + g * interval '1 second',
                    jsonb_build_object('changed_fields', jsonb_build_array('timestamp', g::text))
               FROM generate_series(1, 1005) AS g`,
            [target.tag, target.run_id],
          )
          .then(() => undefined),
    });
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

  // before: every change the run ever had, however many (8,640 a day at --ingest-every 10s)
  it.skipIf(skip)('a run view lists its latest maxAuditRecords changes and says there are more', async () => {
    const target = runs[0]!;
    const r = await send(base, `/api/runs/${encodeURIComponent(target.tag)}/${target.run_id}`);
    expect(r.status).toBe(200);
    const log = r.json.audit_log as { action: string; changed_fields: string[] }[];
    expect(log).toHaveLength(maxAuditRecords);
    expect(r.json.audit_log_truncated).toBe(true);
    // the latest, oldest first: the ingest's insert and the first updates are the ones left out
    expect(log.at(-1)!.changed_fields).toEqual(['timestamp', '1005']);
    expect(log[0]!.changed_fields).toEqual(['timestamp', String(1005 - maxAuditRecords + 1)]);
    const other = runs[1]!;
    const plain = await send(base, `/api/runs/${encodeURIComponent(other.tag)}/${other.run_id}`);
    expect(plain.json.audit_log).toEqual([expect.objectContaining({ action: 'insert' })]);
    expect(plain.json.audit_log_truncated).toBe(false);
  });
});
