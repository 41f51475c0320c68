// Issue 13 "Tests": a sample of hostile inputs and arguments through the built CLI (dist/bin), each
// run in its own process group with a time limit (a hang is killed and fails the test) and a heap
// limit (--max-old-space-size): zero exit 70, zero hangs, bounded memory, and no byte of a file a
// symlink points to in any output. Needs `npm run build`.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeManifest } from '../../../src/core/ledger/entry.js';
import { BIN, cloneRemote, createRemote, git, makeTempDir } from '../../support/git.js';
import { commitBlobs, commitText, writeBlob } from '../../support/hostile-git.js';
import { makeEntry } from '../../support/ledger.js';
import { inPool, runNodeBounded, type BoundedRun } from '../../support/spawn-bounded.js';
import { documents } from './corpus.js';

const TIMEOUT_MS = 90_000; // a hang, not a slow run
const HEAP_MB = 256;
const DAY = 'docs/reports/2025-11-24/manifest.json';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let hostile: string;
let tree: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run 'npm run build' first`);
  tmp = await makeTempDir('readers-cli-fuzz-');
  const remote = await createRemote(tmp.path);
  hostile = await cloneRemote(remote, join(tmp.path, 'hostile'));
  const e = makeEntry({ tag: 'v1.0.0', run_id: 1, timestamp: '2025-11-24T10:00:00Z' });
  const who = { tag: 'v1.0.0', runId: 1 };
  await commitText(hostile, DAY, serializeManifest([e]), who);
  await commitText(hostile, DAY, `${'['.repeat(20_000)}${']'.repeat(20_000)}`, who);
  await commitText(hostile, DAY, `[${Array.from({ length: 300_000 }, () => '{}').join(',')}]`, who);
  await commitText(hostile, DAY, 'not json\n', who);
  const link = await writeBlob(hostile, '/etc/passwd');
  await commitBlobs(
    hostile,
    { 'docs/reports/2025-11-25/manifest.json': { oid: link, mode: '120000' } },
    'link',
  );
  await git(hostile, ['push', '-q', 'origin', 'HEAD:main']);
  mkdirSync(join(hostile, 'docs'), { recursive: true });

  tree = join(tmp.path, 'tree');
  for (const d of ['2025-11-21', '2025-11-22', '2025-11-23'])
    mkdirSync(join(tree, 'docs/reports', d), { recursive: true });
  symlinkSync('/etc/passwd', join(tree, 'docs/reports/2025-11-21/manifest.json'));
  symlinkSync('/dev/zero', join(tree, 'docs/reports/2025-11-22/manifest.json'));
  execFileSync('mkfifo', [join(tree, 'docs/reports/2025-11-23/manifest.json')]);

  documents.forEach((c, i) => writeFileSync(join(tmp.path, `case-${i}.json`), c.bytes()));
  execFileSync('mkfifo', [join(tmp.path, 'fifo.json')]);
  symlinkSync('/dev/zero', join(tmp.path, 'zero.json'));
  symlinkSync('/etc/passwd', join(tmp.path, 'passwd.json'));
  writeFileSync(join(tmp.path, 'app.tgz'), 'artifact');
  env = {
    PATH: process.env.PATH,
    HOME: tmp.path,
    SLSA_LEDGER_LOCK_DIR: join(tmp.path, 'locks'),
    GITHUB_API_URL: 'http://127.0.0.1:9', // nothing listens: any request fails at once
    NO_COLOR: '1',
  };
});
afterAll(() => tmp?.cleanup());

const cli = (args: readonly string[]): Promise<BoundedRun> =>
  runNodeBounded([BIN, ...args], { env, cwd: tmp.path, timeoutMs: TIMEOUT_MS, heapMb: HEAP_MB });

function sane(args: readonly string[], run: BoundedRun): string | undefined {
  const out = run.stdout + run.stderr;
  if (run.timedOut) return `${args.join(' ')}: hung (killed after ${TIMEOUT_MS} ms)`;
  if (run.code === 70) return `${args.join(' ')}: exit 70: ${out.slice(-800)}`;
  if (run.code === null) return `${args.join(' ')}: killed by ${run.signal}: ${out.slice(-800)}`;
  if (/root:[^\n]*:0:0:/.test(out)) return `${args.join(' ')}: leaked /etc/passwd`;
  return undefined;
}

describe('the built CLI over hostile ledgers and files', () => {
  it('check, ingest, validate --repo and record: coded exits, no hang, no leak', async () => {
    const db = join(tmp.path, 'db');
    const cases: { args: string[]; code: number }[] = [
      { args: ['check', '--json', '--repo', hostile], code: 1 },
      { args: ['check', '--json', '--repo', join(hostile, 'docs')], code: 1 },
      { args: ['check', '--json', '--repo', hostile, '--ref', 'HEAD'], code: 1 },
      { args: ['ingest', '--json', '--repo', tree, '--data-dir', `${db}-1`], code: 3 },
      { args: ['ingest', '--json', '--repo', hostile, '--data-dir', `${db}-2`], code: 3 },
      { args: ['ingest', '--json', '--repo', '/does-not-exist', '--data-dir', `${db}-3`], code: 3 },
      {
        args: [
          'validate',
          '--json',
          '--tag',
          'v1.0.0',
          '--repo',
          tree,
          '--key',
          'passwd.json',
          '--artifact',
          'app.tgz',
          '--provenance',
          'case-4.json',
        ],
        code: 3,
      },
      ...['fifo.json', 'zero.json', 'passwd.json'].map((f) => ({
        args: ['record', '--json', '--no-sign', '--repo', hostile, '--entry', f],
        code: 3,
      })),
      ...documents.slice(0, 8).map((_, i) => ({
        args: ['record', '--json', '--no-sign', '--repo', hostile, '--entry', `case-${i}.json`],
        code: 3,
      })),
    ];
    const runs = await inPool(cases, 2, async (c) => ({ c, run: await cli(c.args) }));
    const problems = runs.map(({ c, run }) => sane(c.args, run)).filter((p) => p !== undefined);
    expect(problems).toEqual([]);
    const wrong = runs
      .filter(({ c, run }) => run.code !== c.code)
      .map(
        ({ c, run }) => `${c.args.join(' ')}: exit ${run.code}, not ${c.code}: ${run.stdout.slice(0, 600)}`,
      );
    expect(wrong).toEqual([]);
  }, 600_000);

  it('random arguments (fast-check sample): never exit 70, never hang', async () => {
    const word = fc.constantFrom(
      'check',
      'ingest',
      'record',
      'verify',
      'validate',
      'flush',
      'kpi',
      '--json',
      '--repo',
      '--ref',
      'HEAD',
      '--ref',
      '-x',
      '--entry',
      'fifo.json',
      'zero.json',
      'passwd.json',
      'case-0.json',
      'case-2.json',
      '--reports-dir',
      '../..',
      '--branch',
      'no such',
      '--remote',
      '--x',
      '=',
      '',
      '\u202e',
      '--witness',
      'fifo.json',
      '--data-dir',
      '/dev/null',
      hostile,
      tree,
      '--provenance',
      '--key',
      '--tag',
      'v1\ufeff',
    );
    const samples = fc.sample(fc.array(word, { minLength: 1, maxLength: 7 }), { seed: 1313, numRuns: 10 });
    const runs = await inPool(samples, 2, async (args) => ({ args, run: await cli(args) }));
    expect(runs.map(({ args, run }) => sane(args, run)).filter((p) => p !== undefined)).toEqual([]);
  }, 600_000);
});
