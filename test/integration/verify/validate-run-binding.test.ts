// validate ties the verified provenance to the ledger entry's run (seventeenth session): a pusher
// who plants an entry for a run that built nothing (run 999999) and points it at the genuine
// provenance of another run of the same tag gets a failed verdict, VALIDATE_RUN_MISMATCH, recorded
// like every other verification failure (the verdict entry, the VSA FAILED, the escalation). The
// run is read from what is signed: the Fulcio certificate's Run Invocation URI (keyless, a local
// Fulcio and Rekor from @sigstore/mock), else the predicate's invocation id (SLSA v1
// `runDetails.metadata.invocationId`, SLSA v0.2 `metadata.buildInvocationID` in
// slsa-github-generator's `RUN-ATTEMPT` form). Before, all of these planted runs were `validated`.
import { createHash, createPrivateKey, sign } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateRelease, type ValidateOptions, type ValidateResult } from '../../../src/app/validate.js';
import type { LedgerEntry } from '../../../src/core/ledger/entry.js';
import { silentLogger, type Logger } from '../../../src/core/ports.js';
import { computePae } from '../../../src/core/provenance/dsse.js';
import type { InTotoStatement } from '../../../src/core/verify/types.js';
import { runCliCaptured } from '../../support/cli.js';
import { FakeSlack } from '../../support/fake-slack.js';
import { makeRelease, releaseSha, writeLedger, type ReleaseFixture } from '../../support/release-fixture.js';
import { githubIdentityToken, startLocalSigstore, type LocalSigstore } from '../../support/sigstore-mock.js';

const digestOf = (bytes: Uint8Array): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** The genuine entry of run 55 copied as run 999999 (a hand push): same provenance, same digest. */
const planted = (entry: LedgerEntry, runId = 999_999): LedgerEntry => ({
  ...entry,
  run_id: runId,
  artifact_url: entry.artifact_url,
  timestamp: '2026-11-20T11:00:00Z',
});

interface Captured {
  entry?: LedgerEntry;
  vsa?: InTotoStatement & { predicate: Record<string, any> };
}

/** validate --record against a plain ledger folder, the verdict captured through the recorder port. */
async function validate(
  release: ReleaseFixture,
  entries: readonly LedgerEntry[],
  runId: number,
  extra: Partial<ValidateOptions> = {},
  keySigned = true,
): Promise<{ captured: Captured; result?: ValidateResult; error?: any }> {
  const ledger = join(release.dir, 'ledger');
  await rm(ledger, { recursive: true, force: true });
  await writeLedger(ledger, entries);
  const captured: Captured = {};
  try {
    const result = await validateRelease({
      tag: 'v1.2.3',
      runId,
      repo: ledger,
      artifacts: [release.artifact],
      provenance: [release.provenance],
      ...(keySigned ? { key: release.publicKey } : {}),
      cwd: release.dir,
      record: (e, vsa) => {
        captured.entry = e;
        captured.vsa = vsa as NonNullable<Captured['vsa']>;
        return Promise.resolve({ outcome: 'updated', queued: false });
      },
      ...extra,
    });
    return { captured, result };
  } catch (error) {
    return { captured, error };
  }
}

