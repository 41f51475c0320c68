// An attacker's audit of `validate` (sixteenth session): what validate adds on top of `verify` —
// the verdict it records and the SLSA VSA it signs — against a malicious publisher (the holder of
// the provenance signing key) and someone who can push release assets. The verdicts are captured
// through the library's recorder port, so each test sees exactly what `--record` would write.
import { createHash, createPrivateKey, sign } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateRelease, type ValidateOptions } from '../../../src/app/validate.js';
import { entryProblems, type LedgerEntry } from '../../../src/core/ledger/entry.js';
import { computePae } from '../../../src/core/provenance/dsse.js';
import type { InTotoStatement } from '../../../src/core/verify/types.js';
import { runCliCaptured } from '../../support/cli.js';
import { makeRelease, releaseSha, writeLedger, type ReleaseFixture } from '../../support/release-fixture.js';

const digestOf = (bytes: Uint8Array): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** The release's bundle with its statement changed by `edit`, signed again with the release's key. */
async function resign(
  release: ReleaseFixture,
  edit: (statement: Record<string, any>) => void,
  name = 'forged.intoto.json',
): Promise<{ path: string; bytes: Buffer }> {
  const bundle = JSON.parse(release.provenanceBytes.toString('utf8'));
  const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
  edit(statement);
  const payload = Buffer.from(JSON.stringify(statement));
  const key = createPrivateKey(await readFile(join(release.dir, 'signing.key')));
  const sig = sign(null, computePae(bundle.dsseEnvelope.payloadType, payload), key);
  bundle.dsseEnvelope.payload = payload.toString('base64');
  bundle.dsseEnvelope.signatures = [{ ...bundle.dsseEnvelope.signatures[0], sig: sig.toString('base64') }];
  const bytes = Buffer.from(JSON.stringify(bundle));
  const path = join(release.dir, name);
  await writeFile(path, bytes);
  return { path, bytes };
}

interface Captured {
  entry?: LedgerEntry;
  vsa?: InTotoStatement & { predicate: Record<string, any> };
}

/** validate --record against a plain ledger folder, the verdict captured instead of pushed. */
async function validate(
  release: ReleaseFixture,
  entry: LedgerEntry,
  extra: Partial<ValidateOptions> = {},
): Promise<{ captured: Captured; outcome: { ok: true } | { ok: false; error: any } }> {
  const ledger = join(release.dir, 'ledger');
  await writeLedger(ledger, [entry]);
  const captured: Captured = {};
  try {
    await validateRelease({
      tag: entry.tag,
      repo: ledger,
      artifacts: [release.artifact],
      provenance: [release.provenance],
      key: release.publicKey,
      cwd: release.dir,
      record: (e, vsa) => {
        captured.entry = e;
        captured.vsa = vsa as NonNullable<Captured['vsa']>;
        return Promise.resolve({ outcome: 'updated', queued: false });
      },
      ...extra,
    });
    return { captured, outcome: { ok: true } };
  } catch (error) {
    return { captured, outcome: { ok: false, error } };
  }
}

describe('validate: the failed verdict is always recordable', () => {
  it('a failure message quoting control characters from a signed provenance is recorded, escaped', async () => {
    const release = await makeRelease();
    // the publisher's signed provenance names a ref holding a terminal escape sequence
    const forged = await resign(release, (st) => {
      st.predicate.buildDefinition.externalParameters.workflow.ref = 'refs/tags/v1.2.3\u001b[2J\u0007';
      st.predicate.resolvedDependencies = undefined;
      st.predicate.buildDefinition.resolvedDependencies = [
        {
          uri: 'git+https://github.com/acme/app@refs/tags/v1.2.3\u001b[2J\u0007',
          digest: { gitCommit: releaseSha },
        },
      ];
    });
    const entry = {
      ...release.entry,
      provenance: { ...release.entry.provenance!, digest: digestOf(forged.bytes) },
    };
    const { captured, outcome } = await validate(release, entry, { provenance: [forged.path] });
    expect(outcome.ok).toBe(false);
    const error = (outcome as { error: any }).error;
    expect(error.category).toBe('verification');
    expect(captured.entry?.validation?.status).toBe('failed');
    // before: the raw ESC and BEL went into `validation.reason`, which the entry schema refuses,
    // so `--record` failed (exit 3) and the ledger kept the run's earlier `validated` verdict
    expect(entryProblems(captured.entry)).toEqual([]);
    expect(captured.entry!.validation!.reason).toContain('\\u001b[2J\\u0007');
  });
});

