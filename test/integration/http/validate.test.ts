import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serializeManifest, type LedgerEntry } from '../../../src/core/ledger/entry.js';
import { runCliCaptured } from '../../support/cli.js';
import { FakeBlobStore, FakeGithub, makeZip } from '../../support/fake-github.js';
import { FakeSlack } from '../../support/fake-slack.js';
import { findSecret, mountFake } from '../../support/http-fake.js';
import { cloneRemote, createRemote, git, showFile } from '../../support/git.js';
import { makeRelease, writeLedger } from '../../support/release-fixture.js';

const token = 'ghs_VALIDATESECRET0123456789abcdefXYZ';

const digestOf = (bytes: Uint8Array): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function setup(
  options: { entries?: (e: LedgerEntry) => LedgerEntry[]; artifactZip?: Uint8Array | null } = {},
) {
  const release = await makeRelease();
  const zip =
    options.artifactZip === undefined
      ? makeZip({ 'app.intoto.json': release.provenanceBytes })
      : options.artifactZip;
  const blobs = new FakeBlobStore(zip === null ? {} : { '/blob/777.zip': zip });
  const blobOrigin = (await mountFake(blobs.handler)).url;
  const github = new FakeGithub({
    token,
    artifactOrigin: blobOrigin,
    artifacts: { 777: { name: 'provenance', runId: 55, zip: zip ?? new Uint8Array() } },
  });
  const api = await github.mount();
  const slack = new FakeSlack();
  const webhook = await slack.mount();
  const ledger = join(release.dir, 'ledger');
  await writeLedger(ledger, options.entries ? options.entries(release.entry) : [release.entry]);
  const env = {
    PATH: process.env.PATH,
    GITHUB_TOKEN: token,
    GITHUB_API_URL: api,
    SLACK_WEBHOOK_URL: webhook,
  };
  const run = (extra: string[], more: Record<string, string | undefined> = {}) =>
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
        ...extra,
      ],
      {
        env: { ...env, ...more },
        cwd: release.dir,
      },
    );
  const secrets = [token, slack.secretPath];
  return { release, github, blobs, slack, api, webhook, ledger, env, run, secrets };
}

