// Paths a pusher can put in the ledger's tree against the trust audit's reader
// (src/io/ledger-trust-reader.ts), in real git through the CLI: `record --sign-key` writes a signed
// ledger, the attacker pushes plain commits, `check --trust-key` audits a fresh clone and a clone
// that kept its witness.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../support/cli.js';
import { cloneRemote, createRemote, git, makeTempDir, showFile } from '../../support/git.js';
import { makeEntry } from '../../support/ledger.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let remote: string;
let env: Record<string, string | undefined>;
const DAY = 'docs/reports/2025-11-24/manifest.json';
const LOG = 'docs/reports/2025-11-24/transitions.jsonl';

async function keygen(name: string): Promise<{ key: string; pub: string }> {
  const key = join(tmp.path, `${name}.key`);
  const r = await runCliCaptured(['keygen', '--type', 'ed25519', '--out', key, '--json'], { env });
  expect(r.code, r.stderr).toBe(0);
  return { key, pub: join(tmp.path, `${name}.pub`) };
}

async function record(repo: string, entry: unknown, key: string): Promise<void> {
  const file = join(tmp.path, `entry-${Math.random().toString(16).slice(2)}.json`);
  await writeFile(file, JSON.stringify(entry));
  const r = await runCliCaptured(['record', '--json', '--repo', repo, '--entry', file, '--sign-key', key], {
    env,
  });
  expect(r.code, r.stderr).toBe(0);
}

async function check(reader: string, pub: string) {
  const r = await runCliCaptured(['check', '--json', '--repo', reader, '--trust-key', pub], {
    env,
    cwd: tmp.path,
  });
  const findings = r.code === 0 ? [] : (r.json().error!.details.findings as { code: string }[]);
  return { code: r.code, codes: findings.map((f) => f.code) };
}

beforeEach(async () => {
  tmp = await makeTempDir('slsa-ledger-trust-paths-');
  remote = await createRemote(tmp.path);
  env = { PATH: process.env.PATH, HOME: process.env.HOME, SLSA_LEDGER_LOCK_DIR: join(tmp.path, 'locks') };
});
afterEach(() => tmp.cleanup());

describe('paths planted in the ledger tree', () => {
  it('attack: a path with line breaks naming old blobs does not make the audit read them in place of the day file and its log', async () => {
    const k = await keygen('ledger');
    const clone = await cloneRemote(remote, join(tmp.path, 'clone'));
    await record(clone, makeEntry(), k.key);
    await record(
      clone,
      makeEntry({
        tag: 'v1.2.4',
        run_id: 102,
        timestamp: '2025-11-24T11:00:00Z',
        status: 'failure',
        artifact_url: null,
        failure_reason: 'tests failed',
      }),
      k.key,
    );
    const witnessed = await cloneRemote(remote, join(tmp.path, 'witnessed'));
    expect((await check(witnessed, k.pub)).code).toBe(0);

    // the attacker's forged state of run 102 (failure -> success), signed with a key of their own in
    // a copy of the ledger, with the commit message (trailers and Manifest-Sha256) `record` wrote there
    const evil = await keygen('evil');
    const copy = join(tmp.path, 'copy.git');
    await git(tmp.path, ['clone', '-q', '--bare', remote, copy]);
    const copyClone = await cloneRemote(copy, join(tmp.path, 'copy'));
    await record(
      copyClone,
      makeEntry({ tag: 'v1.2.4', run_id: 102, timestamp: '2025-11-24T11:30:00Z' }),
      evil.key,
    );

    const attacker = await cloneRemote(remote, join(tmp.path, 'attacker'));
    const honest = await git(attacker, ['rev-parse', 'HEAD']);
    // the honest log kept where nobody reads it, at a path ending in /manifest.json
    await mkdir(join(attacker, 'notes'));
    await writeFile(join(attacker, 'notes', 'manifest.json'), (await showFile(attacker, 'HEAD', LOG))!);
    await git(attacker, ['add', 'notes']);
    await git(attacker, ['commit', '-qm', 'docs: notes']);
    const notes = await git(attacker, ['rev-parse', 'HEAD']);
    await writeFile(join(attacker, DAY), (await showFile(copyClone, 'HEAD', DAY))!);
    await writeFile(join(attacker, LOG), (await showFile(copyClone, 'HEAD', LOG))!);
    // sorted just before the day file, its two line breaks once shifted git's answers by two: the
    // day file was read as `<honest>:DAY` and its log as `<notes>:notes/manifest.json`
    const planted = `docs/reports/2025-11-24\n${honest}:${DAY}\n${notes}:notes`;
    await mkdir(join(attacker, planted), { recursive: true });
    await writeFile(join(attacker, planted, 'manifest.json'), '[]\n');
    await git(attacker, ['add', '-A', 'docs']);
    await git(attacker, ['commit', '-qm', await git(copyClone, ['log', '-1', '--format=%B'])]);
    await git(attacker, ['push', '-q', 'origin', 'HEAD:main']);

    const fresh = await cloneRemote(remote, join(tmp.path, 'fresh'));
    for (const reader of [fresh, witnessed]) {
      const found = await check(reader, k.pub);
      expect(found.code).toBe(1);
      expect(found.codes).toContain('CHECK_SIGNER_UNTRUSTED');
    }
    // the database copy reads the same way: the forged state is never `verified`
    const dataDir = join(tmp.path, 'db');
    const ingest = await runCliCaptured(
      [
        'ingest',
        '--json',
        '--repo',
        fresh,
        '--ledger',
        'acme/ledger',
        '--data-dir',
        dataDir,
        '--trust-key',
        k.pub,
      ],
      { env },
    );
    expect(ingest.code, ingest.stdout + ingest.stderr).toBe(0);
    const { PGlite } = await import('@electric-sql/pglite');
    const db = new PGlite(dataDir);
    const rows = await db.query<{ run_id: number; status: string; signature_status: string }>(
      'SELECT run_id, status, signature_status FROM public.slsa_runs ORDER BY run_id',
    );
    await db.close();
    expect(rows.rows.map((r) => [Number(r.run_id), r.status, r.signature_status])).toEqual([
      [101, 'success', 'verified'],
      [102, 'success', 'untrusted'],
    ]);
  });

  it.each([
    ['the log', LOG],
    ['the whole day folder', 'docs/reports/2025-11-24'],
  ])('attack: a submodule (gitlink) where %s was is a rewrite, never read as absent', async (_name, path) => {
    const k = await keygen('ledger');
    const clone = await cloneRemote(remote, join(tmp.path, 'clone'));
    await record(clone, makeEntry(), k.key);
    const attacker = await cloneRemote(remote, join(tmp.path, 'attacker'));
    const head = await git(attacker, ['rev-parse', 'HEAD']);
    await git(attacker, ['rm', '-rq', '--cached', path]);
    await git(attacker, ['update-index', '--add', '--cacheinfo', `160000,${head},${path}`]);
    await git(attacker, ['commit', '-qm', 'submodule']);
    await git(attacker, ['push', '-q', 'origin', 'HEAD:main']);
    const found = await check(await cloneRemote(remote, join(tmp.path, 'fresh')), k.pub);
    expect(found.code).toBe(1);
    expect(found.codes).toContain('CHECK_HISTORY_REWRITTEN');
  });
});
