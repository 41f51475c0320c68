// `serve --ingest-every`: the server ingests in its own process, on the embedded database it holds
// (never a second process on the directory), and the page's API sees what it ingested; `--host`
// beyond loopback needs `--allow-remote` and then warns that the API has no authentication.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageWindowPresets, serveDashboard } from '../../../src/app/serve.js';
import type { Logger } from '../../../src/core/ports.js';
import { silentLogger } from '../../../src/core/ports.js';
import { kpiFixtureEntries } from '../../support/kpi-fixture.js';
import { createLedgerRepo, type LedgerRepo } from '../../support/ledger-repo.js';

describe('serve --ingest-every on the embedded database', () => {
  let dir: string;
  let repo: LedgerRepo;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'slsa-serve-schedule-'));
    repo = createLedgerRepo();
    repo.commit(kpiFixtureEntries);
  });
  afterAll(() => {
    repo?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the database, ingests in-process and serves what it ingested', async () => {
    const dataDir = join(dir, 'db');
    const server = await serveDashboard({
      dataDir,
      port: 0,
      logger: silentLogger,
      ingestEveryMs: 60_000,
      ingest: { repo: repo.dir, ledgers: [{ repository: 'acme/widgets', dir: repo.dir }] },
    });
    try {
      const first = await server.ingested!();
      expect(first?.ledgers).toEqual([
        expect.objectContaining({ repository: 'acme/widgets', inserted: kpiFixtureEntries.length }),
      ]);
      const body = (await (
        await fetch(new URL('/api/kpi?since=2025-11-01&until=2025-11-30', server.url))
      ).json()) as { metrics: { entries: number; repositories: { repository: string }[] } };
      expect(body.metrics.entries).toBeGreaterThan(0);
      expect(body.metrics.repositories.map((r) => r.repository)).toEqual(['acme/widgets']);
    } finally {
      await server.close();
    }
  });

  it("reads the page's presets ahead after each ingest: the page's next requests are answered from memory", async () => {
    const now = new Date('2025-12-01T12:00:00.000Z');
    const debug: string[] = [];
    const server = await serveDashboard({
      dataDir: join(dir, 'ahead'),
      port: 0,
      logger: { ...silentLogger, debug: (m) => debug.push(m) },
      clock: { now: () => now },
      ingestEveryMs: 60_000,
      ingest: { repo: repo.dir, ledgers: [{ repository: 'acme/widgets', dir: repo.dir }] },
    });
    try {
      await server.ingested!();
      expect(debug.some((m) => /read the page's 5 windows ahead after the ingest/.test(m))).toBe(true);
      const before = server.kpiCacheStats();
      expect(before.entries).toBeGreaterThan(0);
      for (const since of pageWindowPresets) {
        const res = await fetch(new URL(`/api/kpi?since=${since}`, server.url));
        expect(res.status).toBe(200);
        await res.arrayBuffer();
      }
      // every statement of the five preset requests was answered from memory
      const after = server.kpiCacheStats();
      expect(after.misses).toBe(before.misses);
      expect(after.hits).toBeGreaterThan(before.hits + 5 * 10);
      const body = (await (await fetch(new URL('/api/kpi?since=365d', server.url))).json()) as {
        metrics: { entries: number };
      };
      expect(body.metrics.entries).toBe(kpiFixtureEntries.length);
      // a window the page does not offer is read from the database
      await (await fetch(new URL('/api/kpi?since=2025-11-02', server.url))).arrayBuffer();
      expect(server.kpiCacheStats().misses).toBeGreaterThan(after.misses);
    } finally {
      await server.close();
    }
  });
});

describe('serve beyond loopback', () => {
  it('is refused without --allow-remote', async () => {
    await expect(
      serveDashboard({ dataDir: 'memory://', host: '0.0.0.0', port: 0, logger: silentLogger }),
    ).rejects.toThrowCode('DASHBOARD_REMOTE_REFUSED');
  });

  it('warns that the API has no authentication with --allow-remote', async () => {
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (m) => warnings.push(m) };
    const dir = mkdtempSync(join(tmpdir(), 'slsa-serve-remote-'));
    try {
      // a database to read: made by a first server that ingests nothing
      const server = await serveDashboard({
        dataDir: join(dir, 'db'),
        host: '0.0.0.0',
        port: 0,
        allowRemote: true,
        logger,
        ingestEveryMs: 60_000,
        ingest: { repo: dir },
      });
      await server.close();
      expect(warnings.some((w) => w.includes('no authentication'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
