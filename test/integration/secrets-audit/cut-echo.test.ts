// An answer that quotes a secret is cut short for messages (GitHub's message at 200 characters, a
// Slack body at 80): cut first, the part of the secret before the cut no longer matches the secret
// and reaches the output and the notification log. Redacted first, nothing of it is left.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../support/cli.js';
import { mountFake } from '../../support/http-fake.js';
import { makeEntry } from '../../support/ledger.js';

// credentials of no known shape: only the environment says they are secret
const token = 'PlainGithubToken-0123456789abcdefghij';
const hookSecret = 'HookSecretPart0123456789abcdef';
const hookPath = `/services/T0CUT/B0CUT/${hookSecret}`;

async function notify(env: Record<string, string>, extra: string[] = []) {
  const dir = await mkdtemp(join(tmpdir(), 'slsa-secrets-'));
  const r = await runCliCaptured(
    ['notify', '--json', '--event', 'provenance-failure', '--entry', '-', ...extra],
    {
      cwd: dir,
      stdin: JSON.stringify(
        makeEntry({ status: 'failure', artifact_url: null, failure_reason: 'upload failed' }),
      ),
      env: { PATH: process.env.PATH ?? '', ...env },
    },
  );
  const log = await readFile(join(dir, 'out/provenance/notifications.jsonl'), 'utf8');
  return { r, log };
}

describe('an echo cut across the secret', () => {
  it("leaves nothing of the token GitHub's message quotes across its 200th character", async () => {
    const github = await mountFake((r) => {
      const sent = (r.headers.authorization ?? '').replace(/^\S+ /, '');
      // the token starts at character 176 of the message
      return { status: 401, body: { message: `${'Bad credentials. '.repeat(10)}token:${sent}` } };
    });
    const { r, log } = await notify({ GITHUB_TOKEN: token, GITHUB_API_URL: github.url }, [
      '--github-issue',
      '--repository',
      'acme/app',
    ]);
    expect(r.code).toBe(3);
    expect(log).toContain('token:***');
    for (const text of [r.stdout, r.stderr, log]) expect(text).not.toContain(token.slice(0, 10));
  });

  it("leaves nothing of the webhook's secret a Slack receiver echoes across its 80th character", async () => {
    const slack = await mountFake((r) => ({
      status: 400,
      body: `invalid_payload: no such webhook ${r.path}`,
    }));
    const { r, log } = await notify({ SLACK_WEBHOOK_URL: `${slack.url}${hookPath}` });
    expect(r.code).toBe(3);
    expect(log).toContain('invalid_payload: no such webhook ***');
    for (const text of [r.stdout, r.stderr, log]) expect(text).not.toContain(hookSecret.slice(0, 10));
  });
});
