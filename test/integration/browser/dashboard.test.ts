// The dashboard page in a real browser (Debian's Chromium via playwright-core), served by `serve` on
// embedded PGlite: it loads with no internet, draws its charts, filters and sorts the run table, and
// renders hostile entry text as text without running anything.
// DASHBOARD_SCREENSHOT=docs/dashboard.png also writes the screenshot the README shows.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveDashboard, type RunningDashboard } from '../../../src/app/serve.js';
import { silentLogger } from '../../../src/core/ports.js';
import { chromiumAvailable, launchChromium, type BrowserSession } from '../../support/browser.js';
import {
  hostileReason,
  hostileTag,
  makeDashboardEntries,
  preparePglite,
} from '../http/dashboard-fixtures.js';

// Callbacks passed to page.evaluate run in the browser; these stand in for the DOM types, which this
// Node project does not load.
declare const document: any;
declare const window: any;
type HTMLCanvasElement = any;
type HTMLAnchorElement = any;

const available = chromiumAvailable();
const now = new Date();
const entries = makeDashboardEntries(now, 240, 60);
// a second repository, every run on one day 3 days ago
const gadgets = makeDashboardEntries(now, 12, 1).map((e, i) => ({
  ...e,
  tag: `g${i}.0.0`,
  run_id: 900_000 + i,
  timestamp: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - 3, 8, i))
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z'),
}));
const DAY_S = 86_400;

