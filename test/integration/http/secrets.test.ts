// Secrets nowhere (issue 13 item 7): a receiver that echoes the webhook path or the token must not
// put either into the --json output, stderr or out/provenance/notifications.jsonl; every text file
// the tool writes passes the same redaction as its output.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../../src/io/files.js';
import { withSecrets } from '../../../src/io/redaction.js';
import { runCliCaptured } from '../../support/cli.js';
import { mountFake } from '../../support/http-fake.js';

const token = 'ghs_ECHOEDTOKEN0123456789abcdefghij';
const hookPath = '/services/T0SECRET/B0SECRET/zyxwvutsrqponmlkjihgfedc';

const entry = {
  run_id: 42,
  tag: 'v9.9.9',
  sha: 'b'.repeat(40),
  artifact_url: null,
  actor: 'bot',
  timestamp: '2026-11-20T10:00:00Z',
  status: 'failure',
  governance_flag: 'artifact-missing',
  release_url: 'https://github.com/acme/app/releases/tag/v9.9.9',
  failure_reason: 'artifacts missing',
};

describe('secrets never reach output or files', () => {
  it('a Slack receiver echoing its path and a GitHub API echoing the token leak neither', async () => {
    // a misconfigured proxy in front of Slack: 400 with the request path in the body
    const slack = await mountFake((r) => ({ status: 400, body: `invalid_payload at ${r.path}` }));
    // an API (or proxy) that quotes the credential it refused
    const github = await mountFake((r) => ({
      status: 401,
      body: { message: `Bad credentials: ${(r.headers.authorization ?? '').replace(/^\S+ /, '')}` },
    }));
    const dir = await mkdtemp(join(tmpdir(), 'slsa-secrets-'));
    await writeFile(join(dir, 'entry.json'), JSON.stringify(entry));
    const r = await runCliCaptured(
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
      {
        cwd: dir,
        env: {
          PATH: process.env.PATH,
          SLACK_WEBHOOK_URL: `${slack.url}${hookPath}`,
          GITHUB_TOKEN: token,
          GITHUB_API_URL: github.url,
        },
      },
    );
    expect(r.code).toBe(3);
    const log = await readFile(join(dir, 'out/provenance/notifications.jsonl'), 'utf8');
    // the echoes did happen (the test is live) …
    expect(log).toContain('invalid_payload at ***');
    expect(log).toContain('Bad credentials: ***');
    // … and nothing secret is left anywhere
    for (const text of [r.stdout, r.stderr, log]) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(hookPath);
      expect(text).not.toContain('zyxwvutsrqponmlkjihgfedc');
    }
  });

  it('writeFileAtomic redacts text inside a secrets scope and leaves bytes alone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slsa-secrets-'));
    await withSecrets(['s3cr3t-value-123'], async () => {
      await writeFileAtomic(join(dir, 'a.txt'), 'token=s3cr3t-value-123 url=https://u:pw12@h/x\n');
      await writeFileAtomic(join(dir, 'b.bin'), Buffer.from('s3cr3t-value-123'));
    });
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('token=*** url=https://u:***@h/x\n');
    expect(await readFile(join(dir, 'b.bin'), 'utf8')).toBe('s3cr3t-value-123');
    // outside a scope nothing is known to be secret
    await writeFileAtomic(join(dir, 'c.txt'), 's3cr3t-value-123');
    expect(await readFile(join(dir, 'c.txt'), 'utf8')).toBe('s3cr3t-value-123');
  });
});
