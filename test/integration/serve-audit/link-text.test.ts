// The entry view's links read as where they go. The schema takes any https URL, so a pusher may
// record `https://gіthub.com/…` (a Cyrillic і) or a path with a right-to-left override: shown as
// stored, the first read as github.com and opened xn--gthub-n2e.com, the second read backwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEntry } from '../../../src/core/ledger/entry.js';
import { chromiumAvailable, launchChromium, type BrowserSession } from '../../support/browser.js';
import { startServe } from './support.js';

// Callbacks passed to page.evaluate run in the browser
declare const document: any;

const available = chromiumAvailable();
const homograph = 'https://g\u0456thub.com/acme/app/releases/tag/v7.7.7';
const reversed = 'https://github.com/acme/app/\u202egpj.exe';

describe.skipIf(!available)('entry view links in Chromium', () => {
  let base = '';
  let close: () => Promise<void> = () => Promise.resolve();
  let browser: BrowserSession;

  beforeAll(async () => {
    const entry = parseEntry({
      run_id: 777,
      tag: 'v7.7.7',
      sha: 'd'.repeat(40),
      artifact_url: reversed,
      actor: 'pusher',
      timestamp: `${new Date(Date.now() - 3_600_000).toISOString().slice(0, 19)}Z`,
      status: 'success',
      governance_flag: 'validated',
      release_url: homograph,
    });
    const started = await startServe('pglite', { entries: [entry] });
    base = started.server.url;
    close = () => started.close();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await close();
  });

  it('shows each link as the browser will open it: punycode host, percent-encoded path', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}#/run/v7.7.7/777`);
    await page.waitForSelector('body[data-entry="ready"]');
    const links = await page.evaluate(() =>
      [...document.querySelectorAll('#entry-fields a')].map((a: any) => ({
        text: a.textContent,
        href: a.href,
      })),
    );
    expect(links).toHaveLength(2);
    for (const link of links) expect(link.text).toBe(link.href);
    expect(links[0]!.text).toBe('https://xn--gthub-n2e.com/acme/app/releases/tag/v7.7.7');
    expect(links[1]!.text).toBe('https://github.com/acme/app/%E2%80%AEgpj.exe');
  });
});
