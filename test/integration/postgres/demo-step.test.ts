// The demo's ingest + kpi step on a real ledger repository: embedded database in the demo dir,
// the KPIs printed, 'dbDir' left for the dashboard step.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { step } from '../../../src/app/demo-steps/ingest-kpi.js';
import { silentLogger } from '../../../src/core/ports.js';
import { createLedgerRepo } from '../../support/ledger-repo.js';

it('ingests the demo ledger into the demo directory and prints the KPIs', async () => {
  const repo = createLedgerRepo();
  const workDir = mkdtempSync(join(tmpdir(), 'slsa-demo-db-'));
  try {
    const now = new Date();
    const ts = `${now.toISOString().slice(0, 19)}Z`;
    repo.commit([
      {
        run_id: 7,
        tag: 'v0.0.1-demo',
        sha: 'e'.repeat(40),
        artifact_url: 'https://example.com/demo.tgz',
        actor: 'demo',
        timestamp: ts,
        status: 'success',
        metrics: { lock_wait_s: 0.5, notify: { attempts: 1, delivered: 1 } },
      },
    ]);
    const state = { workDir, values: new Map<string, unknown>([['remotePath', repo.dir]]) };
    const lines = await step.run({ state, logger: silentLogger, env: {}, serve: false });
    expect(state.values.get('dbDir')).toBe(join(workDir, 'db'));
    const text = lines.join('\n');
    expect(text).toContain('ingested 1 entries from 1 manifest file(s)');
    expect(text).toContain('0 changed (nothing new)');
    expect(text).toMatch(/entries\s+1/);
    expect(text).toMatch(/notification_success_ratio\s+100\.0%/);
  } finally {
    repo.remove();
    rmSync(workDir, { recursive: true, force: true });
  }
});

it('says so when there is no ledger', async () => {
  const state = { workDir: tmpdir(), values: new Map<string, unknown>() };
  const lines = await step.run({ state, logger: silentLogger, env: {}, serve: false });
  expect(lines.join('\n')).toContain('nothing to ingest');
  expect(state.values.has('dbDir')).toBe(false);
});
