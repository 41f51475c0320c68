// The signed ledger end to end through the CLI (issue 14 items 2, 4, 6): `record`, `flush` and
// `validate --record` sign with `--sign-key` (made by `keygen`), refuse to write without a sign mode
// outside GitHub Actions, store the bundles beside the day file, and `check` verifies them under a
// policy given by `--trust-key` or the checker's `.slsa-ledger.yml`.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkLedgerTrust, loadCheckerTrust } from '../../../src/app/check-trust.js';
import { ledgerIdentity } from '../../../src/app/ledger-signing.js';
import { parseLedgerLog } from '../../../src/core/ledger-trust/storage.js';
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
import { VALIDATE_VERIFIER_ID } from '../../../src/core/vsa/verdict.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let remote: string;
let clone: string;
let env: Record<string, string | undefined>;
const DAY = 'docs/reports/2025-11-24/manifest.json';
const LOG = 'docs/reports/2025-11-24/transitions.jsonl';

async function keygen(name: string, type = 'ed25519'): Promise<{ key: string; pub: string }> {
  const key = join(tmp.path, `${name}.key`);
  const r = await runCliCaptured(['keygen', '--type', type, '--out', key, '--json'], { env });
  expect(r.code, r.stderr).toBe(0);
  return { key, pub: join(tmp.path, `${name}.pub`) };
}

async function record(entry: unknown, ...flags: string[]) {
  const file = join(tmp.path, `entry-${Math.random().toString(16).slice(2)}.json`);
  await writeFile(file, JSON.stringify(entry));
  return runCliCaptured(['record', '--json', '--repo', clone, '--entry', file, ...flags], { env });
}

async function audit(trustKeys: string[]) {
  await git(clone, ['fetch', '-q', 'origin']);
  const commit = await git(clone, ['rev-parse', 'origin/main']);
  const trust = await loadCheckerTrust({ cwd: tmp.path, trustKeys });
  return checkLedgerTrust({
    repoDir: clone,
    commit,
    reportsDir: 'docs/reports',
    trust: trust!,
    location: ledgerIdentity(remote, 'main'),
  });
}

/**
 * One key signs for two ledgers (an organisation's key): run 101 recorded here, run 909 in
 * another repository's ledger, then a pusher appends that entry and its signed transition here.
 */
async function replayAnotherLedgersEntry() {
  const k = await keygen('ledger');
  expect((await record(makeEntry(), '--sign-key', k.key)).code).toBe(0);
  const otherRemote = await createRemote(tmp.path, 'other.git');
  const other = await cloneRemote(otherRemote, join(tmp.path, 'other'));
  const file = join(tmp.path, 'other-entry.json');
  await writeFile(file, JSON.stringify(makeEntry({ tag: 'v9.9.9', run_id: 909 })));
  const r = await runCliCaptured(
    ['record', '--json', '--repo', other, '--entry', file, '--sign-key', k.key],
    { env },
  );
  expect(r.code, r.stderr).toBe(0);
  const attacker = await cloneRemote(remote, join(tmp.path, 'attacker'));
  const theirs = JSON.parse((await showFile(otherRemote, 'main', DAY))!) as unknown[];
  const day = [...(JSON.parse(await readFile(join(attacker, DAY), 'utf8')) as unknown[]), ...theirs];
  await writeFile(join(attacker, DAY), `${JSON.stringify(day, null, 2)}\n`);
  await writeFile(
    join(attacker, LOG),
    `${await readFile(join(attacker, LOG), 'utf8')}${(await showFile(otherRemote, 'main', LOG))!}`,
  );
  await git(attacker, ['commit', '-qam', 'replay']);
  await git(attacker, ['push', '-q', 'origin', 'HEAD:main']);
  return k;
}

beforeEach(async () => {
  tmp = await makeTempDir('slsa-ledger-trust-wiring-');
  remote = await createRemote(tmp.path);
  clone = await cloneRemote(remote, join(tmp.path, 'clone'));
  env = { PATH: process.env.PATH, HOME: process.env.HOME, SLSA_LEDGER_LOCK_DIR: join(tmp.path, 'locks') };
});
afterEach(() => tmp.cleanup());

