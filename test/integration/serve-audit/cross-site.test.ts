// Another site's page must not make the server work for it. CORS keeps the answers from such a page,
// but the requests themselves ran: a page open in the operator's browser could send the costliest
// queries (`/api/kpi?since=99999d`) to a loopback `serve` without end, and its Host (127.0.0.1:port)
// passes the DNS-rebinding check. Browsers label every request with Sec-Fetch-Site; the server
// refuses cross-site and same-site ones (403 DASHBOARD_CROSS_SITE_REFUSED) but top-level navigations.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDashboardHandler,
  createDatabaseBackend,
  loadDashboardAssets,
  type DashboardBackend,
} from '../../../src/app/serve.js';
import { silentLogger } from '../../../src/core/ports.js';
import { openDatabase } from '../../../src/io/db.js';
import { startHttpServer } from '../../../src/io/http-server.js';
import { chromiumAvailable, launchChromium } from '../../support/browser.js';
import { makeDashboardEntries, preparePglite } from '../http/dashboard-fixtures.js';
import { send, startServe } from './support.js';

const available = chromiumAvailable();

describe('requests another site made', () => {
  let base = '';
  let close: () => Promise<void> = () => Promise.resolve();

  beforeAll(async () => {
    const started = await startServe('pglite');
    base = started.server.url;
    close = () => started.close();
  });
  afterAll(() => close());

  it('refuses a cross-site or same-site fetch, script or image, with the security headers', async () => {
    for (const [site, mode, dest] of [
      ['cross-site', 'no-cors', 'empty'],
      ['cross-site', 'cors', 'empty'],
      ['cross-site', 'no-cors', 'image'],
      ['cross-site', 'no-cors', 'script'],
      ['cross-site', 'navigate', 'iframe'],
      ['same-site', 'no-cors', 'empty'],
    ] as const) {
      for (const path of ['/api/kpi?since=99999d', '/api/runs', '/healthz', '/app.js']) {
        const r = await send(base, path, {
          headers: { 'Sec-Fetch-Site': site, 'Sec-Fetch-Mode': mode, 'Sec-Fetch-Dest': dest },
        });
        expect(r.status, `${site} ${mode} ${dest} ${path}`).toBe(403);
        expect(r.json.error.code).toBe('DASHBOARD_CROSS_SITE_REFUSED');
        expect(String(r.headers['content-security-policy'])).toContain("default-src 'none'");
        expect(r.headers['x-content-type-options']).toBe('nosniff');
      }
    }
  });

  it('answers its own page, a link followed from elsewhere, and clients without the header', async () => {
    const own = { 'Sec-Fetch-Site': 'same-origin', 'Sec-Fetch-Mode': 'cors', 'Sec-Fetch-Dest': 'empty' };
    expect((await send(base, '/api/kpi', { headers: own })).status).toBe(200);
    const link = {
      'Sec-Fetch-Site': 'cross-site',
      'Sec-Fetch-Mode': 'navigate',
      'Sec-Fetch-Dest': 'document',
    };
    expect((await send(base, '/', { headers: link })).status).toBe(200);
    const typed = { 'Sec-Fetch-Site': 'none', 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'document' };
    expect((await send(base, '/', { headers: typed })).status).toBe(200);
    expect((await send(base, '/api/runs')).status).toBe(200);
  });

  it.skipIf(!available)(
    "in Chromium: another origin's requests run no query; the dashboard still loads",
    async () => {
      // the library's handler on the same database, its backend counting the queries it runs
      const dir = await mkdtemp(join(tmpdir(), 'slsa-serve-cross-'));
      const dataDir = await preparePglite(dir, makeDashboardEntries(new Date(), 20, 10));
      const db = await openDatabase({ dataDir, role: 'reader', mustExist: true });
      const queries: string[] = [];
      const real = createDatabaseBackend(db);
      const backend: DashboardBackend = {
        kpis: (...a) => (queries.push('kpis'), real.kpis(...a)),
        aggregates: (...a) => (queries.push('aggregates'), real.aggregates(...a)),
        runs: (...a) => (queries.push('runs'), real.runs(...a)),
        run: (...a) => (queries.push('run'), real.run(...a)),
        manifests: (...a) => (queries.push('manifests'), real.manifests(...a)),
        ping: () => (queries.push('ping'), real.ping()),
      };
      const server = await startHttpServer({
        host: '127.0.0.1',
        port: 0,
        handler: createDashboardHandler({
          backend,
          assets: await loadDashboardAssets(),
          boundHost: '127.0.0.1',
          clock: { now: () => new Date() },
          logger: silentLogger,
        }),
      });
      const target = server.url.replace(/\/$/, '');
      // the attacker's page, on http://localhost:<other port>: fetches, an image and a script
      // aimed at the dashboard on http://127.0.0.1:<port>
      const html = `<!doctype html><body><script>
        for (let i = 0; i < 5; i++) fetch('${target}/api/kpi?since=99999d', { mode: 'no-cors' }).catch(() => {});
        fetch('${target}/api/runs?per_page=200').catch(() => {});
        const img = new Image(); img.src = '${target}/api/runs';
        const s = document.createElement('script'); s.src = '${target}/api/runs'; document.body.append(s);
      </script></body>`;
      const attacker: Server = createServer((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/html' });
        res.end(html);
      });
      await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
      const attackerUrl = `http://localhost:${(attacker.address() as AddressInfo).port}/`;
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        const sent: string[] = [];
        page.on('requestfinished', (r) => void (r.url().startsWith(target) && sent.push(r.url())));
        page.on('requestfailed', (r) => void (r.url().startsWith(target) && sent.push(r.url())));
        await page.goto(attackerUrl);
        const deadline = Date.now() + 10_000;
        while (sent.length < 8 && Date.now() < deadline) await page.waitForTimeout(100);
        expect(sent.length).toBeGreaterThanOrEqual(8);
        // before: 5 × (kpis + aggregates) and 3 × runs ran for the other site's page
        expect(queries).toEqual([]);

        // the dashboard itself, opened as a user would, still loads (same-origin requests)
        const own = await browser.newPage();
        await own.goto(server.url);
        await own.waitForSelector('body[data-state="ready"]');
        expect(await own.locator('#runs-body tr').count()).toBeGreaterThan(0);
        expect(queries).toContain('runs');
      } finally {
        await browser.close();
        await new Promise<void>((resolve) => attacker.close(() => resolve()));
        await server.close();
        await db.close();
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
