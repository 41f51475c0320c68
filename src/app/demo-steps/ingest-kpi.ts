import { join } from 'node:path';
import { renderKpiTable } from '../../core/kpi/table.js';
import { ingestLedger } from '../ingest.js';
import { computeDatabaseKpis } from '../kpi.js';
import type { DemoStep } from './types.js';

// Loads the demo ledger (the bare remote the record step pushed to, else its clone) into an
// embedded database in the demo directory and prints the KPIs; leaves 'dbDir' for the dashboard.
export const step: DemoStep = {
  title: 'ingest + kpi: the ledger in the embedded database, and its audit metrics',
  async run({ state, logger }) {
    const remote = state.values.get('remotePath');
    const clone = state.values.get('clonePath');
    const repo = typeof remote === 'string' ? remote : typeof clone === 'string' ? clone : undefined;
    if (repo === undefined) return ['no demo ledger (the record step did not run): nothing to ingest'];
    const dbDir = join(state.workDir, 'db');
    const first = await ingestLedger({ repo, dataDir: dbDir, logger });
    const again = await ingestLedger({ repo, dataDir: dbDir, logger });
    state.values.set('dbDir', dbDir);
    const report = await computeDatabaseKpis({ dataDir: dbDir, since: '365d', logger });
    return [
      `ingested ${first.seen} entries from ${first.files} manifest file(s) into ${dbDir} (embedded PGlite)`,
      `  ${first.inserted} new, ${first.updated} changed; watermark ${first.watermark?.slice(0, 12) ?? 'none'}`,
      `ingested again: ${again.seen} entries read, ${again.inserted + again.updated} changed (nothing new)`,
      '',
      ...renderKpiTable(report).trimEnd().split('\n'),
    ];
  },
};