describe.skipIf(!available)('dashboard page in Chromium', () => {
  let dir: string;
  let server: RunningDashboard;
  let browser: BrowserSession;
  let page: Page;
  const outside: string[] = [];
  const dialogs: string[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slsa-dash-browser-'));
    const dataDir = await preparePglite(dir, entries, gadgets);
    server = await serveDashboard({ dataDir, port: 0, logger: silentLogger });
    browser = await launchChromium({ width: 1280, height: 1000 });
    // no internet: anything not addressed to the server is refused and remembered
    await browser.context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(server.url) || url.startsWith('data:')) return route.continue();
      outside.push(url);
      return route.abort();
    });
    page = await browser.newPage();
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    await page.goto(server.url);
    await page.waitForSelector('body[data-state="ready"]');
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('loads with nothing from outside, no errors and no CSP violation', async () => {
    expect(outside).toEqual([]);
    expect(problems).toEqual([]);
    expect(await page.locator('#error').isHidden()).toBe(true);
    const cards = page.locator('#cards .card');
    expect(await cards.count()).toBe(14);
    const perDay = await page.locator('[data-kpi="entries_per_day"] .value').textContent();
    expect(Number(perDay)).toBeGreaterThan(0);
    const failure = await page.locator('[data-kpi="failure_rate"] .value').textContent();
    expect(failure).toMatch(/^\d+(\.\d)?%$/);
  });

  it('draws every chart on a canvas with non-blank pixels', async () => {
    for (const id of ['chart-entries', 'chart-rates', 'chart-lag']) {
      const painted = await page.evaluate((chartId) => {
        const canvas: HTMLCanvasElement = document.querySelector(`#${chartId} canvas`);
        if (!canvas) return -1;
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
        return n;
      }, id);
      expect(painted, id).toBeGreaterThan(500);
    }
    expect(await page.locator('#breakdown .bar-row').count()).toBeGreaterThanOrEqual(3);
  });

  it('follows the window: the axes span it and the run table holds only its runs', async () => {
    const inside = (days: number) =>
      [...entries, ...gadgets].filter((e) => Date.parse(e.timestamp) >= Date.now() - days * 86_400_000)
        .length;
    for (const [value, days] of [
      ['7d', 7],
      ['30d', 30],
    ] as const) {
      await page.selectOption('#window', value);
      await page.waitForFunction(
        (n) =>
          document.body.dataset.state === 'ready' &&
          document.querySelector('#page-text')!.textContent!.includes(`· ${n} runs`),
        inside(days),
      );
      const span = await page.evaluate(() => {
        const box = document.querySelector('#chart-entries');
        return (Number(box.dataset.xLast) - Number(box.dataset.xFirst)) / 86_400;
      });
      // the window's days: 7d covers 8 calendar days at most, at least 7
      expect(span).toBeGreaterThanOrEqual(days - 1);
      expect(span).toBeLessThanOrEqual(days);
    }
  });

  it('filters by repository: the cards, the table and the repository table follow it', async () => {
    const repos = await page
      .locator('#repos-body tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-repository')));
    expect(repos).toEqual(['acme/gadgets', 'acme/widgets']);
    await page.selectOption('#repository', 'acme/gadgets');
    await page.waitForFunction(
      (n) =>
        document.body.dataset.state === 'ready' &&
        document.querySelector('#page-text')!.textContent!.includes(`· ${n} runs`),
      gadgets.length,
    );
    const shown = await page
      .locator('#runs-body tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-repository')));
    expect(new Set(shown)).toEqual(new Set(['acme/gadgets']));
    expect(await page.locator('#repos-body tr').count()).toBe(1);
    // every run of this repository lies on one day: the axis still spans the window, not years
    const span = await page.evaluate(() => {
      const box = document.querySelector('#chart-entries');
      return (Number(box.dataset.xLast) - Number(box.dataset.xFirst)) / 86_400;
    });
    expect(span).toBeGreaterThanOrEqual(29);
    expect(span).toBeLessThanOrEqual(30);
    await page.selectOption('#repository', '');
    await page.waitForFunction(() => document.body.dataset.state === 'ready');
    expect(DAY_S).toBe(86_400);
  });

  it('shows the error state when the API fails, and recovers on retry', async () => {
    await page.route('**/api/kpi*', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'DB_UNAVAILABLE', message: 'database unavailable' } }),
      }),
    );
    await page.selectOption('#window', '90d');
    await page.waitForSelector('body[data-state="error"]');
    expect(await page.locator('#error').isVisible()).toBe(true);
    expect(await page.locator('#error-text').textContent()).toContain('DB_UNAVAILABLE');
    await page.unroute('**/api/kpi*');
    await page.click('#retry');
    await page.waitForSelector('body[data-state="ready"]');
    expect(await page.locator('#error').isHidden()).toBe(true);
    // the browser logs the refused request itself; nothing else went wrong
    expect(problems.every((p) => p.includes('503'))).toBe(true);
    problems.splice(0);
  });

  it('shows the loading state until the figures arrive', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    await page.route('**/api/kpi*', async (route) => {
      await held;
      await route.continue();
    });
    await page.selectOption('#window', '365d');
    await page.waitForSelector('body[data-state="loading"]');
    expect(await page.locator('#loading').isVisible()).toBe(true);
    release();
    await page.waitForSelector('body[data-state="ready"]');
    expect(await page.locator('#loading').isVisible()).toBe(false);
    await page.unroute('**/api/kpi*');
  });

  it('filters and sorts the run table', async () => {
    // every run, whatever its age
    await page.selectOption('#window', 'all');
    await page.waitForFunction(() => document.body.dataset.state === 'ready');
    // the header says where the window starts: "everything" from the start, not from 1970-01-01
    expect(await page.locator('#window-text').textContent()).toMatch(/^start → /);
    await page.selectOption('#repository', 'acme/widgets');
    await page.waitForFunction(() => document.body.dataset.state === 'ready');
    const failures = entries.filter((e) => e.status === 'failure');
    await page.selectOption('#filters select[name="status"]', 'failure');
    await page.click('#filters button[type="submit"]');
    await page.waitForFunction(
      (n) =>
        document.body.dataset.runs === 'ready' &&
        document.querySelector('#page-text')!.textContent!.includes(`${n} runs`),
      failures.length,
    );
    const statuses = await page.locator('#runs-body .status').allTextContents();
    expect(statuses.length).toBe(Math.min(25, failures.length));
    expect(new Set(statuses)).toEqual(new Set(['failure']));

    await page.fill('#filters input[name="tag_prefix"]', 'release/');
    await page.click('#filters button[type="submit"]');
    const expected = failures.filter((e) => e.tag.startsWith('release/')).length;
    await page.waitForFunction(
      (n) => document.querySelector('#page-text')!.textContent!.includes(`· ${n} runs`),
      expected,
    );
    const tags = await page.locator('#runs-body .tag-link').allTextContents();
    expect(tags.length).toBe(expected);
    expect(tags.every((t) => t.startsWith('release/'))).toBe(true);

    await page.click('#filters button[type="reset"]');
    await page.waitForFunction(
      (n) => document.querySelector('#page-text')!.textContent!.includes(`· ${n} runs`),
      entries.length,
    );
    await page.click('th button[data-sort="run_id"]');
    await page.waitForSelector('th button[data-sort="run_id"][aria-sort="ascending"]');
    const ids = await page
      .locator('#runs-body tr')
      .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-run-id'))));
    expect(ids).toEqual([...entries.map((e) => e.run_id)].sort((a, b) => a - b).slice(0, 25));
  });

  it('links only https release and artifact URLs, with rel="noopener noreferrer"', async () => {
    const links = await page
      .locator('#runs-body a[target="_blank"]')
      .evaluateAll((as) =>
        as.map((a) => ({ href: (a as HTMLAnchorElement).href, rel: a.getAttribute('rel') })),
      );
    expect(links.length).toBeGreaterThan(10);
    for (const link of links) {
      expect(link.href).toMatch(/^https:\/\//);
      expect(link.rel).toBe('noopener noreferrer');
    }
  });

  it('shows a hostile tag and failure reason as literal text and runs nothing', async () => {
    await page.click('#filters button[type="reset"]');
    await page.fill('#filters input[name="tag_prefix"]', 'v6.6.6-<');
    await page.click('#filters button[type="submit"]');
    await page.waitForFunction(() => document.querySelector('#page-text')!.textContent!.includes('· 1 runs'));
    const row = page.locator('#runs-body tr').first();
    expect(await row.locator('.tag-link').textContent()).toBe(hostileTag);
    expect(await row.locator('.reason').textContent()).toBe(hostileReason);
    expect(await row.locator('td').nth(6).textContent()).toBe('<script>window.__pwned=true</script>');

    await row.locator('.tag-link').click();
    await page.waitForSelector('body[data-entry="ready"]');
    expect(await page.locator('#entry-title').textContent()).toBe(`${hostileTag} · run 666`);
    expect(await page.locator('#entry-fields').textContent()).toContain(hostileReason);
    await page.waitForTimeout(300); // give any injected handler the chance to fire
    const injected = await page.evaluate(() => ({
      pwned: (window as unknown as { __pwned?: unknown }).__pwned,
      imgs: document.querySelectorAll('img').length,
      svgs: document.querySelectorAll('#runs-body svg, #entry svg').length,
      scripts: [...document.querySelectorAll('script')].map((s) => s.getAttribute('src')),
    }));
    expect(injected).toEqual({
      pwned: undefined,
      imgs: 0,
      svgs: 0,
      scripts: ['/vendor/uPlot.iife.min.js', '/app.js'],
    });
    expect(dialogs).toEqual([]);
    expect(problems).toEqual([]);
    await page.click('#back');
    await page.waitForSelector('#dashboard:not([hidden])');
  });

  it.runIf(process.env.DASHBOARD_SCREENSHOT !== undefined)('takes the screenshot for the docs', async () => {
    const shot = await browser.newPage();
    await shot.goto(server.url);
    await shot.waitForSelector('body[data-state="ready"]');
    await shot.screenshot({ path: resolve(process.env.DASHBOARD_SCREENSHOT!), fullPage: true });
    await shot.close();
  });
});
