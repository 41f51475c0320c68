import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../../../src/core/ledger/entry.js';
import { runCliCaptured } from '../../support/cli.js';
import { FakeGithub } from '../../support/fake-github.js';
import { findSecret } from '../../support/http-fake.js';
import { cloneRemote, createRemote, git, installFreezeHook, showFile } from '../../support/git.js';
import { makeRelease } from '../../support/release-fixture.js';

const token = 'ghs_VIAPRSECRET0123456789abcdefghij';

const entry: LedgerEntry = {
  run_id: 55,
  tag: 'v1.2.3',
  sha: 'b'.repeat(40),
  artifact_url: 'https://github.com/acme/app/actions/runs/55/artifacts/777',
  actor: 'release-bot',
  timestamp: '2026-11-20T10:00:00Z',
  status: 'success',
  governance_flag: 'provenance-ready',
  release_url: 'https://github.com/acme/app/releases/tag/v1.2.3',
};

function branchExists(remote: string, branch: string): boolean {
  try {
    execFileSync('git', ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], {
      cwd: remote,
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
}

async function setup(pullMode: 'ok' | 'refuse' | 'no-auto-merge' = 'ok') {
  const root = await mkdtemp(join(tmpdir(), 'slsa-via-pr-'));
  const remote = await createRemote(root);
  // main only takes pull requests: a direct push is refused
  await installFreezeHook(remote, 'main');
  const clone = await cloneRemote(remote, join(root, 'clone'));
  const github = new FakeGithub({ token, pullMode, branchExists: (b) => branchExists(remote, b) });
  const api = await github.mount();
  await writeFile(join(root, 'entry.json'), JSON.stringify(entry));
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_TOKEN: token,
    GITHUB_API_URL: api,
    GITHUB_REPOSITORY: 'acme/app',
    SLSA_LEDGER_LOCK_DIR: join(root, 'locks'),
  };
  const record = (extra: string[] = [], more: Record<string, string | undefined> = {}) =>
    runCliCaptured(
      [
        'record',
        '--no-sign',
        '--json',
        '--via-pr',
        '--repo',
        'clone',
        '--entry',
        join(root, 'entry.json'),
        ...extra,
      ],
      {
        env: { ...env, ...more },
        cwd: root,
      },
    );
  return { root, remote, clone, github, api, env, record };
}

describe('record --via-pr against a bare remote and a local GitHub API', () => {
  it('shows the tag in the pull request body as code: a tag like @acme-team mentions no one', async () => {
    const s = await setup();
    const tag = '@acme-team';
    await writeFile(
      join(s.root, 'entry.json'),
      JSON.stringify({ ...entry, tag, release_url: `https://github.com/acme/app/releases/tag/${tag}` }),
    );
    const r = await s.record();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const body = s.github.pulls[0]!.body;
    expect(body).toMatch(/^```text\n[^`]*Provenance-Tag: @acme-team\n[^`]*```\n/);
    expect(body).toContain('one ledger entry (`@acme-team`, run 55)');
    // outside code, no @ at all
    expect(body.replace(/```text\n[^`]*```/, '').replace(/`[^`]*`/g, '')).not.toContain('@');
  });

  it('pushes provenance/<tag>-<run_id>, opens a pull request with the same title and trailers, enables auto-merge', async () => {
    const s = await setup();
    const r = await s.record();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const result = r.json().result;
    expect(result.outcome).toBe('committed');
    expect(result.pull_request).toMatchObject({
      number: 101,
      url: 'https://github.com/acme/app/pull/101',
      branch: 'provenance/v1.2.3-55',
      auto_merge: 'enabled',
      reused: false,
    });
    const head = await git(s.remote, ['rev-parse', 'refs/heads/provenance/v1.2.3-55']);
    expect(head).toBe(result.commit);
    const message = await git(s.remote, ['log', '-1', '--format=%B', head]);
    const pull = s.github.pulls[0]!;
    expect(pull).toMatchObject({
      title: message.split('\n')[0],
      head: 'provenance/v1.2.3-55',
      base: 'main',
      autoMerge: true,
      mergeMethod: 'REBASE',
    });
    expect(pull.title).toBe('provenance: record v1.2.3 (run 55, success)');
    for (const trailer of [
      'Provenance-Run-Id: 55',
      'Provenance-Tag: v1.2.3',
      'Manifest-Path: docs/reports/2026-11-20/manifest.json',
      'Manifest-Sha256: ',
    ]) {
      expect(pull.body).toContain(trailer);
      expect(message).toContain(trailer);
    }
    // main is untouched until the pull request merges
    expect(await showFile(s.remote, 'main', 'docs/reports/2026-11-20/manifest.json')).toBeUndefined();
    expect(s.github.requests.map((q) => `${q.method} ${q.path}`)).toEqual([
      'POST /repos/acme/app/pulls',
      'POST /graphql',
    ]);
    for (const q of s.github.requests) expect(q.headers.authorization).toBe(`token ${token}`);
    expect(findSecret([r.stdout, r.stderr], [token])).toBeUndefined();

    // the same key again (a newer timestamp): the branch is updated and the open pull request reused
    await writeFile(
      join(s.root, 'entry.json'),
      JSON.stringify({ ...entry, timestamp: '2026-11-20T11:00:00Z', governance_flag: 'validated' }),
    );
    const again = await s.record();
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.json().result.pull_request).toMatchObject({ number: 101, reused: true });
    expect(s.github.pulls).toHaveLength(1);
  });

  it('leaves the pull request open when auto-merge is not allowed', async () => {
    const s = await setup('no-auto-merge');
    const r = await s.record();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json().result.pull_request).toMatchObject({ auto_merge: 'not-allowed' });
    expect(s.github.pulls[0]!.autoMerge).toBe(false);
  });

  it('queues the entry (exit 75) when the pull request is refused, and removes the branch', async () => {
    const s = await setup('refuse');
    const r = await s.record();
    expect(r.code, r.stdout + r.stderr).toBe(75);
    const result = r.json().result;
    expect(result.outcome).toBe('queued');
    expect(result.pull_request).toBeNull();
    const queue = JSON.parse(await readFile(join(s.clone, 'out/provenance/queued-manifest.json'), 'utf8'));
    expect(queue).toHaveLength(1);
    expect(queue[0].entry).toMatchObject({ tag: 'v1.2.3', run_id: 55 });
    expect(queue[0].reason).toContain('pull request refused');
    expect(branchExists(s.remote, 'provenance/v1.2.3-55')).toBe(false);
    const files = [await readFile(join(s.clone, 'out/provenance/queued-manifest.json'), 'utf8')];
    expect(findSecret([r.stdout, r.stderr, ...files], [token])).toBeUndefined();
  });

  it('needs a token (exit 2) and touches nothing without one', async () => {
    const s = await setup();
    const r = await s.record([], { GITHUB_TOKEN: undefined });
    expect(r.code).toBe(2);
    expect(s.github.requests).toHaveLength(0);
    expect(branchExists(s.remote, 'provenance/v1.2.3-55')).toBe(false);
  });

  it('validate --record --via-pr writes the verdict through a pull request', async () => {
    const s = await setup();
    const release = await makeRelease();
    // land the entry on main first (lift the freeze for the seed only)
    const { removeFreezeHook } = await import('../../support/git.js');
    await removeFreezeHook(s.remote);
    await writeFile(join(s.root, 'release-entry.json'), JSON.stringify(release.entry));
    const seeded = await runCliCaptured(
      ['record', '--no-sign', '--json', '--repo', 'clone', '--entry', join(s.root, 'release-entry.json')],
      { env: s.env, cwd: s.root },
    );
    expect(seeded.code, seeded.stdout + seeded.stderr).toBe(0);
    await installFreezeHook(s.remote, 'main');
    await git(s.clone, ['pull', '-q', 'origin', 'main']);
    const r = await runCliCaptured(
      [
        'validate',
        '--json',
        '--tag',
        'v1.2.3',
        '--repo',
        'clone',
        '--key',
        release.publicKey,
        '--artifact',
        release.artifact,
        '--provenance',
        release.provenance,
        '--record',
        '--no-sign',
        '--via-pr',
      ],
      { env: { ...s.env, GITHUB_RUN_ID: '777' }, cwd: s.root },
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const result = r.json().result;
    expect(result.recorded).toMatchObject({
      outcome: 'committed',
      queued: false,
      pr_url: 'https://github.com/acme/app/pull/101',
    });
    const text = await showFile(s.remote, 'provenance/v1.2.3-55', 'docs/reports/2026-11-20/manifest.json');
    const landed = JSON.parse(text!)[0];
    expect(landed.governance_flag).toBe('validated');
    expect(landed.validation).toMatchObject({ status: 'passed', validator_run_id: 777 });
    expect(landed.governance_history).toEqual([
      { flag: 'provenance-ready', timestamp: release.entry.timestamp, run_id: 55 },
    ]);
  });
});
