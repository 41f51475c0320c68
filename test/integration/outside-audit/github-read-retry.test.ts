// GitHub's REST API answers a 5xx now and then ("Troubleshooting the REST API": retry server errors
// after a wait, https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api).
// A read (GET) is tried again under the one retry policy (`githubApi`); a write (POST, PATCH) never,
// because it may have been done though its answer failed (a second issue, a second dispatch). Before,
// a single 502 on the listing of issues or runs failed the command (GITHUB_UNAVAILABLE, exit 5).
import { describe, expect, it } from 'vitest';
import { retryPolicies } from '../../../src/core/retry/decide-retry.js';
import { createGithubClient } from '../../../src/io/github.js';
import { mountFake, type FakeRequest } from '../../support/http-fake.js';

describe('the github client tries a read again on a 5xx, never a write', () => {
  it('a 502, a 503, then the answer: the GET succeeds on its third attempt', async () => {
    const seen: FakeRequest[] = [];
    const api = await mountFake((request) => {
      seen.push(request);
      return seen.length <= 2
        ? { status: seen.length === 1 ? 502 : 503, body: { message: 'Server Error' } }
        : { status: 200, body: [] };
    });
    const client = createGithubClient({ token: 'ghp_RETRY0123456789', baseUrl: api.url });
    const response = await client.request('list issues', 'GET /repos/{owner}/{repo}/issues', {
      owner: 'acme',
      repo: 'app',
    });
    expect(response.data).toEqual([]);
    expect(seen.map((r) => r.method)).toEqual(['GET', 'GET', 'GET']);
  });

  it('a 5xx every time: GITHUB_UNAVAILABLE after the policy`s attempts, with the count', async () => {
    let count = 0;
    const api = await mountFake(() => {
      count += 1;
      return { status: 500, body: { message: 'Server Error' } };
    });
    const client = createGithubClient({ token: 'ghp_RETRY0123456789', baseUrl: api.url });
    const error = await client
      .request('list issues', 'GET /repos/{owner}/{repo}/issues', { owner: 'acme', repo: 'app' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'GITHUB_UNAVAILABLE',
      details: { status: 500, attempts: retryPolicies.githubApi.maxAttempts },
    });
    expect((error as { details: Record<string, unknown> }).details).not.toHaveProperty('retry');
    expect(count).toBe(retryPolicies.githubApi.maxAttempts);
  });

  it('a 4xx is not tried again', async () => {
    let count = 0;
    const api = await mountFake(() => {
      count += 1;
      return { status: 404, body: { message: 'Not Found' } };
    });
    const client = createGithubClient({ token: 'ghp_RETRY0123456789', baseUrl: api.url });
    await expect(
      client.request('list issues', 'GET /repos/{owner}/{repo}/issues', { owner: 'acme', repo: 'app' }),
    ).rejects.toMatchObject({ code: 'GITHUB_REJECTED' });
    expect(count).toBe(1);
  });

  it('a POST answered 502 is sent once: it may have been done', async () => {
    let count = 0;
    const api = await mountFake(() => {
      count += 1;
      return { status: 502, body: { message: 'Server Error' } };
    });
    const client = createGithubClient({ token: 'ghp_RETRY0123456789', baseUrl: api.url });
    const error = await client
      .request('create issue', 'POST /repos/{owner}/{repo}/issues', {
        owner: 'acme',
        repo: 'app',
        title: 't',
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'GITHUB_UNAVAILABLE', details: { status: 502 } });
    expect((error as { details: Record<string, unknown> }).details).not.toHaveProperty('retry');
    expect(count).toBe(1);
  });
});

describe("octokit's request log", () => {
  it('a failed write is said once, by the coded error: octokit\'s own "POST … - 500 with id UNKNOWN" line is not a warning', async () => {
    const api = await mountFake(() => ({ status: 500, body: { message: 'Server Error' } }));
    const lines: { level: string; message: string }[] = [];
    const log = (level: string) => (message: string) => lines.push({ level, message });
    const client = createGithubClient({
      token: 'ghp_RETRY0123456789',
      baseUrl: api.url,
      logger: {
        debug: log('debug'),
        info: log('info'),
        warn: log('warn'),
        progress: () => {},
        progressDone: () => {},
      },
    });
    const error = await client
      .request('dispatch', 'POST /repos/{owner}/{repo}/dispatches', { owner: 'acme', repo: 'app' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'GITHUB_UNAVAILABLE' });
    expect(lines.filter((l) => l.level !== 'debug')).toEqual([]);
  });
});