describe('validate: the provenance must be the entry run’s own (key-signed, SLSA v1)', () => {
  let release: ReleaseFixture;
  beforeAll(async () => {
    // attest --run-id 55: the predicate's invocationId is …/acme/app/actions/runs/55/attempts/1
    release = await makeRelease('v1.2.3', 55);
  });
  afterAll(async () => {
    if (release !== undefined) await rm(release.dir, { recursive: true, force: true });
  });

  it('a planted entry for another run with the genuine provenance fails, recorded and escalated', async () => {
    const slack = new FakeSlack();
    const webhookUrl = await slack.mount();
    const { captured, error } = await validate(release, [release.entry, planted(release.entry)], 999_999, {
      escalate: { webhookUrl, logPath: join(release.dir, 'notifications.jsonl') },
    });
    expect(error?.code, String(error)).toBe('VALIDATE_RUN_MISMATCH');
    expect(error.category).toBe('verification');
    expect(error.message).toContain('run 55');
    expect(error.message).toContain('run 999999');
    expect(error.message).toContain('--provenance-run 55');
    expect(captured.entry).toMatchObject({
      run_id: 999_999,
      governance_flag: 'validation-failed',
      validation: { status: 'failed' },
    });
    expect(captured.entry!.validation!.reason).toMatch(/^VALIDATE_RUN_MISMATCH: /);
    expect(captured.vsa!.predicate.verificationResult).toBe('FAILED');
    const result = error.details.result as ValidateResult;
    expect(result.escalation).toEqual({ event: 'validation-failed', delivered: true });
    expect(slack.messages.at(-1)!.text).toContain('provenance validation failed: v1.2.3');
  });

  it("the entry's own run passes, and says which run the provenance names", async () => {
    const { captured, result, error } = await validate(release, [release.entry, planted(release.entry)], 55);
    expect(error, String(error)).toBeUndefined();
    expect(result!.run_binding).toEqual({
      expected_run_id: 55,
      runs: [
        { run_id: '55', from: 'predicate', value: 'https://github.com/acme/app/actions/runs/55/attempts/1' },
      ],
      unbound: 0,
    });
    expect(captured.vsa!.predicate.verificationResult).toBe('PASSED');
  });

  it('--provenance-run names the run that built it, when another run records', async () => {
    const other = await validate(release, [planted(release.entry, 70)], 70, { provenanceRun: 55 });
    expect(other.error, String(other.error)).toBeUndefined();
    expect(other.result!.run_binding!.expected_run_id).toBe(55);
    const wrong = await validate(release, [planted(release.entry, 70)], 70, { provenanceRun: 56 });
    expect(wrong.error?.code).toBe('VALIDATE_RUN_MISMATCH');
    expect(wrong.error.message).toContain('--provenance-run');
  });

  it('--provenance-run takes a positive whole number (exit 2) on the command line', async () => {
    await writeLedger(join(release.dir, 'ledger'), [release.entry]);
    const run = (extra: string[]) =>
      runCliCaptured(
        [
          'validate',
          '--json',
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
          ...extra,
        ],
        { env: { PATH: process.env.PATH }, cwd: release.dir },
      );
    for (const bad of ['0', '-3', 'abc', '1.5', '9007199254740992']) {
      const r = await run(['--provenance-run', bad]);
      expect(r.code, bad).toBe(2);
      expect(r.json().error!.code).toBe('USAGE_INVALID_FLAG');
    }
    const ok = await run(['--provenance-run', '55']);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    const mismatch = await run(['--provenance-run', '54']);
    expect(mismatch.code).toBe(1);
    expect(mismatch.json().error!.code).toBe('VALIDATE_RUN_MISMATCH');
    expect(await validate(release, [release.entry], 55, { provenanceRun: 0 })).toMatchObject({
      error: { code: 'USAGE_INVALID_FLAG' },
    });
  });
});

/** A key-signed DSSE envelope (`.intoto.jsonl`) over `statement`, with the release's key. */
async function signEnvelope(release: ReleaseFixture, statement: object, name: string): Promise<Buffer> {
  const payloadType = 'application/vnd.in-toto+json';
  const payload = Buffer.from(JSON.stringify(statement));
  const key = createPrivateKey(await readFile(join(release.dir, 'signing.key')));
  const sig = sign(null, computePae(payloadType, payload), key);
  const bytes = Buffer.from(
    `${JSON.stringify({ payloadType, payload: payload.toString('base64'), signatures: [{ keyid: '', sig: sig.toString('base64') }] })}\n`,
  );
  await writeFile(join(release.dir, name), bytes);
  return bytes;
}