describe('validate: one entry per run', () => {
  it('a second entry for the same tag and run, planted in another day file, is refused (exit 3)', async () => {
    const release = await makeRelease();
    // a hand push: the same key in an older day file, naming another repository's release
    const planted: LedgerEntry = {
      ...release.entry,
      timestamp: '2026-11-19T10:00:00Z',
      release_url: 'https://github.com/evil/app/releases/tag/v1.2.3',
    };
    const ledger = join(release.dir, 'ledger');
    await writeLedger(ledger, [release.entry, planted]);
    for (const runId of [55, undefined]) {
      let recorded = false;
      const outcome = await validateRelease({
        tag: 'v1.2.3',
        ...(runId === undefined ? {} : { runId }),
        repo: ledger,
        artifacts: [release.artifact],
        provenance: [release.provenance],
        key: release.publicKey,
        cwd: release.dir,
        record: () => {
          recorded = true;
          return Promise.resolve({ outcome: 'updated', queued: false });
        },
      }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(outcome, String(runId)).toMatchObject({
        code: 'VALIDATE_ENTRY_AMBIGUOUS',
        details: { tag: 'v1.2.3', run_id: 55, count: 2 },
      });
      expect((outcome as { exitCode: number }).exitCode).toBe(3);
      expect(recorded).toBe(false);
    }
  });
});

describe('validate: every provenance file given is read', () => {
  it('an unreadable provenance file beside a verifying one is refused, nothing recorded', async () => {
    const release = await makeRelease();
    const garbage = join(release.dir, 'second.intoto.json');
    await writeFile(garbage, '{"payloadType": ');
    // an entry without a recorded provenance digest: nothing pins the files
    const { provenance: _dropped, ...entry } = release.entry;
    const { captured, outcome } = await validate(release, entry, {
      provenance: [release.provenance, garbage],
    });
    // before: verify's batch mode set the file aside as `unreadable` and validate passed
    expect(outcome.ok).toBe(false);
    expect((outcome as { error: any }).error.code).toMatch(/^INPUT_/);
    expect(captured.entry).toBeUndefined();
  });

  it('the same files one by one still pass', async () => {
    const release = await makeRelease();
    const { provenance: _dropped, ...entry } = release.entry;
    const { captured, outcome } = await validate(release, entry);
    expect(outcome).toEqual({ ok: true });
    expect(captured.entry?.validation?.status).toBe('passed');
  });
});

describe('validate: the VSA states only the level that was verified', () => {
  const generator =
    'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1.0';

  it('a key-signed provenance that names slsa-github-generator as its builder is not SLSA Build L3', async () => {
    const release = await makeRelease();
    // the key holder writes any builder id it likes into its own provenance
    const forged = await resign(release, (st) => {
      st.predicate.runDetails.builder.id = generator;
    });
    const entry = {
      ...release.entry,
      provenance: { ...release.entry.provenance!, digest: digestOf(forged.bytes) },
    };
    const { captured, outcome } = await validate(release, entry, {
      provenance: [forged.path],
      policy: { builderId: generator },
    });
    expect(outcome, String((outcome as any).error)).toEqual({ ok: true });
    expect(captured.vsa?.predicate.verificationResult).toBe('PASSED');
    // before: SLSA_BUILD_LEVEL_3, on the word of whoever holds the key
    expect(captured.vsa?.predicate.verifiedLevels).not.toContain('SLSA_BUILD_LEVEL_3');
    expect(captured.vsa?.predicate.verifiedLevels).toEqual(['SLSA_BUILD_LEVEL_2']);
  });
});

describe('verify --vsa: a VSA that contradicts itself', () => {
  it('PASSED with verifiedLevels FAILED, or levels that are not strings, is refused', async () => {
    const release = await makeRelease();
    const { captured } = await validate(release, release.entry);
    expect(captured.vsa?.predicate.verificationResult).toBe('PASSED');
    const { signVsa } = await import('../../../src/core/ledger-trust/sign.js');
    const { createKeyBundleSigner } = await import('../../../src/io/ledger-signer.js');
    const { loadPrivateKey } = await import('../../../src/io/keys.js');
    const key = await loadPrivateKey(join(release.dir, 'signing.key'));
    const check = async (levels: unknown) => {
      const st = { ...captured.vsa!, predicate: { ...captured.vsa!.predicate, verifiedLevels: levels } };
      await writeFile(
        join(release.dir, 'app.vsa.json'),
        JSON.stringify((await signVsa(st, createKeyBundleSigner(key))).bundle),
      );
      const r = await runCliCaptured(
        [
          'verify',
          'app.tgz',
          '--json',
          '--vsa',
          'app.vsa.json',
          '--key',
          'signing.pub',
          '--verifier-id',
          captured.vsa!.predicate.verifier.id,
          '--resource-uri',
          captured.vsa!.predicate.resourceUri,
        ],
        { cwd: release.dir },
      );
      return { code: r.code, error: r.json().error };
    };
    expect((await check(['SLSA_BUILD_LEVEL_2'])).code).toBe(0);
    // no levels at all: slsa-verifier passes it when no level is asked for; so do we, without
    // ending in an internal error (exit 70) while printing them
    expect(await check(undefined)).toEqual({ code: 0, error: undefined });
    for (const levels of [['FAILED'], ['SLSA_BUILD_LEVEL_3', 'FAILED'], [3], 'SLSA_BUILD_LEVEL_3']) {
      const r = await check(levels);
      expect(r.code, JSON.stringify(levels)).toBe(1);
      expect(r.error).toMatchObject({ code: 'VERIFY_VSA_MISMATCH', details: { field: 'verifiedLevels' } });
    }
  });
});

describe('validate --record --vsa-out: nothing written when the ledger refuses the verdict', () => {
  it('a LEDGER_CONFLICT (exit 4) leaves no signed VSA behind', async () => {
    const { cloneRemote, createRemote, git } = await import('../../support/git.js');
    const release = await makeRelease();
    const remote = await createRemote(release.dir);
    const clone = await cloneRemote(remote, join(release.dir, 'clone'));
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      SLSA_LEDGER_LOCK_DIR: join(release.dir, 'locks'),
    };
    // the remote's entry names another release page than the one this clone's HEAD shows
    const other = { ...release.entry, release_url: 'https://github.com/acme/app/releases/tag/v1.2.3-first' };
    await writeFile(join(release.dir, 'entry.json'), JSON.stringify(other));
    const seeded = await runCliCaptured(
      ['record', '--no-sign', '--json', '--repo', clone, '--entry', join(release.dir, 'entry.json')],
      { env },
    );
    expect(seeded.code, seeded.stdout + seeded.stderr).toBe(0);
    await git(clone, ['pull', '-q', 'origin', 'main']);
    const path = join(clone, 'docs/reports/2026-11-20/manifest.json');
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace(other.release_url, release.entry.release_url!));
    await git(clone, ['commit', '-qam', 'local view']);
    const vsaOut = join(release.dir, 'verdict.vsa.json');
    const r = await runCliCaptured(
      [
        'validate',
        '--json',
        '--tag',
        'v1.2.3',
        '--repo',
        'clone',
        '--ref',
        'HEAD',
        '--key',
        'signing.pub',
        '--artifact',
        'app.tgz',
        '--provenance',
        'app.intoto.json',
        '--record',
        '--sign-key',
        'signing.key',
        '--vsa-out',
        vsaOut,
      ],
      { env, cwd: release.dir },
    );
    expect(r.json().error?.code, r.stdout + r.stderr).toBe('LEDGER_CONFLICT');
    expect(r.code).toBe(4);
    // before: the signed PASSED VSA was written before the ledger was asked, and stayed
    await expect(readFile(vsaOut)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('validate --record --vsa-out: a target that cannot take the VSA is refused up front', () => {
  it('a directory, a FIFO, a missing folder or a folder that is a file: USAGE_INVALID_FLAG (exit 2), nothing pushed', async () => {
    const { execFileSync } = await import('node:child_process');
    const { mkdir } = await import('node:fs/promises');
    const { cloneRemote, createRemote, git } = await import('../../support/git.js');
    const release = await makeRelease();
    const remote = await createRemote(release.dir);
    const clone = await cloneRemote(remote, join(release.dir, 'clone'));
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      SLSA_LEDGER_LOCK_DIR: join(release.dir, 'locks'),
    };
    await writeFile(join(release.dir, 'entry.json'), JSON.stringify(release.entry));
    const seeded = await runCliCaptured(
      ['record', '--no-sign', '--json', '--repo', clone, '--entry', join(release.dir, 'entry.json')],
      { env },
    );
    expect(seeded.code, seeded.stdout + seeded.stderr).toBe(0);
    await git(clone, ['pull', '-q', 'origin', 'main']);
    const head = (): Promise<string> => git(remote, ['rev-parse', 'main']);
    const before = await head();
    await mkdir(join(release.dir, 'adir'));
    execFileSync('mkfifo', [join(release.dir, 'fifo')]);
    for (const target of ['adir', 'fifo', 'missing/vsa.json', 'app.tgz/vsa.json']) {
      const r = await runCliCaptured(
        [
          'validate',
          '--json',
          '--tag',
          'v1.2.3',
          '--repo',
          'clone',
          '--ref',
          'HEAD',
          '--key',
          'signing.pub',
          '--artifact',
          'app.tgz',
          '--provenance',
          'app.intoto.json',
          '--record',
          '--sign-key',
          'signing.key',
          '--vsa-out',
          target,
        ],
        { env, cwd: release.dir },
      );
      expect(r.json().error?.code, target + r.stdout + r.stderr).toBe('USAGE_INVALID_FLAG');
      expect(r.json().error?.details).toMatchObject({ flag: 'vsa-out' });
      expect(r.code).toBe(2);
      expect(await head(), target).toBe(before);
    }
  });
});
