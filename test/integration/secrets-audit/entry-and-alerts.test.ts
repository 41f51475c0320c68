// Secrets never reach a manifest or an alert (the attacker's audit of secret handling): a failure
// reason quotes what failed — a git error with the remote's token, a log line with GITHUB_TOKEN —
// and the entry is pushed to every clone of the ledger, sent to Slack and opened as a GitHub issue.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../support/cli.js';
import { FakeSlack } from '../../support/fake-slack.js';
import {
  cloneRemote,
  createRemote,
  git,
  installFreezeHook,
  makeTempDir,
  showFile,
} from '../../support/git.js';
import { mountFake, type FakeRequest } from '../../support/http-fake.js';
import { makeEntry } from '../../support/ledger.js';

const token = 'ghs_AUDITTOKEN0123456789abcdefghijkl';
const dbPassword = 'Pg-Audit-Passw0rd';
const reason = `push to https://x-access-token:${token}@github.com/acme/app.git failed (token ${token}); database postgres://ingest:${dbPassword}@db.internal/ledger refused`;

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
beforeEach(async () => {
  tmp = await makeTempDir();
});
afterEach(() => tmp.cleanup());

function expectNoSecret(...texts: (string | undefined)[]): void {
  for (const text of texts) {
    expect(text).not.toContain(token);
    expect(text).not.toContain(dbPassword);
  }
}

describe('a failure reason that quotes a secret', () => {
  it('is redacted in the manifest pushed to the ledger, in the queue file and on the queue branch', async () => {
    const remote = await createRemote(tmp.path);
    const clone = await cloneRemote(remote, join(tmp.path, 'clone'));
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      GITHUB_TOKEN: token,
      SLSA_LEDGER_LOCK_DIR: join(tmp.path, 'locks'),
    };
    const landed = await runCliCaptured(['record', '--no-sign', '--json', '--repo', clone, '--entry', '-'], {
      env,
      stdin: JSON.stringify(
        makeEntry({ run_id: 11, status: 'failure', artifact_url: null, failure_reason: reason }),
      ),
    });
    expect(landed.code).toBe(0);
    const manifest = await showFile(remote, 'main', 'docs/reports/2025-11-24/manifest.json');
    // the entry landed, its reason kept and redacted as the CLI's output is
    expect(manifest).toContain(
      'push to https://x-access-token:***@github.com/acme/app.git failed (token ***)',
    );
    expect(manifest).toContain('postgres://ingest:***@db.internal/ledger');
    expectNoSecret(manifest, landed.stdout, landed.stderr);

    // refused push: the entry is queued (file and branch) with the same redaction
    await installFreezeHook(remote);
    const queued = await runCliCaptured(['record', '--no-sign', '--json', '--repo', clone, '--entry', '-'], {
      env,
      stdin: JSON.stringify(
        makeEntry({ run_id: 12, status: 'failure', artifact_url: null, failure_reason: reason }),
      ),
    });
    expect(queued.code).toBe(75);
    const queueFile = await readFile(join(clone, 'out/provenance/queued-manifest.json'), 'utf8');
    expect(queueFile).toContain('token ***');
    const branch = await git(remote, ['log', '-p', '--format=%B', 'provenance-queue']);
    expect(branch).toContain('token ***');
    expectNoSecret(queueFile, branch, queued.stdout, queued.stderr);
  });
});

describe('a failure reason that quotes a credential of no variable the tool knows', () => {
  it('lands in the ledger with the credential redacted by its shape', async () => {
    const remote = await createRemote(tmp.path);
    const clone = await cloneRemote(remote, join(tmp.path, 'clone'));
    // a personal access token in a remote URL, an OIDC identity token in a log line
    const pat = 'ghp_RELEASEPAT0123456789abcdefghijklmn';
    const jwt = 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJyZXBvOmFjbWUvYXBwIn0.c2lnbmF0dXJlYnl0ZXM';
    const landed = await runCliCaptured(['record', '--no-sign', '--json', '--repo', clone, '--entry', '-'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, SLSA_LEDGER_LOCK_DIR: join(tmp.path, 'locks') },
      stdin: JSON.stringify(
        makeEntry({
          run_id: 13,
          status: 'failure',
          artifact_url: null,
          failure_reason: `fatal: could not push to https://${pat}@github.com/acme/app.git; id token ${jwt}`,
        }),
      ),
    });
    expect(landed.code).toBe(0);
    const manifest = await showFile(remote, 'main', 'docs/reports/2025-11-24/manifest.json');
    expect(manifest).toContain('could not push to https://***@github.com/acme/app.git; id token ***');
    for (const text of [manifest, landed.stdout, landed.stderr]) {
      expect(text).not.toContain(pat);
      expect(text).not.toContain(jwt.split('.')[1]);
    }
  });
});

describe('an alert about such an entry', () => {
  it('reaches Slack and the GitHub issue redacted', async () => {
    const slack = new FakeSlack();
    const webhook = await slack.mount();
    const issues: FakeRequest[] = [];
    const github = await mountFake((r) => {
      if (r.method === 'GET') return { status: 200, body: [] };
      issues.push(r);
      return { status: 201, body: { number: 7, html_url: 'https://github.com/acme/app/issues/7' } };
    });
    const entry = makeEntry({ status: 'failure', artifact_url: null, failure_reason: reason });
    const dir = tmp.path;
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
        stdin: JSON.stringify(entry),
        env: {
          PATH: process.env.PATH,
          SLACK_WEBHOOK_URL: webhook,
          GITHUB_TOKEN: token,
          GITHUB_API_URL: github.url,
        },
      },
    );
    expect(r.code).toBe(0);
    expect(slack.messages).toHaveLength(1);
    expect(issues).toHaveLength(1);
    const sent = [JSON.stringify(slack.messages), ...issues.map((i) => i.body)];
    // the reason was sent (the test is live) …
    for (const body of sent) expect(body).toContain('x-access-token:***@github.com');
    // … and no secret with it
    expectNoSecret(...sent, r.stdout, r.stderr);
  });
});