describe('validate: SLSA v0.2 and provenance naming no run (key-signed)', () => {
  let release: ReleaseFixture;
  let subject: { name: string; digest: { sha256: string } };
  beforeAll(async () => {
    release = await makeRelease('v1.2.3', 55);
    subject = { name: 'app.tgz', digest: { sha256: release.entry.provenance!.subjects[0]!.sha256 } };
  });
  afterAll(async () => {
    if (release !== undefined) await rm(release.dir, { recursive: true, force: true });
  });

  // slsa-github-generator's generic v0.2 layout (test/fixtures/vectors/slsa-verifier/gha_generic),
  // signed with the release key: buildInvocationID is `RUN-ATTEMPT`
  const v02 = (
    metadata: Record<string, unknown>,
    environment: Record<string, unknown> = {
      github_ref: 'refs/tags/v1.2.3',
      github_run_id: '55',
      github_run_attempt: '1',
    },
  ) => ({
    _type: 'https://in-toto.io/Statement/v0.1',
    predicateType: 'https://slsa.dev/provenance/v0.2',
    subject: [subject],
    predicate: {
      builder: { id: 'https://github.com/acme/app/.github/workflows/slsa-provenance.yml@refs/tags/v1.2.3' },
      buildType: 'https://github.com/slsa-framework/slsa-github-generator/generic@v1',
      invocation: {
        configSource: {
          uri: 'git+https://github.com/acme/app@refs/tags/v1.2.3',
          digest: { sha1: releaseSha },
          entryPoint: '.github/workflows/slsa-provenance.yml',
        },
        parameters: {},
        environment,
      },
      metadata,
      materials: [{ uri: 'git+https://github.com/acme/app@refs/tags/v1.2.3', digest: { sha1: releaseSha } }],
    },
  });

  const withProvenance = (bytes: Buffer, runId: number): LedgerEntry => ({
    ...release.entry,
    run_id: runId,
    provenance: {
      ...release.entry.provenance!,
      digest: digestOf(bytes),
      predicate_type: 'https://slsa.dev/provenance/v0.2',
    },
  });

  it('v0.2: buildInvocationID 55-1 passes run 55 and fails a planted run 999999', async () => {
    const bytes = await signEnvelope(release, v02({ buildInvocationID: '55-1' }), 'v02.intoto.jsonl');
    const provenance = [join(release.dir, 'v02.intoto.jsonl')];
    const own = await validate(release, [withProvenance(bytes, 55)], 55, { provenance });
    expect(own.error, String(own.error)).toBeUndefined();
    expect(own.result!.run_binding!.runs).toEqual([{ run_id: '55', from: 'predicate', value: '55-1' }]);
    const plant = await validate(
      release,
      [withProvenance(bytes, 55), withProvenance(bytes, 999_999)],
      999_999,
      {
        provenance,
      },
    );
    expect(plant.error?.code, String(plant.error)).toBe('VALIDATE_RUN_MISMATCH');
    expect(plant.captured.vsa!.predicate.verificationResult).toBe('FAILED');
  });

  it('provenance naming no run passes with a note, and fails with --require-run-binding', async () => {
    // no invocation id and no run in the recorded environment
    const bytes = await signEnvelope(
      release,
      v02({}, { github_ref: 'refs/tags/v1.2.3' }),
      'norun.intoto.jsonl',
    );
    const provenance = [join(release.dir, 'norun.intoto.jsonl')];
    const lines: string[] = [];
    const logger: Logger = { ...silentLogger, info: (m: string) => void lines.push(m) };
    const loose = await validate(release, [withProvenance(bytes, 55)], 55, { provenance, logger });
    expect(loose.error, String(loose.error)).toBeUndefined();
    expect(loose.result!.run_binding).toEqual({ expected_run_id: 55, runs: [], unbound: 1 });
    expect(lines.some((l) => l.includes('names no workflow run'))).toBe(true);
    const strict = await validate(release, [withProvenance(bytes, 55)], 55, {
      provenance,
      requireRunBinding: true,
    });
    expect(strict.error?.code).toBe('VALIDATE_RUN_UNBOUND');
    expect(strict.captured.entry!.validation!.reason).toMatch(/^VALIDATE_RUN_UNBOUND: /);
  });
});