describe('signing in the writers', () => {
  it('record --sign-key signs every change; the bundles sit beside the day file, append-only', async () => {
    const k = await keygen('ledger');
    const first = await record(makeEntry(), '--sign-key', k.key);
    expect(first.code, first.stderr).toBe(0);
    const log1 = (await showFile(remote, 'main', LOG))!;
    expect(parseLedgerLog(log1, LOG).lines).toHaveLength(1);
    const update = await record(
      makeEntry({ timestamp: '2025-11-24T12:05:00Z', governance_flag: 'provenance-ready' }),
      '--sign-key',
      k.key,
    );
    expect(update.code, update.stderr).toBe(0);
    const log2 = (await showFile(remote, 'main', LOG))!;
    expect(log2.startsWith(log1)).toBe(true);
    expect(parseLedgerLog(log2, LOG).lines).toHaveLength(2);
    // one commit per change: the day file and its log together (and the key index's LAST, which
    // every writer commit rewrites: an update changes no shard)
    const files = await git(remote, ['show', '--name-only', '--format=', 'main']);
    expect(files.split('\n').sort()).toEqual([DAY, LOG, 'docs/reports/index/LAST']);

    const result = await audit([k.pub]);
    expect(result.findings).toEqual([]);
    expect(result.entries.map((e) => [e.run_id, e.status, e.transitions])).toEqual([[101, 'verified', 2]]);
  });

  it('no sign mode outside GitHub Actions: TRUST_SIGN_MODE_REQUIRED, exit 2, nothing written', async () => {
    const before = await git(remote, ['for-each-ref']);
    const r = await record(makeEntry());
    expect(r.code).toBe(2);
    expect(r.json().error!.code).toBe('TRUST_SIGN_MODE_REQUIRED');
    const flush = await runCliCaptured(['flush', '--json', '--repo', clone], { env });
    expect(flush.json().error!.code).toBe('TRUST_SIGN_MODE_REQUIRED');
    const both = await record(makeEntry(), '--no-sign', '--sign', 'sigstore');
    expect(both.json().error!.code).toBe('USAGE_INVALID_FLAG');
    const badKey = join(tmp.path, 'bad.key');
    await writeFile(badKey, '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
    const bad = await record(makeEntry(), '--sign-key', badKey);
    expect(bad.code).toBe(3);
    expect(bad.json().error!.code).toBe('INPUT_KEY_INVALID');
    expect(bad.stdout + bad.stderr).not.toContain('AAAA');
    expect(await git(remote, ['for-each-ref'])).toBe(before);
  });

  it('--no-sign writes the entry unsigned, and check with a policy reports CHECK_ENTRY_UNSIGNED', async () => {
    const k = await keygen('ledger');
    expect((await record(makeEntry(), '--no-sign')).code).toBe(0);
    expect(await showFile(remote, 'main', LOG)).toBeUndefined();
    const result = await audit([k.pub]);
    expect(result.findings.map((f) => f.code)).toContain('CHECK_ENTRY_UNSIGNED');
    expect(result.entries[0]!.status).toBe('unsigned');
  });

  it('a refused push queues the entry with its signed statement; flush lands it as signed', async () => {
    const k = await keygen('ledger', 'p256');
    expect((await record(makeEntry({ run_id: 1 }), '--sign-key', k.key)).code).toBe(0);
    await installFreezeHook(remote);
    const queued = await record(makeEntry({ run_id: 2 }), '--sign-key', k.key);
    expect(queued.code).toBe(75);
    const queue = JSON.parse(await readFile(join(clone, 'out/provenance/queued-manifest.json'), 'utf8'));
    expect(queue[0].transition.dsseEnvelope).toBeDefined();
    await removeFreezeHook(remote);
    await mkdir(join(tmp.path, 'cfg'), { recursive: true });
    const flush = await runCliCaptured(
      ['flush', '--json', '--repo', clone, '--sign-key', k.key, '--trust-key', k.pub],
      { env },
    );
    expect(flush.code, flush.stdout + flush.stderr).toBe(0);
    expect(flush.json().result).toMatchObject({ landed: 1, remaining: 0 });
    const result = await audit([k.pub]);
    expect(result.findings).toEqual([]);
    expect(result.entries.map((e) => e.status)).toEqual(['verified', 'verified']);
  });

  it('attack: the earlier of two same-second signed states, replayed through the queue branch, does not roll the run back', async () => {
    const k = await keygen('ledger');
    const recorded = makeEntry({ governance_flag: 'provenance-ready' });
    // a record and an update of one run signed within the same second (timestamps tie)
    expect((await record(recorded, '--sign-key', k.key)).code).toBe(0);
    const failed = makeEntry({
      governance_flag: 'provenance-ready',
      status: 'failure',
      artifact_url: null,
      failure_reason: 'upload timed out',
    });
    expect((await record(failed, '--sign-key', k.key)).code).toBe(0);
    // the chain orders the pair: no finding
    expect((await audit([k.pub])).findings).toEqual([]);
    // the attacker copies the record's bundle from the ledger's own log onto the queue branch
    const [recordLine] = parseLedgerLog((await showFile(remote, 'main', LOG))!, LOG).lines;
    const [signedRecord] = JSON.parse((await showFile(remote, 'main~1', DAY))!) as unknown[];
    const attacker = await cloneRemote(remote, join(tmp.path, 'attacker'));
    await git(attacker, ['checkout', '-q', '--orphan', 'provenance-queue']);
    await git(attacker, ['rm', '-q', '-rf', '.']);
    const qpath = 'docs/reports/2025-11-24/manifest-queue.json';
    await mkdir(join(attacker, 'docs/reports/2025-11-24'), { recursive: true });
    await writeFile(
      join(attacker, qpath),
      JSON.stringify(
        [
          {
            entry: signedRecord,
            reason: 'x',
            queued_at: '2025-11-24T10:00:00Z',
            attempts: 1,
            transition: recordLine!.bundle,
          },
        ],
        null,
        2,
      ) + '\n',
    );
    await git(attacker, ['add', '-A']);
    await git(attacker, ['commit', '-qm', 'queue']);
    await git(attacker, ['push', '-q', 'origin', 'provenance-queue']);
    const before = await git(remote, ['rev-parse', 'main']);
    const flush = await runCliCaptured(
      ['flush', '--json', '--repo', clone, '--sign-key', k.key, '--trust-key', k.pub],
      { env },
    );
    expect(flush.code, flush.stdout + flush.stderr).toBe(0);
    expect(flush.json().result).toMatchObject({ landed: 1, remaining: 0, items: [{ outcome: 'stale' }] });
    // nothing written: the run keeps its later state
    expect(await git(remote, ['rev-parse', 'main'])).toBe(before);
    const day = JSON.parse((await showFile(remote, 'main', DAY))!) as { status: string }[];
    expect(day.map((e) => e.status)).toEqual(['failure']);
  });

  it('attack: an entry pushed to the provenance-queue branch by anyone is never landed (FLUSH_ENTRY_UNTRUSTED)', async () => {
    const k = await keygen('ledger');
    const stranger = await keygen('stranger');
    expect((await record(makeEntry({ run_id: 1 }), '--sign-key', k.key)).code).toBe(0);
    // the attacker queues a `validated` entry unsigned, and one signed with their own key
    const forged = makeEntry({
      run_id: 1,
      timestamp: '2025-11-24T13:00:00Z',
      governance_flag: 'validated',
      validation: { status: 'passed', validated_at: '2025-11-24T13:00:00Z', validator_run_id: 1 },
    });
    await installFreezeHook(remote);
    expect((await record(makeEntry({ run_id: 9 }), '--sign-key', stranger.key)).code).toBe(75);
    await removeFreezeHook(remote);
    const attacker = await cloneRemote(remote, join(tmp.path, 'attacker'));
    await git(attacker, ['fetch', '-q', 'origin', 'provenance-queue:provenance-queue']);
    await git(attacker, ['checkout', '-q', 'provenance-queue']);
    const qpath = 'docs/reports/2025-11-24/manifest-queue.json';
    const items = JSON.parse(await readFile(join(attacker, qpath), 'utf8'));
    items.push({ entry: forged, reason: 'x', queued_at: '2025-11-24T13:00:00Z', attempts: 1 });
    await writeFile(join(attacker, qpath), JSON.stringify(items, null, 2) + '\n');
    await git(attacker, ['commit', '-qam', 'queue']);
    await git(attacker, ['push', '-q', 'origin', 'provenance-queue']);
    // the writer's local queue is gone: only the branch holds the items
    await writeFile(join(clone, 'out/provenance/queued-manifest.json'), '[]\n');
    const before = await git(remote, ['rev-parse', 'main']);
    const flush = await runCliCaptured(
      ['flush', '--json', '--repo', clone, '--sign-key', k.key, '--trust-key', k.pub],
      { env },
    );
    expect(flush.code, flush.stdout + flush.stderr).toBe(1);
    // exit 1 is an error: ok false, the code, and the result in the details (as ingest reports)
    const out = flush.json();
    expect(out).toMatchObject({ ok: false, error: { code: 'FLUSH_ENTRY_UNTRUSTED' } });
    const result = out.error!.details.result as { items: { code: string }[] };
    expect(result).toMatchObject({ landed: 0, remaining: 2, untrusted: 2 });
    expect(result.items.map((i: { code: string }) => i.code)).toEqual([
      'FLUSH_ENTRY_UNTRUSTED',
      'FLUSH_ENTRY_UNTRUSTED',
    ]);
    expect(await git(remote, ['rev-parse', 'main'])).toBe(before);
    // left where they are
    const left = JSON.parse((await showFile(remote, 'provenance-queue', qpath))!);
    expect(left).toHaveLength(2);
  });
});

describe('check verifies who wrote what', () => {
  async function check(cwd: string, ...flags: string[]) {
    await git(clone, ['fetch', '-q', 'origin']);
    return runCliCaptured(['check', '--json', '--repo', clone, '--ref', 'origin/main', ...flags], {
      env,
      cwd,
    });
  }

  it('attack: forged trailers (sha edited, Manifest-Sha256 recomputed) pass today, CHECK_ENTRY_UNSIGNED now', async () => {
    const k = await keygen('ledger');
    expect((await record(makeEntry(), '--sign-key', k.key)).code).toBe(0);
    const clean = await check(tmp.path, '--trust-key', k.pub);
    expect(clean.code, clean.stdout).toBe(0);

    const attacker = await cloneRemote(remote, join(tmp.path, 'attacker'));
    const day = JSON.parse(await readFile(join(attacker, DAY), 'utf8'));
    day[0].sha = 'b'.repeat(40);
    day[0].artifact_url = 'https://evil.example/app.tgz';
    const text = `${JSON.stringify(day, null, 2)}\n`;
    await writeFile(join(attacker, DAY), text);
    const { createHash } = await import('node:crypto');
    const sum = createHash('sha256').update(text).digest('hex');
    await git(attacker, [
      'commit',
      '-qam',
      `provenance: record v1.2.3 (run 101, success)\n\nProvenance-Run-Id: 101\nProvenance-Tag: v1.2.3\nManifest-Path: ${DAY}\nManifest-Sha256: ${sum}`,
    ]);
    await git(attacker, ['push', '-q', 'origin', 'HEAD:main']);

    const found = await check(tmp.path, '--trust-key', k.pub);
    expect(found.code).toBe(1);
    const codes = (found.json().error!.details.findings as { code: string }[]).map((f) => f.code);
    expect(codes).toContain('CHECK_ENTRY_UNSIGNED');
  });

  it('attack: a change made and undone without a signature is reported under a policy, even after a check without one moved the witness past it', async () => {
    const k = await keygen('ledger');
    expect((await record(makeEntry(), '--sign-key', k.key)).code).toBe(0);
    expect((await check(tmp.path, '--trust-key', k.pub)).code).toBe(0);

    // a pusher points the release at another artifact for one commit, then puts it back
    const attacker = await cloneRemote(remote, join(tmp.path, 'attacker'));
    const signed = await readFile(join(attacker, DAY), 'utf8');
    const day = JSON.parse(signed);
    day[0].artifact_url = 'https://evil.example/app.tgz';
    await writeFile(join(attacker, DAY), `${JSON.stringify(day, null, 2)}\n`);
    await git(attacker, ['commit', '-qam', 'provenance: record v1.2.3 (run 101, success)']);
    await writeFile(join(attacker, DAY), signed);
    await git(attacker, ['commit', '-qam', 'provenance: record v1.2.3 (run 101, success)']);
    await git(attacker, ['push', '-q', 'origin', 'HEAD:main']);

    const codesOf = (r: Awaited<ReturnType<typeof check>>) =>
      ((r.json().error?.details.findings ?? []) as { code: string }[]).map((f) => f.code);
    const witnessFile = join(clone, '.git', 'slsa-ledger', 'check-witness.json');
    const heads = async () =>
      Object.values(
        (JSON.parse(await readFile(witnessFile, 'utf8')) as { heads: Record<string, unknown> }).heads,
      ) as { commit: string; trusted?: { policy: string; commit: string } }[];
    const [audited] = await heads();
    expect(audited?.trusted?.commit).toBe(audited?.commit);

    // a check without a policy audits bytes and history, not signers: the witness moves on, the
    // head last audited under the policy stays
    const plain = await check(tmp.path);
    expect(codesOf(plain)).not.toContain('CHECK_ENTRY_UNSIGNED');
    const [moved] = await heads();
    expect(moved?.commit).not.toBe(audited?.commit);
    expect(moved?.trusted).toEqual(audited?.trusted);

    // a signed record lands after it; under the policy the history since its last audit is read:
    // the unsigned change is reported (it was not: the audit started at the witness the check
    // without a policy had moved)
    expect((await record(makeEntry({ tag: 'v1.2.4', run_id: 102 }), '--sign-key', k.key)).code).toBe(0);
    const found = await check(tmp.path, '--trust-key', k.pub);
    expect(found.code).toBe(1);
    expect(codesOf(found)).toContain('CHECK_ENTRY_UNSIGNED');
    const [after] = await heads();
    expect(after?.trusted?.commit).toBe(after?.commit);
    expect(after?.commit).not.toBe(moved?.commit);

    // another policy (a second key allowed too) starts from the whole history again
    const k2 = await keygen('other');
    await check(tmp.path, '--trust-key', k.pub, '--trust-key', k2.pub);
    const [other] = await heads();
    expect(other?.trusted?.policy).not.toBe(after?.trusted?.policy);
  });

  it("attack: a transition signed for another repository's ledger, replayed here with its entry: CHECK_SIGNATURE_INVALID", async () => {
    // one key signs for two ledgers (an organisation's key); git before 2.43 once hid this ledger's
    // location from the audit (`rev-parse --end-of-options` echoed), so the binding was not checked
    const k = await replayAnotherLedgersEntry();

    const found = await check(tmp.path, '--trust-key', k.pub);
    expect(found.code).toBe(1);
    const findings = found.json().error!.details.findings as { code: string; run_id?: number }[];
    expect(findings).toContainEqual(
      expect.objectContaining({ code: 'CHECK_SIGNATURE_INVALID', run_id: 909 }),
    );
  });

  it('--ref COMMIT --branch B audits a detached commit as that ledger: the replayed transition is found, the bad flags refused', async () => {
    // a detached commit (a CI checkout by SHA) names no branch, so its statements were checked
    // against no location; `--branch` (and `--remote`) name the ledger it is read as
    const k = await replayAnotherLedgersEntry();
    await git(clone, ['fetch', '-q', 'origin']);
    const sha = await git(clone, ['rev-parse', 'origin/main']);
    const checkAt = (...flags: string[]) =>
      runCliCaptured(['check', '--json', '--repo', clone, '--ref', sha, '--trust-key', k.pub, ...flags], {
        env,
        cwd: tmp.path,
      });
    const runIds = (res: Awaited<ReturnType<typeof checkAt>>) =>
      ((res.json().error?.details.findings ?? []) as { code: string; run_id?: number }[])
        .filter((f) => f.code === 'CHECK_SIGNATURE_INVALID')
        .map((f) => f.run_id);

    // the commit alone: both transitions verify under the key, and nothing ties them to a ledger
    const unbound = await checkAt();
    expect(runIds(unbound)).not.toContain(909);

    const bound = await checkAt('--branch', 'main');
    expect(bound.code, bound.stdout + bound.stderr).toBe(1);
    expect(runIds(bound)).toEqual([909]);
    const named = await checkAt('--remote', 'origin', '--branch', 'main');
    expect(runIds(named)).toEqual([909]);
    // audited as another branch, this ledger's own statement is the stranger
    const elsewhere = await checkAt('--branch', 'release');
    expect(runIds(elsewhere)).toEqual(expect.arrayContaining([101, 909]));

    const noBranch = await checkAt('--remote', 'origin');
    expect(noBranch.code).toBe(2);
    expect(noBranch.json().error!.code).toBe('USAGE_MISSING_FLAG');
    const noRemote = await checkAt('--remote', 'upstream', '--branch', 'main');
    expect(noRemote.code).toBe(2);
    expect(noRemote.json().error!.code).toBe('LEDGER_REPO_INVALID');
  });

  it('attack: a fast-forward to a merge keeping the old head only as its second parent (a run dropped) is a rewrite for check and the writers', async () => {
    const k = await keygen('ledger');
    expect((await record(makeEntry(), '--sign-key', k.key)).code).toBe(0);
    const fork = await git(remote, ['rev-parse', 'main']);
    expect((await record(makeEntry({ tag: 'v1.2.4', run_id: 102 }), '--sign-key', k.key)).code).toBe(0);
    const clean = await check(tmp.path, '--trust-key', k.pub);
    expect(clean.code, clean.stdout).toBe(0);

    const attacker = await cloneRemote(remote, join(tmp.path, 'attacker'));
    const head = await git(attacker, ['rev-parse', 'HEAD']);
    const merge = await git(attacker, [
      'commit-tree',
      `${fork}^{tree}`,
      '-p',
      fork,
      '-p',
      head,
      '-m',
      'merge',
    ]);
    await git(attacker, ['push', '-q', 'origin', `${merge}:main`]); // no force needed

    for (let i = 0; i < 2; i += 1) {
      // the witness stays: the rewrite is reported again until someone looks
      const found = await check(tmp.path, '--trust-key', k.pub);
      expect(found.code).toBe(1);
      const codes = (found.json().error!.details.findings as { code: string }[]).map((f) => f.code);
      expect(codes).toContain('CHECK_HISTORY_REWRITTEN');
    }
    const queued = await record(makeEntry({ tag: 'v1.2.5', run_id: 103 }), '--sign-key', k.key);
    expect(queued.code, queued.stderr).toBe(75);
    expect(queued.json().result.queue.code).toBe('LEDGER_HISTORY_REWRITTEN');
    expect(await git(remote, ['rev-parse', 'main'])).toBe(merge);
  });

  it('attack: a plain commit cutting the log (a run rolled back to its earlier signed state) is reported until someone looks: the witness stays', async () => {
    const k = await keygen('ledger');
    const failed = makeEntry({
      status: 'failure',
      artifact_url: null,
      failure_reason: 'build broke',
      governance_flag: 'artifact-missing',
    });
    expect((await record(failed, '--sign-key', k.key)).code).toBe(0);
    const succeeded = makeEntry({ timestamp: '2025-11-24T10:10:00Z', governance_flag: 'provenance-ready' });
    expect((await record(succeeded, '--sign-key', k.key)).code).toBe(0);
    expect((await check(tmp.path, '--trust-key', k.pub)).code).toBe(0);

    const attacker = await cloneRemote(remote, join(tmp.path, 'attacker'));
    await writeFile(join(attacker, DAY), (await showFile(attacker, 'HEAD~1', DAY))!);
    await writeFile(join(attacker, LOG), (await showFile(attacker, 'HEAD~1', LOG))!);
    await git(attacker, ['commit', '-qam', 'provenance: record v1.2.3 (run 101, failure)']);
    await git(attacker, ['push', '-q', 'origin', 'HEAD:main']);

    for (let i = 0; i < 2; i += 1) {
      const found = await check(tmp.path, '--trust-key', k.pub);
      expect(found.code).toBe(1);
      const details = found.json().error!.details as {
        findings: { code: string }[];
        witness: { updated: boolean };
      };
      expect(details.findings.map((f) => f.code)).toContain('CHECK_HISTORY_REWRITTEN');
      expect(details.witness.updated).toBe(false);
    }
  });

  it("the policy comes from the checker's .slsa-ledger.yml: a signer not allowed for its kind is CHECK_SIGNER_UNTRUSTED", async () => {
    const provenance = await keygen('provenance');
    const validator = await keygen('validator');
    const cfg = join(tmp.path, 'checker');
    await mkdir(join(cfg, 'keys'), { recursive: true });
    await writeFile(join(cfg, 'keys/provenance.pub'), await readFile(provenance.pub));
    await writeFile(join(cfg, 'keys/validator.pub'), await readFile(validator.pub));
    await writeFile(
      join(cfg, '.slsa-ledger.yml'),
      [
        'trust:',
        '  signers:',
        '    provenance: { key: keys/provenance.pub }',
        '    validator: { key: keys/validator.pub }',
        '  record: [provenance]',
        '  update: [provenance]',
        '  verdict: [validator]',
        '',
      ].join('\n'),
    );
    expect((await record(makeEntry(), '--sign-key', provenance.key)).code).toBe(0);
    expect((await check(cfg)).code).toBe(0);
    // the validator's key records an update: not allowed for `update`
    expect(
      (
        await record(
          makeEntry({ timestamp: '2025-11-24T12:05:00Z', governance_flag: 'provenance-ready' }),
          '--sign-key',
          validator.key,
        )
      ).code,
    ).toBe(0);
    const found = await check(cfg);
    expect(found.code).toBe(1);
    const codes = (found.json().error!.details.findings as { code: string }[]).map((f) => f.code);
    expect(codes).toContain('CHECK_SIGNER_UNTRUSTED');
  });
});

describe('verdicts as SLSA VSAs', () => {
  it('validate --record signs the verdict and its VSA; the VSA round-trips through verify --vsa; check is clean', async () => {
    const release = await makeRelease();
    const vremote = await createRemote(release.dir);
    const vclone = await cloneRemote(vremote, join(release.dir, 'clone'));
    const provenance = await keygen('provenance');
    const validator = await keygen('validator', 'p256');
    const venv = { ...env, GITHUB_RUN_ID: '9001' };
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
      { env: venv },
    );
    expect(seeded.code, seeded.stdout + seeded.stderr).toBe(0);
    await git(vclone, ['pull', '-q', 'origin', 'main']);
    const vsaOut = join(release.dir, 'verdict.vsa.json');
    const passed = await runCliCaptured(
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
        '--vsa-out',
        vsaOut,
      ],
      { env: venv, cwd: release.dir },
    );
    expect(passed.code, passed.stdout + passed.stderr).toBe(0);
    expect(passed.json().result.recorded.vsa.file).toBe(vsaOut);

    // the VSA: the SLSA spec's fields
    const bundle = JSON.parse(await readFile(vsaOut, 'utf8'));
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
    expect(statement.predicateType).toBe('https://slsa.dev/verification_summary/v1');
    expect(Object.keys(statement.predicate).sort()).toEqual(
      [
        'inputAttestations',
        'policy',
        'resourceUri',
        'slsaVersion',
        'timeVerified',
        'verificationResult',
        'verifiedLevels',
        'verifier',
      ].sort(),
    );
    expect(statement.predicate.verificationResult).toBe('PASSED');
    expect(statement.predicate.policy.digest.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(statement.predicate.inputAttestations[0].digest.sha256).toMatch(/^[0-9a-f]{64}$/);
    const digest = statement.subject[0].digest.sha256;

    const verified = await runCliCaptured(
      [
        'verify',
        '--json',
        '--vsa',
        vsaOut,
        '--key',
        validator.pub,
        '--digest',
        `sha256:${digest}`,
        '--verifier-id',
        VALIDATE_VERIFIER_ID,
        '--resource-uri',
        statement.predicate.resourceUri,
      ],
      { env: venv, cwd: release.dir },
    );
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);

    // stored with the entry: vsa.jsonl beside the day file, bound by the verdict's transition
    const dayDir = release.entry.timestamp.slice(0, 10);
    const vsaLog = await showFile(vremote, 'main', `docs/reports/${dayDir}/vsa.jsonl`);
    expect(vsaLog).toBe(`${JSON.stringify(bundle)}\n`);
    const cfg = join(release.dir, 'checker');
    await mkdir(cfg, { recursive: true });
    await writeFile(
      join(cfg, '.slsa-ledger.yml'),
      `trust:\n  signers:\n    provenance: { key: ${provenance.pub} }\n    validator: { key: ${validator.pub} }\n  record: [provenance]\n  update: [provenance]\n  verdict: [validator]\n`,
    );
    await git(vclone, ['fetch', '-q', 'origin']);
    const checked = await runCliCaptured(['check', '--json', '--repo', vclone, '--ref', 'origin/main'], {
      env: venv,
      cwd: cfg,
    });
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
  });
});

