// Paths in the ledger's part of the reports folder that no writer writes (CHECK_UNEXPECTED_PATH,
// src/core/ledger/layout.ts), in real git through the CLI: `record --sign-key` writes a signed
// ledger (day file, its log, the key index), a pusher plants files beside it, `check` audits a
// fresh clone. Before this check every planted path below passed `check` with exit 0.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../support/cli.js';
import { cloneRemote, createRemote, git, makeTempDir } from '../../support/git.js';
import { makeEntry } from '../../support/ledger.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let remote: string;
let clone: string;
let env: Record<string, string | undefined>;
let key: { key: string; pub: string };
const DAY = 'docs/reports/2025-11-24';

async function record(entry: unknown): Promise<void> {
  const file = join(tmp.path, `entry-${Math.random().toString(16).slice(2)}.json`);
  await writeFile(file, JSON.stringify(entry));
  const r = await runCliCaptured(
    ['record', '--json', '--repo', clone, '--entry', file, '--sign-key', key.key],
    {
      env,
    },
  );
  expect(r.code, r.stderr).toBe(0);
}

async function check(...extra: string[]) {
  const reader = join(tmp.path, `reader-${Math.random().toString(16).slice(2)}`);
  await cloneRemote(remote, reader);
  const r = await runCliCaptured(['check', '--json', '--repo', reader, ...extra], { env, cwd: tmp.path });
  const findings =
    r.code === 0
      ? []
      : (r.json().error!.details.findings as { code: string; path?: string; message: string }[]);
  return { code: r.code, findings, stderr: r.stderr };
}

/** Pushes `files` (path -> text) to the remote's main as a plain commit (an attacker with push access). */
async function plant(files: Record<string, string>): Promise<void> {
  await git(clone, ['fetch', '-q', 'origin']);
  await git(clone, ['reset', '-q', '--hard', 'origin/main']);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(clone, path)), { recursive: true });
    await writeFile(join(clone, path), text);
  }
  await git(clone, ['add', '-A']);
  await git(clone, ['commit', '-q', '-m', 'planted']);
  await git(clone, ['push', '-q', 'origin', 'HEAD:main']);
}

beforeEach(async () => {
  tmp = await makeTempDir('slsa-ledger-unexpected-');
  remote = await createRemote(tmp.path);
  clone = await cloneRemote(remote, join(tmp.path, 'clone'));
  env = { PATH: process.env.PATH, HOME: process.env.HOME, SLSA_LEDGER_LOCK_DIR: join(tmp.path, 'locks') };
  key = { key: join(tmp.path, 'ledger.key'), pub: join(tmp.path, 'ledger.pub') };
  const k = await runCliCaptured(['keygen', '--type', 'ed25519', '--out', key.key, '--json'], { env });
  expect(k.code, k.stderr).toBe(0);
  await record(makeEntry());
  await record(makeEntry({ tag: 'v1.2.4', run_id: 102, timestamp: '2025-11-24T11:00:00Z' }));
});
afterEach(() => tmp.cleanup());

describe('paths no writer writes', () => {
  it('what the writers write is no finding, nor is the rest of the folder (a README, other reports)', async () => {
    const tree = await git(remote, ['ls-tree', '-r', '--name-only', 'main']);
    expect(tree).toContain(`${DAY}/manifest.json`);
    expect(tree).toContain(`${DAY}/transitions.jsonl`);
    expect(tree).toContain('docs/reports/index/VERSION');
    expect(tree).toContain('docs/reports/index/LAST');
    await plant({ 'docs/reports/README.md': 'our ledger\n', 'docs/reports/q3/summary.txt': 'q3\n' });
    const r = await check('--trust-key', key.pub);
    expect(r.findings).toEqual([]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('attack: a case variant of the day file, a file beside it, a folder that is no day: each a finding, exit 1', async () => {
    const real = await git(remote, ['show', `main:${DAY}/manifest.json`]);
    const forged = real.replace('"success"', '"failure"');
    await plant({
      [`${DAY}/Manifest.json`]: forged,
      [`${DAY}/manifest.json.orig`]: forged,
      'docs/reports/2025-11-2/manifest.json': forged,
      'docs/reports/2025-02-30/manifest.json': forged,
      'docs/reports/index/ZZ.json': '[]\n',
      'docs/reports/index/AB.json': '[]\n',
      'docs/Reports/2025-11-24/manifest.json': forged,
    });
    const r = await check();
    expect(r.code).toBe(1);
    expect(r.findings.filter((f) => f.code !== 'CHECK_UNEXPECTED_PATH')).toEqual([]);
    expect(Object.fromEntries(r.findings.map((f) => [f.path, f.message]))).toEqual({
      [`${DAY}/Manifest.json`]: expect.stringMatching(/differs only in case from a ledger file/),
      [`${DAY}/manifest.json.orig`]: expect.stringMatching(/no writer writes this path/),
      'docs/reports/2025-11-2/manifest.json': expect.stringMatching(/no writer writes this path/),
      'docs/reports/2025-02-30/manifest.json': expect.stringMatching(/2025-02-30 is not a calendar day/),
      'docs/reports/index/ZZ.json': expect.stringMatching(/no writer writes this path/),
      'docs/reports/index/AB.json': expect.stringMatching(/differs only in case from a ledger file/),
      'docs/Reports/2025-11-24/manifest.json': expect.stringMatching(
        /differs only in case from the reports folder/,
      ),
    });
  });

  it('attack: a path with a line break is a finding, shown escaped', async () => {
    await plant({ [`${DAY}/manifest.json\nx`]: '[]\n' });
    const r = await check();
    expect(r.code).toBe(1);
    expect(r.findings).toEqual([
      expect.objectContaining({ code: 'CHECK_UNEXPECTED_PATH', path: `${DAY}/manifest.json\nx` }),
    ]);
    const text = await runCliCaptured(['check', '--repo', join(tmp.path, 'clone')], { env, cwd: tmp.path });
    expect(text.stderr).toContain('CHECK_UNEXPECTED_PATH');
    expect(text.stderr).not.toContain('manifest.json\nx');
  });

  it('a thousand planted paths: the first 100 listed, the rest counted', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 1000; i++) files[`${DAY}/junk-${String(i).padStart(4, '0')}.txt`] = `${i}\n`;
    await plant(files);
    const r = await check();
    expect(r.code).toBe(1);
    expect(r.findings).toHaveLength(101);
    expect(r.findings[100]!.message).toMatch(/and 900 more CHECK_UNEXPECTED_PATH findings in this folder/);
  });
});
