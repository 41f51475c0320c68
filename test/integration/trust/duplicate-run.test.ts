// The sixteenth session's ingest audit: a run copied into another day file. `ingest` computed each
// run's signature status over every day of the commit, keyed by tag and run id alone, and gave it
// to whichever copy it stored. A pusher who put a forged copy of a signed run (failure -> success)
// into an earlier day file had it stored, by the next incremental ingest (which reads only that
// file), as `verified`: the status of the honest copy in its signed day. Each copy now gets the
// status of its own day file (`check` reports the copy as CHECK_DUPLICATE_KEY).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serializeManifest } from '../../../src/core/ledger/entry.js';
import { runCliCaptured } from '../../support/cli.js';
import { cloneRemote, createRemote, git, makeTempDir } from '../../support/git.js';
import { makeEntry } from '../../support/ledger.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let env: Record<string, string | undefined>;

beforeEach(async () => {
  tmp = await makeTempDir('slsa-ledger-dup-run-');
  env = { PATH: process.env.PATH, HOME: process.env.HOME, SLSA_LEDGER_LOCK_DIR: join(tmp.path, 'locks') };
});
afterEach(() => tmp.cleanup());

describe('a signed run copied into another day file', () => {
  it('attack: the forged copy is never stored as verified by an incremental ingest', async () => {
    const remote = await createRemote(tmp.path);
    const key = join(tmp.path, 'ledger.key');
    expect(
      (await runCliCaptured(['keygen', '--type', 'ed25519', '--out', key, '--json'], { env })).code,
    ).toBe(0);
    const clone = await cloneRemote(remote, join(tmp.path, 'clone'));
    const honest = makeEntry({
      tag: 'v1.2.4',
      run_id: 102,
      timestamp: '2025-11-24T11:00:00Z',
      status: 'failure',
      artifact_url: null,
      failure_reason: 'tests failed',
    });
    const entryFile = join(tmp.path, 'entry.json');
    await writeFile(entryFile, JSON.stringify(honest));
    const recorded = await runCliCaptured(
      ['record', '--json', '--repo', clone, '--entry', entryFile, '--sign-key', key],
      { env },
    );
    expect(recorded.code, recorded.stderr).toBe(0);

    const dataDir = join(tmp.path, 'db');
    const reader = await cloneRemote(remote, join(tmp.path, 'reader'));
    const ingest = () =>
      runCliCaptured(
        ['ingest', '--json', '--repo', reader, '--ledger', 'acme/ledger', '--data-dir', dataDir].concat([
          '--trust-key',
          join(tmp.path, 'ledger.pub'),
        ]),
        { env },
      );
    const first = await ingest();
    expect(first.code, first.stdout + first.stderr).toBe(0);

    // the pusher: a forged copy (failure -> success) in an earlier day file, by a plain commit
    const attacker = await cloneRemote(remote, join(tmp.path, 'attacker'));
    const forged = makeEntry({ tag: 'v1.2.4', run_id: 102, timestamp: '2025-11-24T11:00:00Z' });
    await mkdir(join(attacker, 'docs/reports/2025-11-20'), { recursive: true });
    await writeFile(join(attacker, 'docs/reports/2025-11-20/manifest.json'), serializeManifest([forged]));
    await git(attacker, ['add', '-A', 'docs']);
    await git(attacker, ['commit', '-qm', 'provenance: record']);
    await git(attacker, ['push', '-q', 'origin', 'HEAD:main']);

    const second = await ingest();
    expect(second.code, second.stdout + second.stderr).toBe(0);
    const { PGlite } = await import('@electric-sql/pglite');
    const db = new PGlite(dataDir);
    const rows = await db.query<{ status: string; signature_status: string; manifest_path: string }>(
      'SELECT status, signature_status, manifest_path FROM public.slsa_runs WHERE run_id = 102',
    );
    await db.close();
    expect(rows.rows).toEqual([
      {
        status: 'success',
        signature_status: 'unsigned',
        manifest_path: 'docs/reports/2025-11-20/manifest.json',
      },
    ]);

    // a full read sees both copies: the later day file's is stored (the honest one here, verified),
    // and the other is said, never dropped silently
    const full = await runCliCaptured(
      [
        'ingest',
        '--json',
        '--full',
        '--repo',
        reader,
        '--ledger',
        'acme/ledger',
        '--data-dir',
        dataDir,
      ].concat(['--trust-key', join(tmp.path, 'ledger.pub')]),
      { env },
    );
    expect(full.code, full.stdout + full.stderr).toBe(0);
    expect(JSON.stringify(full.json().result)).toContain(
      JSON.stringify({
        tag: 'v1.2.4',
        run_id: 102,
        stored: 'docs/reports/2025-11-24/manifest.json',
        dropped: 'docs/reports/2025-11-20/manifest.json',
      }),
    );
    expect(full.stderr).toContain('v1.2.4 run 102 is in two day files (CHECK_DUPLICATE_KEY)');
    const again = new PGlite(dataDir);
    const after = await again.query<{ status: string; signature_status: string }>(
      'SELECT status, signature_status FROM public.slsa_runs WHERE run_id = 102',
    );
    await again.close();
    expect(after.rows).toEqual([{ status: 'failure', signature_status: 'verified' }]);
  }, 120_000);
});