describe('validate against a ledger clone and a local GitHub API', () => {
  it('downloads the provenance through the artifacts API, following the 302 without the token, and passes', async () => {
    const s = await setup();
    const r = await s.run([]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const result = r.json().result;
    expect(result).toMatchObject({
      tag: 'v1.2.3',
      run_id: 55,
      status: 'passed',
      provenance_source: 'downloaded',
      recorded: null,
    });
    expect(result.policy).toEqual({
      sourceUri: 'github.com/acme/app',
      sourceTag: 'v1.2.3',
      commit: s.release.entry.sha,
      builderId: 'https://github.com/acme/app/.github/workflows/slsa-provenance.yml',
    });
    expect(s.github.requests.map((q) => `${q.method} ${q.path}`)).toEqual([
      'GET /repos/acme/app/actions/artifacts/777/zip',
    ]);
    expect(s.github.requests[0]!.headers.authorization).toBe(`Bearer ${token}`);
    expect(s.blobs.requests).toHaveLength(1);
    expect(s.blobs.requests[0]!.headers.authorization).toBeUndefined();
    expect(s.slack.requests).toHaveLength(0);
    expect(findSecret([r.stdout, r.stderr], s.secrets)).toBeUndefined();
  });

  it('refuses an entry whose status is not success (exit 1) with its failure_reason', async () => {
    const s = await setup({
      entries: (e) => [
        { ...e, status: 'failure', artifact_url: null, failure_reason: 'provenance job timed out' },
      ],
    });
    const r = await s.run([]);
    expect(r.code).toBe(1);
    const error = r.json().error!;
    expect(error.code).toBe('VALIDATE_STATUS_NOT_SUCCESS');
    expect(error.details.failure_reason).toBe('provenance job timed out');
    expect(s.github.requests).toHaveLength(0);
  });

  it('fails a tampered artifact (exit 1) and alerts validation-failed', async () => {
    const s = await setup();
    await writeFile(s.release.artifact, 'tampered');
    const r = await s.run([]);
    expect(r.code).toBe(1);
    expect(r.json().error!.code).toBe('VERIFY_SUBJECT_DIGEST_MISMATCH');
    expect(s.slack.messages).toHaveLength(1);
    expect(s.slack.messages[0]!.text).toContain('provenance validation failed: v1.2.3');
    expect((r.json().error!.details as any).result.escalation).toEqual({
      event: 'validation-failed',
      delivered: true,
    });
  });

  it('fails on the wrong source (--source-uri) and on a provenance that is not the recorded one', async () => {
    const s = await setup();
    const wrongSource = await s.run([
      '--source-uri',
      'github.com/evil/app',
      '--builder-id',
      'https://github.com/acme/app/.github/workflows/slsa-provenance.yml',
    ]);
    expect(wrongSource.json().error!.code).not.toBe('VERIFY_BUILDER_MISMATCH');
    expect(wrongSource.code).toBe(1);
    expect(wrongSource.json().error!.code).toBe('VERIFY_SOURCE_MISMATCH');
    const other = await makeRelease();
    const wrongDoc = await s.run(['--provenance', other.provenance]);
    expect(wrongDoc.code).toBe(1);
    expect(wrongDoc.json().error!.code).toBe('VALIDATE_PROVENANCE_DIGEST_MISMATCH');
  });

  it('pins the recorded provenance digest for every provenance file (issue 14 item 8)', async () => {
    // the artifact holds the recorded provenance and a second document for the same artifact
    const forged = await makeRelease();
    const first = await makeRelease();
    const s = await setup({
      artifactZip: makeZip({
        'app.intoto.json': first.provenanceBytes,
        'extra.intoto.json': forged.provenanceBytes,
      }),
      entries: (e) => [{ ...e, provenance: { ...e.provenance!, digest: digestOf(first.provenanceBytes) } }],
    });
    const r = await s.run([]);
    expect(r.json().error, r.stdout).toMatchObject({ code: 'VALIDATE_PROVENANCE_DIGEST_MISMATCH' });
    expect(r.code).toBe(1);
    expect(r.json().error!.message).toContain('extra.intoto.json');
    expect(r.json().error!.message).not.toContain('more file');
    // several local files: each one is checked
    const own = await setup();
    const both = await own.run(['--provenance', own.release.provenance, '--provenance', forged.provenance]);
    expect(both.code).toBe(1);
    expect(both.json().error!.code).toBe('VALIDATE_PROVENANCE_DIGEST_MISMATCH');
    const twice = await own.run([
      '--provenance',
      own.release.provenance,
      '--provenance',
      own.release.provenance,
    ]);
    expect(twice.json().error?.code).not.toBe('VALIDATE_PROVENANCE_DIGEST_MISMATCH');
  });

  it('is ARTIFACT_UNAVAILABLE (exit 5) when the artifact is gone, and escalates', async () => {
    const s = await setup({ artifactZip: null });
    const r = await s.run([]);
    expect(r.code).toBe(5);
    const error = r.json().error!;
    expect(error.code).toBe('ARTIFACT_UNAVAILABLE');
    expect(error.details.escalation).toEqual({ event: 'artifact-unavailable', delivered: true });
    expect(s.slack.messages[0]!.text).toContain('provenance artifact unavailable: v1.2.3');
    expect(s.blobs.requests.every((q) => q.headers.authorization === undefined)).toBe(true);
    const log = await readFile(join(s.release.dir, 'out/provenance/notifications.jsonl'), 'utf8');
    expect(findSecret([r.stdout, r.stderr, log], s.secrets)).toBeUndefined();
  });

  it('is ARTIFACT_UNAVAILABLE when the token is refused by the artifacts API', async () => {
    const s = await setup();
    const r = await s.run([], { GITHUB_TOKEN: 'ghs_wrong_token_for_artifacts' });
    expect(r.code).toBe(5);
    expect(r.json().error!.code).toBe('ARTIFACT_UNAVAILABLE');
    expect(r.json().error!.details.status).toBe(401);
    expect(s.blobs.requests).toHaveLength(0);
  });

  it('reads the entry over HTTPS (--manifest-url, private: token) and picks the latest run or --run-id', async () => {
    const release = await makeRelease();
    const older = {
      ...release.entry,
      run_id: 40,
      timestamp: '2026-11-19T10:00:00Z',
      status: 'failure' as const,
      artifact_url: null,
      failure_reason: 'old run failed',
    };
    const path = 'docs/reports/2026-11-20/manifest.json';
    const github = new FakeGithub({ token, files: { [path]: serializeManifest([release.entry, older]) } });
    const api = await github.mount();
    const url = `${api}/repos/acme/app/contents/${path}`;
    const base = [
      'validate',
      '--json',
      '--tag',
      'v1.2.3',
      '--manifest-url',
      url,
      '--key',
      release.publicKey,
      '--artifact',
      release.artifact,
      '--provenance',
      release.provenance,
    ];
    const env = { PATH: process.env.PATH, GITHUB_TOKEN: token, GITHUB_API_URL: api };
    const latest = await runCliCaptured(base, { env });
    expect(latest.code, latest.stdout + latest.stderr).toBe(0);
    expect(latest.json().result).toMatchObject({ run_id: 55, provenance_source: 'file' });
    expect(github.requests[0]!.headers.authorization).toBe(`Bearer ${token}`);
    const chosen = await runCliCaptured([...base, '--run-id', '40'], { env });
    expect(chosen.code).toBe(1);
    expect(chosen.json().error!.code).toBe('VALIDATE_STATUS_NOT_SUCCESS');
    const missing = await runCliCaptured([...base, '--run-id', '41'], { env });
    expect(missing.code).toBe(3);
    expect(missing.json().error!.code).toBe('LEDGER_ENTRY_NOT_FOUND');
    const unauthorised = await runCliCaptured(base, { env: { ...env, GITHUB_TOKEN: undefined } });
    expect(unauthorised.code).toBe(5);
    expect(unauthorised.json().error!.code).toBe('MANIFEST_URL_UNAVAILABLE');
  });

  it('never sends the token to a --manifest-url outside GitHub', async () => {
    const release = await makeRelease();
    const seen: (string | undefined)[] = [];
    const other = await mountFake((q) => {
      seen.push(q.headers.authorization);
      return { status: 200, body: serializeManifest([release.entry]) };
    });
    const github = new FakeGithub({ token });
    const api = await github.mount();
    const r = await runCliCaptured(
      [
        'validate',
        '--json',
        '--tag',
        'v1.2.3',
        '--manifest-url',
        `${other.url}/manifest.json`,
        '--key',
        release.publicKey,
        '--artifact',
        release.artifact,
        '--provenance',
        release.provenance,
      ],
      { env: { PATH: process.env.PATH, GITHUB_TOKEN: token, GITHUB_API_URL: api } },
    );
    expect(r.code, r.stdout).toBe(0);
    expect(seen).toEqual([undefined]);
  });

  it('refuses usage errors before any request (exit 2)', async () => {
    const s = await setup();
    const both = await s.run(['--manifest-url', 'https://example.com/m.json']);
    expect(both.code).toBe(2);
    const none = await runCliCaptured(['validate', '--json', '--tag', 'v1.2.3', '--repo', 'ledger'], {
      env: s.env,
      cwd: s.release.dir,
    });
    expect(none.code).toBe(2);
    expect(s.github.requests).toHaveLength(0);
  });

  it('refuses a --manifest-url that is not https as a usage error (exit 2), its url shown without credentials', async () => {
    const s = await setup();
    for (const [raw, shown] of [
      ['file:///etc/passwd', 'file:///etc/passwd'],
      ['ftp://u:secret@example.com/m.json?token=t', 'ftp://example.com/m.json'],
      ['http://example.com/m.json', 'http://example.com/m.json'],
    ]) {
      const args = ['--artifact', 'app.tgz', '--key', 'signing.pub', '--manifest-url', raw!];
      const r = await runCliCaptured(['validate', '--json', '--tag', 'v1.2.3', ...args], {
        env: s.env,
        cwd: s.release.dir,
      });
      expect(r.code, r.stdout).toBe(2);
      expect(r.json().error).toMatchObject({
        code: 'USAGE_INVALID_FLAG',
        details: { flag: 'manifest-url', url: shown },
      });
      expect(r.stdout).not.toContain('secret');
    }
    expect(s.github.requests).toHaveLength(0);
  });

  it('--record writes the verdict back through the merge rule (validated, then validation-failed)', async () => {
    const release = await makeRelease();
    const remote = await createRemote(release.dir);
    const clone = await cloneRemote(remote, join(release.dir, 'clone'));
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      SLSA_LEDGER_LOCK_DIR: join(release.dir, 'locks'),
      GITHUB_RUN_ID: '9001',
    };
    await writeFile(join(release.dir, 'entry.json'), JSON.stringify(release.entry));
    const seeded = await runCliCaptured(
      ['record', '--no-sign', '--json', '--repo', clone, '--entry', join(release.dir, 'entry.json')],
      { env },
    );
    expect(seeded.code, seeded.stdout + seeded.stderr).toBe(0);
    await git(clone, ['pull', '-q', 'origin', 'main']);
    const argv = [
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
      '--no-sign',
    ];
    const passed = await runCliCaptured(argv, { env, cwd: release.dir });
    expect(passed.code, passed.stdout + passed.stderr).toBe(0);
    expect(passed.json().result.recorded).toMatchObject({ outcome: 'committed', queued: false });
    const path = 'docs/reports/2026-11-20/manifest.json';
    let landed = JSON.parse((await showFile(remote, 'main', path))!)[0];
    expect(landed.governance_flag).toBe('validated');
    expect(landed.validation).toMatchObject({ status: 'passed', validator_run_id: 9001 });

    await writeFile(release.artifact, 'tampered');
    const failed = await runCliCaptured(argv, { env, cwd: release.dir });
    expect(failed.code).toBe(1);
    expect(failed.json().error!.code).toBe('VERIFY_SUBJECT_DIGEST_MISMATCH');
    landed = JSON.parse((await showFile(remote, 'main', path))!)[0];
    expect(landed.governance_flag).toBe('validation-failed');
    expect(landed.validation.status).toBe('failed');
    expect(landed.validation.reason).toMatch(/^VERIFY_SUBJECT_DIGEST_MISMATCH: /);
    expect(landed.governance_history.map((h: { flag: string }) => h.flag)).toEqual([
      'provenance-ready',
      'validated',
    ]);

    const noClone = await runCliCaptured(
      [
        'validate',
        '--json',
        '--tag',
        'v1.2.3',
        '--manifest-url',
        'https://example.com/m.json',
        '--artifact',
        'app.tgz',
        '--record',
        '--no-sign',
      ],
      { env, cwd: release.dir },
    );
    expect(noClone.code).toBe(2);
  });
});
