// The operations docs: the Mermaid flow renders (mermaid's own parser and renderer, in headless
// Chromium, offline), and the role-matrix page lists exactly the rules and roles the code enforces.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roleMatrix } from '../../../src/core/governance/role-matrix.js';
import { workflowRules } from '../../../src/core/governance/rules.js';
import { repoRoot } from './support.js';

function findChromium(): string | undefined {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      const path = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (path !== '') return path;
    } catch {
      // not installed under this name
    }
  }
  return undefined;
}

const chromiumPath = findChromium();
const mermaidScript = createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js');
const mmd = readFileSync(join(repoRoot, 'docs/ops/workflows.mmd'), 'utf8');

// CI installs chromium (.ci/run); a laptop without it skips with a clear reason, CI fails.
const haveBrowser = chromiumPath !== undefined || process.env.CI === 'true';

describe.skipIf(!haveBrowser)('docs/ops/workflows.mmd', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({
      ...(chromiumPath === undefined ? {} : { executablePath: chromiumPath }),
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function render(text: string): Promise<{ ok: boolean; svg?: string; error?: string }> {
    const page = await browser.newPage();
    try {
      await page.setContent('<!doctype html><html><body><div id="out"></div></body></html>');
      await page.addScriptTag({ path: mermaidScript });
      return await page.evaluate(async (source) => {
        const m = (globalThis as any).mermaid;
        m.initialize({ startOnLoad: false, securityLevel: 'strict' });
        try {
          await m.parse(source);
          const { svg } = await m.render('flow', source);
          return { ok: true, svg };
        } catch (error) {
          return { ok: false, error: String((error as Error).message ?? error) };
        }
      }, text);
    } finally {
      await page.close();
    }
  }

  it('parses and renders to SVG with every step and failure path of the flow', async () => {
    const result = await render(mmd);
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    for (const label of [
      'release.yml',
      'DRAFT release',
      'slsa-provenance',
      'slsa-github-generator',
      'attest-build-provenance',
      'provenance-manifest',
      'no artifacts',
      'DISPATCH_TOKEN_EXPIRED',
      'manifest-queued',
      'validation-failed',
      'publish the release',
      'notify-on-failure',
      'ledger-drift',
    ]) {
      expect(result.svg).toContain(label);
    }
  });

  it('the renderer rejects a broken diagram (the check is live)', async () => {
    const result = await render(mmd.replace('flowchart TD', 'flowchart TD\n  a[unclosed --> b'));
    expect(result.ok).toBe(false);
  });
});

describe('docs/governance/role-matrix.md', () => {
  const page = readFileSync(join(repoRoot, 'docs/governance/role-matrix.md'), 'utf8');

  it('lists every rule id with its level', () => {
    for (const r of workflowRules) {
      expect(page).toMatch(new RegExp(`\\| \`${r.id}\` +\\| ${r.level} +\\|`));
    }
  });

  it('lists every role with its permissions', () => {
    for (const role of Object.values(roleMatrix)) {
      for (const [scope, level] of Object.entries(role.permissions)) {
        expect(page, `${role.id} ${scope}`).toContain(`\`${scope}: ${level}\``);
      }
    }
  });

  it('the ops docs exist and link each other', () => {
    for (const f of ['workflow-summary.md', 'failure-recovery.md']) {
      expect(existsSync(join(repoRoot, 'docs/ops', f))).toBe(true);
    }
    expect(readFileSync(join(repoRoot, 'docs/ops/workflow-summary.md'), 'utf8')).toContain(
      'failure-recovery.md',
    );
  });

  it('match the rehearsal: one summary row per scenario, and every runbook row marked rehearsed names one', async () => {
    const { scenarios } = await import('../../rehearsal/scenarios.js');
    const names = scenarios.map((x) => x.name);
    const summary = readFileSync(join(repoRoot, 'docs/ops/workflow-summary.md'), 'utf8');
    const rows = [...summary.matchAll(/^\| ([a-z][a-z-]+) +\|/gm)].map((m) => m[1]);
    expect(rows.filter((r) => r !== 'workflow' && r !== 'scenario')).toEqual(names);
    const runbook = readFileSync(join(repoRoot, 'docs/ops/failure-recovery.md'), 'utf8');
    const rehearsed = [...runbook.matchAll(/_rehearsed: ([a-z-]+)_/g)].map((m) => m[1]!);
    expect(rehearsed.length).toBeGreaterThan(0);
    for (const r of rehearsed) expect(names, r).toContain(r);
  });
});
