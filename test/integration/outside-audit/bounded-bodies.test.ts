// Outside services that answer without end or drip their answer: every body is read within a
// byte limit and under the request's timeout, and the failure is a coded error (docs/limits.md
// "Answers of outside services"). Before, each of these read until its timeout (hundreds of MB;
// Jira past its timeout, to gigabytes), came back as a success with empty data (octokit), or never
// ended (the attestations API: no timeout, and a `Link: rel="next"` loop of empty pages).
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { fetchBytes } from '../../../src/io/artifact-download.js';
import { fetchAttestations } from '../../../src/io/github-attestations.js';
import { createGithubClient } from '../../../src/io/github.js';
import { fetchJiraIssue } from '../../../src/io/jira.js';
import { postSlackWebhook } from '../../../src/io/slack.js';

type Behaviour = (res: ServerResponse, path: string) => void;

async function serve(behaviour: Behaviour): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  const server = createServer((req, res) => {
    requests += 1;
    behaviour(res, req.url ?? '/');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests };
}

/** 1 MiB chunks as fast as the client reads them, never ending (chunked: no content-length). */
const endless =
  (status = 200): Behaviour =>
  (res) => {
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.write('{"message":"');
    const pump = (): void => {
      while (!res.destroyed && res.write(chunk));
    };
    res.on('drain', pump);
    pump();
  };

/** The headers at once, then one byte every 100 ms, never ending. */
const drip: Behaviour = (res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write('{"fields":{');
  const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(' ')), 100);
  res.on('close', () => clearInterval(timer));
};

async function timed<T>(work: Promise<T>): Promise<{ value: unknown; ms: number }> {
  const start = Date.now();
  const value = await work.catch((error: unknown) => error);
  return { value, ms: Date.now() - start };
}

// a generous timeout: the answer must come from the byte limit, long before it
const longTimeoutMs = 8_000;

describe('bodies without end are cut at the byte limit', () => {
  it('validate downloads (fetchBytes): ARTIFACT_UNAVAILABLE at the limit, not at the timeout', async () => {
    const s = await serve(endless());
    const r = await timed(
      fetchBytes(`${s.url}/artifact.zip`, {
        code: 'ARTIFACT_UNAVAILABLE',
        what: 'artifact download',
        maxBytes: 4 * 1024 * 1024,
        timeoutMs: longTimeoutMs,
      }),
    );
    expect(r.value).toMatchObject({
      code: 'ARTIFACT_UNAVAILABLE',
      details: { limit_bytes: 4 * 1024 * 1024 },
    });
    expect(r.ms).toBeLessThan(longTimeoutMs / 2);
  });

  it('slack: the status is the outcome; an endless error body is not read to its end', async () => {
    const s = await serve(endless(500));
    const r = await timed(postSlackWebhook(new URL(s.url), { text: 'x' }, longTimeoutMs));
    expect(r.value).toMatchObject({ kind: 'response', status: 500 });
    expect(r.ms).toBeLessThan(longTimeoutMs / 2);
  });

  it('jira: JIRA_UNAVAILABLE (exit 5) at the limit, never a raw stream error', async () => {
    const s = await serve(endless());
    const r = await timed(
      fetchJiraIssue({ baseUrl: s.url, email: 'ops@acme.example', apiToken: 't' }, 'REL-1', longTimeoutMs),
    );
    expect(r.value).toMatchObject({ code: 'JIRA_UNAVAILABLE' });
    expect(r.ms).toBeLessThan(longTimeoutMs / 2);
  });

  it('github (octokit): GITHUB_ANSWER_INVALID at the limit of an api answer', async () => {
    const s = await serve(endless());
    const client = createGithubClient({ token: 'ghp_x', baseUrl: s.url, timeoutMs: longTimeoutMs });
    const r = await timed(
      client.request('list issues', 'GET /repos/{owner}/{repo}/issues', { owner: 'a', repo: 'b' }),
    );
    expect(r.value).toMatchObject({ code: 'GITHUB_ANSWER_INVALID' });
    expect(r.ms).toBeLessThan(longTimeoutMs / 2);
  });
});

describe('a body that drips is under the request timeout', () => {
  it('jira: JIRA_UNAVAILABLE at the timeout', async () => {
    const s = await serve(drip);
    const r = await timed(
      fetchJiraIssue({ baseUrl: s.url, email: 'ops@acme.example', apiToken: 't' }, 'REL-1', 500),
    );
    expect(r.value).toMatchObject({ code: 'JIRA_UNAVAILABLE' });
    expect(r.ms).toBeLessThan(5_000);
  });

  it('github (octokit): GITHUB_UNAVAILABLE (timed out), never a success with empty data', async () => {
    const s = await serve(drip);
    const client = createGithubClient({ token: 'ghp_x', baseUrl: s.url, timeoutMs: 500 });
    const r = await timed(
      client.request('list issues', 'GET /repos/{owner}/{repo}/issues', { owner: 'a', repo: 'b' }),
    );
    expect(r.value).toMatchObject({ code: 'GITHUB_UNAVAILABLE' });
    expect((r.value as Error).message).toContain('timed out');
  });

  it('attestations api: a server that never finishes is GITHUB_UNAVAILABLE, not a hang', async () => {
    const s = await serve(drip);
    const r = await Promise.race([
      timed(
        fetchAttestations({
          apiUrl: s.url,
          repo: 'acme/app',
          digest: `sha256:${'a'.repeat(64)}`,
          timeoutMs: 300,
          retryDelayMs: 10,
        }),
      ),
      new Promise<{ value: string; ms: number }>((resolve) =>
        setTimeout(() => resolve({ value: 'hung', ms: 15_000 }), 15_000),
      ),
    ]);
    expect(r.value).toMatchObject({ code: 'GITHUB_UNAVAILABLE' });
    expect(r.ms).toBeLessThan(5_000);
  }, 30_000);
});

describe('attestations api pagination', () => {
  it('an empty page whose Link names itself ends the walk (one request, not an endless loop)', async () => {
    const s = await serve((res, path) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        link: `<${base}${path}>; rel="next"`,
      });
      res.end('{"attestations":[]}');
    });
    const base = s.url;
    const r = await Promise.race([
      timed(fetchAttestations({ apiUrl: s.url, repo: 'acme/app', digest: `sha256:${'a'.repeat(64)}` })),
      new Promise<{ value: string; ms: number }>((resolve) =>
        setTimeout(() => resolve({ value: 'hung', ms: 10_000 }), 10_000),
      ),
    ]);
    expect(r.value).toMatchObject({ code: 'ATTESTATIONS_NOT_FOUND' });
    expect(s.requests()).toBe(1);
  });
});
