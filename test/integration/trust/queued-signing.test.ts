// What a refused writer queues is signed and complete (issue 14 items 2, 3, 6): a verdict queued on
// a refused push carries the VSA its statement binds, and flush lands both; an entry recorded while
// the remote is unreachable is signed at the last head the clone saw, never queued unsigned.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../support/cli.js';
import {
  cloneRemote,
  createRemote,
  git,
  installFreezeHook,
  makeTempDir,
  removeFreezeHook,
  showFile,
} from '../../support/git.js';
import { makeEntry } from '../../support/ledger.js';
import { makeRelease } from '../../support/release-fixture.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let env: Record<string, string | undefined>;

beforeEach(async () => {
  tmp = await makeTempDir('slsa-ledger-queued-signing-');
  env = { PATH: process.env.PATH, HOME: process.env.HOME, SLSA_LEDGER_LOCK_DIR: join(tmp.path, 'locks') };
});
afterEach(() => tmp.cleanup());

async function keygen(name: string, type = 'ed25519'): Promise<{ key: string; pub: string }> {
  const key = join(tmp.path, `${name}.key`);
  const r = await runCliCaptured(['keygen', '--type', type, '--out', key, '--json'], { env });
  expect(r.code, r.stderr).toBe(0);
  return { key, pub: join(tmp.path, `${name}.pub`) };
}

/** The checker's own config: who may write what. */
async function checker(policy: Record<string, string>, kinds: Record<string, string[]>): Promise<string> {
  const dir = join(tmp.path, `checker-${Math.random().toString(16).slice(2)}`);
  await mkdir(dir, { recursive: true });
  const signers = Object.entries(policy)
    .map(([name, pub]) => `    ${name}: { key: ${pub} }`)
    .join('\n');
  const lists = Object.entries(kinds)
    .map(([kind, names]) => `  ${kind}: [${names.join(', ')}]`)
    .join('\n');
  await writeFile(join(dir, '.slsa-ledger.yml'), `trust:\n  signers:\n${signers}\n${lists}\n`);
  return dir;
}

const queueFile = (clone: string) => join(clone, 'out/provenance/queued-manifest.json');

describe('a queued verdict carries its VSA', () => {
  let release: Awaited<ReturnType<typeof makeRelease>>;
  let vremote: string;
  let vclone: string;
  let provenance: { key: string; pub: string };
  let validator: { key: string; pub: string };
  let cfg: string;

  beforeEach(async () => {
    release = await makeRelease();
    vremote = await createRemote(release.dir);
    vclone = await cloneRemote(vremote, join(release.dir, 'clone'));
    provenance = await keygen('provenance');
    validator = await keygen('validator', 'p256');
    cfg = await checker(
      { provenance: provenance.pub, validator: validator.pub },
      { record: ['provenance'], update: ['provenance'], verdict: ['validator'] },
    );
    await writeFile(join(release.dir, 'entry.json'), JSON.stringify(release.entry));
    const seeded = await runCliCaptured(
      [
        'record',
        '--sign-key',
        provenance.key,
        '--json',
        '--repo',
        vclone,
        '--entry',
        join(release.dir, 'entry.json'),
      ],
      { env },
    );
    expect(seeded.code, seeded.stdout + seeded.stderr).toBe(0);
    await git(vclone, ['pull', '-q', 'origin', 'main']);
    // the push of the verdict is refused: it queues (exit 75)
    await installFreezeHook(vremote);
    const queued = await runCliCaptured(
      [
        'validate',
        '--json',
        '--tag',
        'v1.2.3',
        '--repo',
        'clone',
        '--key',
        'signing.pub',
        '--artifact',
        'app.tgz',
        '--provenance',
        'app.intoto.json',
        '--record',
        '--sign-key',
        validator.key,
      ],
      { env, cwd: release.dir },
    );
    expect(queued.code, queued.stdout + queued.stderr).toBe(75);
    await removeFreezeHook(vremote);
  });
  afterEach(() => rm(release.dir, { recursive: true, force: true }));

  const flush = (...flags: string[]) =>
    runCliCaptured(['flush', '--json', '--repo', vclone, '--sign-key', validator.key, ...flags], {
      env,
      cwd: cfg,
    });

  it('flush lands the verdict and its VSA as signed; check under the policy is clean', async () => {
    const queue = JSON.parse(await readFile(queueFile(vclone), 'utf8'));
    expect(queue).toHaveLength(1);
    expect(queue[0].transition.dsseEnvelope).toBeDefined();
    expect(queue[0].vsa.dsseEnvelope).toBeDefined();
    const landed = await flush();
    expect(landed.code, landed.stdout + landed.stderr).toBe(0);
    expect(landed.json().result).toMatchObject({ landed: 1, remaining: 0 });
    const day = release.entry.timestamp.slice(0, 10);
    expect(await showFile(vremote, 'main', `docs/reports/${day}/vsa.jsonl`)).toBe(
      `${JSON.stringify(queue[0].vsa)}\n`,
    );
    await git(vclone, ['fetch', '-q', 'origin']);
    const checked = await runCliCaptured(['check', '--json', '--repo', vclone, '--ref', 'origin/main'], {
      env,
      cwd: cfg,
    });
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
  });

  it('attack: a queued verdict whose VSA was removed or swapped is never landed (FLUSH_ENTRY_UNTRUSTED)', async () => {
    const queue = JSON.parse(await readFile(queueFile(vclone), 'utf8'));
    const before = await git(vremote, ['rev-parse', 'main']);
    for (const tampered of [
      // removed
      (() => {
        const { vsa: _vsa, ...rest } = queue[0];
        return rest;
      })(),
      // swapped for the transition's own bundle (validly signed by the validator, but not the VSA)
      { ...queue[0], vsa: queue[0].transition },
    ]) {
      await writeFile(queueFile(vclone), `${JSON.stringify([tampered], null, 2)}\n`);
      const r = await flush();
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(JSON.stringify(r.json())).toContain('FLUSH_ENTRY_UNTRUSTED');
      expect(await git(vremote, ['rev-parse', 'main'])).toBe(before);
      expect(JSON.parse(await readFile(queueFile(vclone), 'utf8'))).toHaveLength(1);
    }
  });
});

