// The GitHub API client follows redirects (a renamed repository answers 301), but an answer reached
// over plain http after one is refused: GITHUB_API_URL must be https (http only to a loopback
// address), and a redirect must not downgrade that. Before, octokit took the plain-http answer as
// GitHub's (the token was dropped: another origin).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createGithubClient } from '../../../src/io/github.js';
import { mountFake } from '../../support/http-fake.js';

describe('a redirect of the github api to plain http', () => {
  it('is GITHUB_ANSWER_INVALID, and the token never reaches the other origin', async () => {
    const seen: (string | undefined)[] = [];
    // 127.0.0.2: a loopback address, but not one plain http is allowed to (only 127.0.0.1, localhost, ::1)
    const plain = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('[{"number":1,"title":"forged","state":"open","html_url":"https://x"}]');
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.2', resolve));
    onTestFinished(() => {
      plain.closeAllConnections();
      plain.close();
    });
    const target = `http://127.0.0.2:${(plain.address() as AddressInfo).port}/issues`;
    const api = await mountFake(() => ({ status: 301, headers: { location: target } }));
    const client = createGithubClient({ token: 'ghp_REDIRECT0123', baseUrl: api.url });
    const error = await client
      .request('list issues', 'GET /repos/{owner}/{repo}/issues', { owner: 'acme', repo: 'app' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'GITHUB_ANSWER_INVALID' });
    expect(seen.every((a) => a === undefined)).toBe(true);
  });

  it('a redirect within https (here: the loopback origin) is still followed', async () => {
    const api = await mountFake((request) =>
      request.path.startsWith('/repos/acme/app/')
        ? { status: 301, headers: { location: `${api.url}/repositories/1/issues` } }
        : { status: 200, body: [] },
    );
    const client = createGithubClient({ token: 'ghp_REDIRECT0123', baseUrl: api.url });
    const response = await client.request('list issues', 'GET /repos/{owner}/{repo}/issues', {
      owner: 'acme',
      repo: 'app',
    });
    expect(response.data).toEqual([]);
  });
});