describe('validate: keyless provenance, the run from the certificate', () => {
  let sigstore: LocalSigstore;
  let release: ReleaseFixture;
  beforeAll(async () => {
    sigstore = await startLocalSigstore();
    release = await makeRelease('v1.2.3', 55);
    await writeFile(join(release.dir, 'trusted_root.json'), JSON.stringify(sigstore.trustedRoot));
  });
  afterAll(async () => {
    await sigstore?.close();
    if (release !== undefined) await rm(release.dir, { recursive: true, force: true });
  });

  /** attest --sigstore as the provenance workflow of run `certRun` (the predicate says `predicateRun`). */
  async function attestKeyless(certRun: number, predicateRun: number, out: string): Promise<Buffer> {
    const token = githubIdentityToken({
      workflowUri: 'https://github.com/acme/app/.github/workflows/slsa-provenance.yml@refs/tags/v1.2.3',
      repository: 'acme/app',
      repositoryOwner: 'acme',
      ref: 'refs/tags/v1.2.3',
      sha: releaseSha,
      eventName: 'workflow_dispatch',
      runId: certRun,
    });
    const r = await runCliCaptured(
      [
        'attest',
        'app.tgz',
        '--json',
        '--sigstore',
        '--fulcio-url',
        sigstore.fulcioUrl,
        '--rekor-url',
        sigstore.rekorUrl,
        '--out',
        out,
        '--repository',
        'acme/app',
        '--ref',
        'refs/tags/v1.2.3',
        '--sha',
        releaseSha,
        '--workflow-path',
        '.github/workflows/slsa-provenance.yml',
        '--run-id',
        String(predicateRun),
        '--event-name',
        'workflow_dispatch',
        '--builder-id',
        'https://github.com/acme/app/.github/workflows/slsa-provenance.yml@refs/tags/v1.2.3',
      ],
      { env: { PATH: process.env.PATH, HOME: process.env.HOME, SIGSTORE_ID_TOKEN: token }, cwd: release.dir },
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    return readFile(join(release.dir, out));
  }

  const keyless = (bytes: Buffer, runId: number): LedgerEntry => ({
    ...release.entry,
    run_id: runId,
    provenance: { ...release.entry.provenance!, digest: digestOf(bytes) },
  });
  const trust = (file: string): Partial<ValidateOptions> => ({
    provenance: [join(release.dir, file)],
    trustedRoot: join(release.dir, 'trusted_root.json'),
    offline: true,
  });

  it('run 55 passes; the same bundle under a planted run 999999 fails', async () => {
    const bytes = await attestKeyless(55, 55, 'keyless.sigstore.json');
    const own = await validate(release, [keyless(bytes, 55)], 55, trust('keyless.sigstore.json'), false);
    expect(own.error, String(own.error)).toBeUndefined();
    expect(own.result!.run_binding!.runs).toEqual([
      { run_id: '55', from: 'certificate', value: 'https://github.com/acme/app/actions/runs/55/attempts/1' },
    ]);
    const plant = await validate(
      release,
      [keyless(bytes, 55), keyless(bytes, 999_999)],
      999_999,
      trust('keyless.sigstore.json'),
      false,
    );
    expect(plant.error?.code, String(plant.error)).toBe('VALIDATE_RUN_MISMATCH');
    expect(plant.error.message).toContain(
      'its certificate names https://github.com/acme/app/actions/runs/55/',
    );
    expect(plant.captured.entry!.validation!.status).toBe('failed');
    expect(plant.captured.vsa!.predicate.verificationResult).toBe('FAILED');
  });

  it("the certificate's run wins over the predicate's claim", async () => {
    // signed by run 56's job, whose predicate claims run 55
    const bytes = await attestKeyless(56, 55, 'claims.sigstore.json');
    const r = await validate(release, [keyless(bytes, 55)], 55, trust('claims.sigstore.json'), false);
    expect(r.error?.code, String(r.error)).toBe('VALIDATE_RUN_MISMATCH');
    expect(r.error.message).toContain('built by run 56 of github.com/acme/app (its certificate names');
    expect(r.error.message).toContain("not by the ledger entry's run 55");
  });
});