describe('the database copy: signature_status', () => {
  it("ingest --trust-key stores each run's signature_status; a forged day file shows as unsigned", async () => {
    const k = await keygen('ledger');
    expect((await record(makeEntry({ run_id: 1 }), '--sign-key', k.key)).code).toBe(0);
    expect((await record(makeEntry({ run_id: 2 }), '--sign-key', k.key)).code).toBe(0);
    const dataDir = join(tmp.path, 'db');
    const ingest = async () => {
      await git(clone, ['pull', '-q', 'origin', 'main']);
      const r = await runCliCaptured(
        [
          'ingest',
          '--json',
          '--repo',
          clone,
          '--ledger',
          'acme/ledger',
          '--data-dir',
          dataDir,
          '--trust-key',
          k.pub,
        ],
        { env },
      );
      expect(r.code, r.stdout + r.stderr).toBe(0);
    };
    const statuses = async () => {
      const { PGlite } = await import('@electric-sql/pglite');
      const db = new PGlite(dataDir);
      const rows = await db.query<{ run_id: number; signature_status: string }>(
        'SELECT run_id, signature_status FROM public.slsa_runs ORDER BY run_id',
      );
      await db.close();
      return rows.rows.map((r) => [Number(r.run_id), r.signature_status]);
    };
    await ingest();
    expect(await statuses()).toEqual([
      [1, 'verified'],
      [2, 'verified'],
    ]);
    // a pusher rewrites run 2's artifact url without a signature
    const attacker = await cloneRemote(remote, join(tmp.path, 'attacker'));
    const day = JSON.parse(await readFile(join(attacker, DAY), 'utf8'));
    day[1].artifact_url = 'https://evil.example/app.tgz';
    await writeFile(join(attacker, DAY), `${JSON.stringify(day, null, 2)}\n`);
    await git(attacker, ['commit', '-qam', 'edit']);
    await git(attacker, ['push', '-q', 'origin', 'HEAD:main']);
    await ingest();
    expect(await statuses()).toEqual([
      [1, 'verified'],
      [2, 'unsigned'],
    ]);
  });

  it('attack: a plain commit cutting the log and putting a run back to its earlier signed state is a rewrite for ingest, not "verified"', async () => {
    const k = await keygen('ledger');
    const failed = makeEntry({
      status: 'failure',
      artifact_url: null,
      failure_reason: 'build broke',
      governance_flag: 'artifact-missing',
    });
    expect((await record(failed, '--sign-key', k.key)).code).toBe(0);
    const succeeded = makeEntry({ timestamp: '2025-11-24T10:10:00Z', governance_flag: 'provenance-ready' });
    expect((await record(succeeded, '--sign-key', k.key)).code).toBe(0);
    const dataDir = join(tmp.path, 'db');
    const ingest = async () => {
      await git(clone, ['pull', '-q', 'origin', 'main']);
      return runCliCaptured(
        [
          'ingest',
          '--json',
          '--repo',
          clone,
          '--ledger',
          'acme/ledger',
          '--data-dir',
          dataDir,
          '--trust-key',
          k.pub,
        ],
        { env },
      );
    };
    const rows = async () => {
      const { PGlite } = await import('@electric-sql/pglite');
      const db = new PGlite(dataDir);
      const r = await db.query<{ status: string; signature_status: string }>(
        'SELECT status, signature_status FROM public.slsa_runs',
      );
      await db.close();
      return r.rows.map((x) => [x.status, x.signature_status]);
    };
    expect((await ingest()).code).toBe(0);
    expect(await rows()).toEqual([['success', 'verified']]);

    // the pusher: the log's last line cut, the entry back to its record (a fast-forward push)
    const attacker = await cloneRemote(remote, join(tmp.path, 'attacker'));
    await writeFile(join(attacker, DAY), (await showFile(attacker, 'HEAD~1', DAY))!);
    await writeFile(join(attacker, LOG), (await showFile(attacker, 'HEAD~1', LOG))!);
    await git(attacker, ['commit', '-qam', 'provenance: record v1.2.3 (run 101, failure)']);
    await git(attacker, ['push', '-q', 'origin', 'HEAD:main']);

    const refused = await ingest();
    expect(refused.code).toBe(4);
    expect(refused.json().error!.code).toBe('INGEST_HISTORY_REWRITTEN');
    expect(await rows()).toEqual([['success', 'verified']]);
  });

  it('attack: a log cut earlier in history is a rewrite for a first ingest (a fresh clone) and for --full too, not "verified"', async () => {
    const k = await keygen('ledger');
    const failed = makeEntry({
      status: 'failure',
      artifact_url: null,
      failure_reason: 'build broke',
      governance_flag: 'artifact-missing',
    });
    expect((await record(failed, '--sign-key', k.key)).code).toBe(0);
    const succeeded = makeEntry({ timestamp: '2025-11-24T10:10:00Z', governance_flag: 'provenance-ready' });
    expect((await record(succeeded, '--sign-key', k.key)).code).toBe(0);
    const full = join(tmp.path, 'db-full');
    const ingest = async (dataDir: string, repo: string, ...flags: string[]) =>
      runCliCaptured(
        [
          'ingest',
          '--json',
          '--repo',
          repo,
          '--ledger',
          'acme/ledger',
          '--data-dir',
          dataDir,
          '--trust-key',
          k.pub,
          ...flags,
        ],
        { env },
      );
    const rows = async (dataDir: string) => {
      const { PGlite } = await import('@electric-sql/pglite');
      const db = new PGlite(dataDir);
      const r = await db.query<{ status: string; signature_status: string }>(
        'SELECT status, signature_status FROM public.slsa_runs',
      );
      await db.close();
      return r.rows.map((x) => [x.status, x.signature_status]);
    };
    const before = await cloneRemote(remote, join(tmp.path, 'before'));
    expect((await ingest(full, before)).code).toBe(0);
    expect(await rows(full)).toEqual([['success', 'verified']]);

    // the pusher: the log's last line cut, the entry back to its record (a fast-forward push), then
    // an unrelated signed record on top, so the cut is in history, not at the head's last commit
    const attacker = await cloneRemote(remote, join(tmp.path, 'attacker'));
    await writeFile(join(attacker, DAY), (await showFile(attacker, 'HEAD~1', DAY))!);
    await writeFile(join(attacker, LOG), (await showFile(attacker, 'HEAD~1', LOG))!);
    await git(attacker, ['commit', '-qam', 'provenance: record v1.2.3 (run 101, failure)']);
    await git(attacker, ['push', '-q', 'origin', 'HEAD:main']);
    await git(clone, ['pull', '-q', 'origin', 'main']);
    const other = makeEntry({ tag: 'v1.2.4', run_id: 102, timestamp: '2025-11-24T11:00:00Z' });
    expect((await record(other, '--sign-key', k.key)).code).toBe(0);
    // at the head every run's chain is whole: check without its history sees nothing either
    const fresh = await cloneRemote(remote, join(tmp.path, 'fresh'));

    // a first ingest from a fresh clone (as manifest-ingest.yml runs it): refused, nothing stored
    const first = join(tmp.path, 'db-first');
    const refused = await ingest(first, fresh);
    expect(refused.code, refused.stdout + refused.stderr).toBe(4);
    expect(refused.json().error!.code).toBe('INGEST_HISTORY_REWRITTEN');
    expect(refused.json().error!.message).toContain(LOG);
    expect(await rows(first)).toEqual([]);

    // --full over the database that held the run as it was: refused too, the rows stay
    const again = await ingest(full, fresh, '--full');
    expect(again.code, again.stdout + again.stderr).toBe(4);
    expect(again.json().error!.code).toBe('INGEST_HISTORY_REWRITTEN');
    expect(await rows(full)).toEqual([['success', 'verified']]);
  });

  it("attack: a transition signed for another repository's ledger is not verified by ingest run on a detached worktree (as the shipped workflow runs it)", async () => {
    const k = await replayAnotherLedgersEntry();

    const checker = await cloneRemote(remote, join(tmp.path, 'checker'));
    await git(checker, ['worktree', 'add', '-q', '--detach', 'ledger', 'origin/main']);
    const dataDir = join(tmp.path, 'db');
    const ingested = await runCliCaptured(
      [
        'ingest',
        '--json',
        '--repo',
        join(checker, 'ledger'),
        '--ledger',
        'acme/ledger',
        '--data-dir',
        dataDir,
        '--trust-key',
        k.pub,
      ],
      { env, cwd: checker },
    );
    expect(ingested.code, ingested.stdout + ingested.stderr).toBe(0);
    const { PGlite } = await import('@electric-sql/pglite');
    const db = new PGlite(dataDir);
    const rows = await db.query<{ run_id: number; signature_status: string }>(
      'SELECT run_id, signature_status FROM public.slsa_runs ORDER BY run_id',
    );
    await db.close();
    expect(rows.rows.map((x) => [Number(x.run_id), x.signature_status])).toEqual([
      [101, 'verified'],
      [909, 'invalid'],
    ]);
  });
});
