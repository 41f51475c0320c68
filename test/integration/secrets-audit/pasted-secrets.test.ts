// A secret saved with its line break (`gh secret set NAME < file`, `$(cat token)`) is sent trimmed:
// fetch trims header values. An API that quotes the credential it refused echoes the trimmed value,
// which must be redacted as the value itself is.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../support/cli.js';
import { mountFake } from '../../support/http-fake.js';
import { makeEntry } from '../../support/ledger.js';

const token = 'ghs_PASTEDWITHNEWLINE0123456789abcd';

describe('a token pasted with a trailing line break', () => {
  it('is redacted when the GitHub API quotes it back', async () => {
    const github = await mountFake((r) => ({
      status: 401,
      body: { message: `Bad credentials: ${(r.headers.authorization ?? '').replace(/^\S+ /, '')}` },
    }));
    const dir = await mkdtemp(join(tmpdir(), 'slsa-secrets-'));
    const r = await runCliCaptured(
      [
        'notify',
        '--json',
        '--event',
        'provenance-failure',
        '--entry',
        '-',
        '--github-issue',
        '--repository',
        'acme/app',
      ],
      {
        cwd: dir,
        stdin: JSON.stringify(
          makeEntry({ status: 'failure', artifact_url: null, failure_reason: 'upload failed' }),
        ),
        env: { PATH: process.env.PATH, GITHUB_TOKEN: `${token}\n`, GITHUB_API_URL: github.url },
      },
    );
    expect(r.code).toBe(3);
    const log = await readFile(join(dir, 'out/provenance/notifications.jsonl'), 'utf8');
    // the echo happened (the test is live) …
    expect(r.stdout).toContain('Bad credentials: ***');
    expect(log).toContain('Bad credentials: ***');
    // … and the token is nowhere
    for (const text of [r.stdout, r.stderr, log]) expect(text).not.toContain(token);
  });
});

describe('a secret with a quote or a backslash in it', () => {
  it('is redacted in the --json output and the notification log, where JSON escapes it', async () => {
    const quoted = 'tok"en\\with-quote-0123456789';
    const github = await mountFake((r) => ({
      status: 401,
      body: { message: `Bad credentials: ${(r.headers.authorization ?? '').replace(/^\S+ /, '')}` },
    }));
    const dir = await mkdtemp(join(tmpdir(), 'slsa-secrets-'));
    const r = await runCliCaptured(
      [
        'notify',
        '--json',
        '--event',
        'provenance-failure',
        '--entry',
        '-',
        '--github-issue',
        '--repository',
        'acme/app',
      ],
      {
        cwd: dir,
        stdin: JSON.stringify(
          makeEntry({ status: 'failure', artifact_url: null, failure_reason: 'upload failed' }),
        ),
        env: { PATH: process.env.PATH, GITHUB_TOKEN: quoted, GITHUB_API_URL: github.url },
      },
    );
    expect(r.code).toBe(3);
    const log = await readFile(join(dir, 'out/provenance/notifications.jsonl'), 'utf8');
    expect(r.stdout).toContain('Bad credentials: ***');
    expect(log).toContain('Bad credentials: ***');
    for (const text of [r.stdout, r.stderr, log]) {
      expect(text).not.toContain('with-quote-0123456789');
    }
  });
});
