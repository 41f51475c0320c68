// GitHub's rate limits through the octokit client (dispatch, notify --github-issue, record --via-pr):
// a 403 of the secondary limit, or with `x-ratelimit-remaining: 0`, is a limit (exit 5: try later),
// as the REST docs' rate-limit page says and the attestations adapter already decided; a 403 of
// permissions stays a refusal (exit 3). Before, every 403 was GITHUB_REJECTED: notify reported
// NOTIFY_REJECTED ("never retried") and dispatch exit 3 for a limit that passes in a minute.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../support/cli.js';
import { mountFake, type FakeResponse } from '../../support/http-fake.js';

const token = 'ghp_RATELIMIT0123456789';
const secondary: FakeResponse = {
  status: 403,
  headers: { 'retry-after': '60' },
  body: {
    message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
  },
};
const primary: FakeResponse = {
  status: 403,
  headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1767225600' },
  body: { message: 'API rate limit exceeded for installation ID 1.' },
};
const permissions: FakeResponse = {
  status: 403,
  body: { message: 'Resource not accessible by integration' },
};

async function dispatch(answer: FakeResponse) {
  const github = await mountFake(() => answer);
  return runCliCaptured(
    ['dispatch', '--json', '--repository', 'acme/app', '--workflow', 'p.yml', '--ref', 'v1.2.3'],
    { env: { PATH: process.env.PATH, PROVENANCE_DISPATCH_TOKEN: token, GITHUB_API_URL: github.url } },
  );
}

async function notify(answer: FakeResponse) {
  const github = await mountFake(() => answer);
  const dir = await mkdtemp(join(tmpdir(), 'outside-rate-'));
  await writeFile(join(dir, 'entry.json'), JSON.stringify({ tag: 'v1.2.3' }));
  return runCliCaptured(
    [
      'notify',
      '--json',
      '--event',
      'provenance-failure',
      '--entry',
      'entry.json',
      '--github-issue',
      '--repository',
      'acme/app',
    ],
    { env: { PATH: process.env.PATH, GITHUB_TOKEN: token, GITHUB_API_URL: github.url }, cwd: dir },
  );
}

describe('a GitHub rate limit is unavailable (exit 5), a 403 of permissions a refusal (exit 3)', () => {
  it.each([
    ['secondary', secondary],
    ['primary', primary],
  ])('dispatch, %s limit: DISPATCH_FAILED (exit 5) with the wait', async (_name, answer) => {
    const r = await dispatch(answer);
    expect(r.code, r.stdout + r.stderr).toBe(5);
    expect(r.json().error!.code).toBe('DISPATCH_FAILED');
    expect(r.json().error!.message).toContain('rate limit');
  });

  it.each([
    ['secondary', secondary],
    ['primary', primary],
  ])(
    'notify --github-issue, %s limit: NOTIFY_FAILED (exit 5), not NOTIFY_REJECTED',
    async (_name, answer) => {
      const r = await notify(answer);
      expect(r.code, r.stdout + r.stderr).toBe(5);
      expect(r.json().error!.code).toBe('NOTIFY_FAILED');
    },
  );

  it('a 403 of permissions is still a refusal', async () => {
    const d = await dispatch(permissions);
    expect(d.code).toBe(3);
    expect(d.json().error!.code).toBe('GITHUB_REJECTED');
    const n = await notify(permissions);
    expect(n.code).toBe(3);
    expect(n.json().error!.code).toBe('NOTIFY_REJECTED');
  });
});
