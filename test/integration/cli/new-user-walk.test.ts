// What a new user following the README meets on the terminal (a walk through init, keygen, record,
// check, validate, migrate and audit-workflows): each message says what was done, once.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../support/cli.js';
import { cloneRemote, createRemote, makeTempDir } from '../../support/git.js';
import { makeEntry } from '../../support/ledger.js';
import { makeRelease, writeLedger } from '../../support/release-fixture.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let env: Record<string, string | undefined>;

beforeEach(async () => {
  tmp = await makeTempDir();
  env = { PATH: process.env.PATH, HOME: process.env.HOME, SLSA_LEDGER_LOCK_DIR: join(tmp.path, 'locks') };
});
afterEach(() => tmp.cleanup());

describe('check says whether it checked who wrote the entries', () => {
  it('"ledger ok" without a trust policy says the signatures were not checked; with one, that they were', async () => {
    const clone = await cloneRemote(await createRemote(tmp.path), join(tmp.path, 'clone'));
    const keygen = await runCliCaptured(['keygen', '--out', 'ledger.key'], { env, cwd: tmp.path });
    expect(keygen.code, keygen.stderr).toBe(0);
    await writeFile(
      join(tmp.path, 'entry.json'),
      JSON.stringify(makeEntry({ timestamp: '2026-11-20T10:00:00Z' })),
    );
    const record = await runCliCaptured(
      [
        'record',
        '--entry',
        join(tmp.path, 'entry.json'),
        '--repo',
        clone,
        '--sign-key',
        join(tmp.path, 'ledger.key'),
      ],
      { env },
    );
    expect(record.code, record.stderr).toBe(0);

    const plain = await runCliCaptured(['check', '--repo', clone], { env });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).toMatch(/ledger ok: .*; signatures not checked: no trust policy/);
    const plainJson = await runCliCaptured(['check', '--repo', clone, '--json'], { env });
    expect(plainJson.json().result).toMatchObject({ ok: true, signaturesChecked: false });

    const trusted = await runCliCaptured(
      [
        'check',
        '--repo',
        clone,
        '--trust-key',
        join(tmp.path, 'ledger.pub'),
        '--witness',
        join(tmp.path, 'w.json'),
      ],
      { env },
    );
    expect(trusted.code, trusted.stderr).toBe(0);
    expect(trusted.stderr).toMatch(/ledger ok: .*; every change signed by a signer of the trust policy/);
    const trustedJson = await runCliCaptured(
      ['check', '--repo', clone, '--trust-key', join(tmp.path, 'ledger.pub'), '--json'],
      { env },
    );
    expect(trustedJson.json().result).toMatchObject({ ok: true, signaturesChecked: true });
  });
});

describe('validate names the failed check once', () => {
  it('the error message does not repeat its code (the stored reason keeps it)', async () => {
    const release = await makeRelease();
    try {
      await writeLedger(join(release.dir, 'ledger'), [release.entry]);
      await writeFile(release.artifact, 'tampered');
      const validate = (...flags: string[]) =>
        runCliCaptured(
          [
            'validate',
            ...flags,
            '--tag',
            'v1.2.3',
            '--repo',
            'ledger',
            '--key',
            'signing.pub',
            '--artifact',
            'app.tgz',
            '--provenance',
            'app.intoto.json',
          ],
          { env: { PATH: process.env.PATH }, cwd: release.dir },
        );
      const r = await validate('--json');
      expect(r.code, r.stderr).toBe(1);
      const error = r.json().error!;
      expect(error.code).toBe('VERIFY_SUBJECT_DIGEST_MISMATCH');
      expect(error.message).not.toMatch(/^VERIFY_SUBJECT_DIGEST_MISMATCH/);
      expect((error.details as { result: { reason: string } }).result.reason).toMatch(
        /^VERIFY_SUBJECT_DIGEST_MISMATCH: /,
      );
      const human = await validate();
      expect(human.stderr).not.toContain('VERIFY_SUBJECT_DIGEST_MISMATCH: VERIFY_SUBJECT_DIGEST_MISMATCH');
    } finally {
      await rm(release.dir, { recursive: true, force: true });
    }
  });
});

describe('init and audit-workflows name what they touch', () => {
  it('init --help lists every workflow it writes; its next step and audit-workflows name the real folder', async () => {
    const help = await runCliCaptured(['init', '--help'], { env });
    expect(help.code).toBe(0);
    expect(help.stdout + help.stderr).toContain(
      '{release,slsa-provenance,provenance-validate,manifest-ingest,notify-on-failure,ledger-check}.yml',
    );
    const dir = join(tmp.path, 'app');
    const init = await runCliCaptured(['init', '--dir', dir, '--repository', 'acme/app'], { env });
    expect(init.code, init.stderr).toBe(0);
    // the package is not on the npm registry: `npx slsa-ledger` there would fetch whatever holds the name
    expect(init.stderr).not.toContain('npx slsa-ledger');
    expect(init.stderr).toContain('  slsa-ledger audit-workflows');
    expect(init.stderr).not.toMatch(/ruleset Settings →/);
    const audit = await runCliCaptured(['audit-workflows'], { env, cwd: dir });
    expect(audit.code, audit.stderr).toBe(0);
    expect(audit.stderr).toContain('auditing 6 workflow file(s) in .github/workflows');
  });
});

describe('flag errors read like every other message', () => {
  it('an unknown flag and a missing value start lower-case, with the usage hint', async () => {
    const unknown = await runCliCaptured(['verify', '--bogus', '--json'], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.json().error).toMatchObject({ code: 'USAGE_UNKNOWN_FLAG' });
    expect(unknown.json().error!.message).toMatch(
      /^unknown option '--bogus'; run 'slsa-ledger verify --help'/,
    );
    const missing = await runCliCaptured(['verify', 'a', '--json', '--key'], { env });
    expect(missing.code).toBe(2);
    expect(missing.json().error!.message).toMatch(/^option '--key <value>' argument missing/i);
    expect(missing.json().error!.message.charAt(0)).toBe('o');
  });
});

describe('the first ingest into the embedded database', () => {
  it('names the folder it migrates, never memory://', async () => {
    const clone = await cloneRemote(await createRemote(tmp.path), join(tmp.path, 'clone'));
    const dataDir = join(tmp.path, 'db');
    const r = await runCliCaptured(['ingest', '--repo', clone, '--data-dir', dataDir], {
      env,
      cwd: tmp.path,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`(1/`);
    expect(r.stderr).toContain(`to ${dataDir}`);
    expect(r.stderr).not.toContain('memory://');
  }, 120_000);
});
