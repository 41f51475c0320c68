// `signoff` / `validate --require-signoff` read one Jira issue: a 503, a 429 within its Retry-After
// cap and a network failure are tried again under the one retry policy (src/core/retry,
// `retryPolicies.jira`), as Slack and the GitHub API reads are; before, the first 503 ended the
// sign-off with JIRA_UNAVAILABLE (exit 5) and the release waited for a human to re-run it.
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../support/cli.js';
import { mountFake, type FakeResponse } from '../../support/http-fake.js';

const done: FakeResponse = {
  status: 200,
  body: { key: 'REL-1', fields: { status: { name: 'Done', statusCategory: { key: 'done' } }, labels: [] } },
};

async function signoff(script: readonly FakeResponse[]) {
  let n = 0;
  const jira = await mountFake(() => script[Math.min(n++, script.length - 1)]!);
  const r = await runCliCaptured(['signoff', '--json', '--jira', 'REL-1'], {
    env: {
      PATH: process.env.PATH,
      JIRA_BASE_URL: jira.url,
      JIRA_EMAIL: 'ops@acme.example',
      JIRA_API_TOKEN: 't',
    },
  });
  return { r, requests: () => n };
}

describe('the Jira sign-off follows the one retry policy', () => {
  it('a 503, then the issue: signed off', async () => {
    const { r, requests } = await signoff([{ status: 503, body: 'unavailable' }, done]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json().result).toMatchObject({ key: 'REL-1', approved_by: 'status' });
    expect(requests()).toBe(2);
  });

  it('a 429 with Retry-After: 1, then the issue: signed off', async () => {
    const { r, requests } = await signoff([{ status: 429, headers: { 'retry-after': '1' }, body: '' }, done]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(requests()).toBe(2);
  });

  it('a 429 asking for an hour gives up at once (JIRA_UNAVAILABLE, exit 5)', async () => {
    const { r, requests } = await signoff([
      { status: 429, headers: { 'retry-after': '3600' }, body: '' },
      done,
    ]);
    expect(r.code).toBe(5);
    expect(r.json().error!.code).toBe('JIRA_UNAVAILABLE');
    expect(requests()).toBe(1);
  });

  it('503 every time: JIRA_UNAVAILABLE after 3 attempts; 401 and 404 are never retried', async () => {
    const failing = await signoff([{ status: 503, body: '' }]);
    expect(failing.r.code).toBe(5);
    expect(failing.r.json().error!.details).toMatchObject({ status: 503, attempts: 3 });
    expect(failing.requests()).toBe(3);
    const refused = await signoff([{ status: 401, body: '' }, done]);
    expect(refused.r.json().error!.code).toBe('JIRA_REJECTED');
    expect(refused.requests()).toBe(1);
    const missing = await signoff([{ status: 404, body: '' }, done]);
    expect(missing.r.json().error!.code).toBe('VALIDATE_SIGNOFF_MISSING');
    expect(missing.requests()).toBe(1);
  });
});