describe('an entry refused before any merge is queued signed', () => {
  it('remote unreachable: signed at the last head the clone saw; flush lands it as signed; check is clean', async () => {
    const remote = await createRemote(tmp.path);
    const clone = await cloneRemote(remote, join(tmp.path, 'clone'));
    const k = await keygen('ledger', 'p256');
    const cfg = await checker({ ledger: k.pub }, { record: ['ledger'], update: ['ledger'] });
    const record = async (entry: unknown) => {
      const file = join(tmp.path, `entry-${Math.random().toString(16).slice(2)}.json`);
      await writeFile(file, JSON.stringify(entry));
      return runCliCaptured(['record', '--json', '--repo', clone, '--entry', file, '--sign-key', k.key], {
        env,
      });
    };
    expect((await record(makeEntry({ run_id: 1 }))).code).toBe(0);
    // the remote goes away (the same URL, so the ledger's identity does not change)
    await rename(remote, `${remote}.away`);
    const first = makeEntry({ run_id: 2, timestamp: '2025-11-24T10:05:00Z' });
    const update = makeEntry({
      run_id: 1,
      timestamp: '2025-11-24T10:06:00Z',
      metrics: { artifact_upload_latency_s: 3 },
    });
    for (const e of [first, update]) {
      const r = await record(e);
      expect(r.code, r.stdout + r.stderr).toBe(75);
      expect(r.json().result.queue).toBeDefined();
    }
    const queue = JSON.parse(await readFile(queueFile(clone), 'utf8'));
    expect(queue).toHaveLength(2);
    for (const item of queue) expect(item.transition?.dsseEnvelope, JSON.stringify(item)).toBeDefined();
    await rename(`${remote}.away`, remote);
    const flushed = await runCliCaptured(['flush', '--json', '--repo', clone, '--sign-key', k.key], {
      env,
      cwd: cfg,
    });
    expect(flushed.code, flushed.stdout + flushed.stderr).toBe(0);
    expect(flushed.json().result).toMatchObject({ landed: 2, remaining: 0 });
    await git(clone, ['fetch', '-q', 'origin']);
    const checked = await runCliCaptured(['check', '--json', '--repo', clone, '--ref', 'origin/main'], {
      env,
      cwd: cfg,
    });
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
  });
});
