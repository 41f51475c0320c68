import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeNotificationMetrics, parseNotificationLog } from '../../../src/core/notify/metrics.js';
import { runCliCaptured } from '../../support/cli.js';
import { FakeGithub } from '../../support/fake-github.js';
import { FakeSlack, type SlackAnswer } from '../../support/fake-slack.js';
import { findSecret, mountFake } from '../../support/http-fake.js';

const githubToken = 'ghs_NOTIFYSECRETTOKEN0123456789abcdef';

const entry = {
  run_id: 123456,
  tag: 'v1.2.3',
  sha: 'a'.repeat(40),
  artifact_url: null,
  actor: 'release-bot',
  timestamp: '2026-11-20T10:00:00Z',
  status: 'failure',
  governance_flag: 'artifact-missing',
  release_url: 'https://github.com/acme/app/releases/tag/v1.2.3',
  failure_reason: 'provenance job <failed> & exited 1',
};

async function setup(script: readonly SlackAnswer[] = [], retryAfter = 1) {
  const slack = new FakeSlack(undefined, script, retryAfter);
  const webhook = await slack.mount();
  const dir = await mkdtemp(join(tmpdir(), 'slsa-notify-'));
  await writeFile(join(dir, 'entry.json'), JSON.stringify(entry));
  const env: Record<string, string | undefined> = { PATH: process.env.PATH, SLACK_WEBHOOK_URL: webhook };
  const logFile = join(dir, 'out/provenance/notifications.jsonl');
  const secrets = [slack.secretPath, webhook];
  const run = async (extra: string[] = [], more: Record<string, string | undefined> = {}) =>
    runCliCaptured(['notify', '--json', '--event', 'provenance-failure', '--entry', 'entry.json', ...extra], {
      env: { ...env, ...more },
      cwd: dir,
    });
  const log = async () => parseNotificationLog(await readFile(logFile, 'utf8').catch(() => '')).records;
  const leak = async (r: { stdout: string; stderr: string }) =>
    findSecret([r.stdout, r.stderr, await readFile(logFile, 'utf8').catch(() => '')], secrets);
  return { slack, webhook, dir, env, run, log, leak, logFile };
}

describe('notify against a local Slack webhook and GitHub API', () => {
  it('posts the message with tag, run, status, reason and links (200 ok) and logs the attempt', async () => {
    const s = await setup();
    const r = await s.run([], { GITHUB_RUN_ID: '99', GITHUB_REPOSITORY: 'acme/app' });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(s.slack.requests).toHaveLength(1);
    const msg = s.slack.messages[0]!;
    expect(msg.text).toContain('v1.2.3');
    expect(msg.text).toContain('run 123456');
    expect(msg.text).toContain('status failure');
    expect(msg.text).toContain('provenance job &lt;failed&gt; &amp; exited 1');
    const blocks = JSON.stringify(msg.blocks);
    expect(blocks).toContain('<https://github.com/acme/app/releases/tag/v1.2.3|release>');
    expect(blocks).toContain('<https://github.com/acme/app/actions/runs/99|workflow run>');
    const result = r.json().result;
    expect(result.slack).toMatchObject({ delivered: true, attempts: 1, status: 200 });
    // Slack's latency lands in the entry's metrics with the counts (the notify_latency_s column)
    expect(result.metrics).toEqual({
      notify: { attempts: 1, delivered: 1, latency_s: result.slack.latency_s },
    });
    expect(result.metrics.notify.latency_s).toBeGreaterThanOrEqual(0);
    const log = await s.log();
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({
      channel: 'slack',
      outcome: 'delivered',
      status: 200,
      event: 'provenance-failure',
      tag: 'v1.2.3',
      run_id: 123456,
    });
    expect(await s.leak(r)).toBeUndefined();
  });

  it('retries a 500 with backoff, then delivers', async () => {
    const s = await setup(['server_error', 'server_error']);
    const r = await s.run();
    expect(r.code, r.stderr).toBe(0);
    expect(s.slack.requests).toHaveLength(3);
    expect((await s.log()).map((l) => l.outcome)).toEqual(['retry', 'retry', 'delivered']);
    const metrics = computeNotificationMetrics(await s.log());
    expect(metrics).toMatchObject({
      notifications: 1,
      delivered: 1,
      attempts: 3,
      notification_success_ratio: 1,
    });
    expect(await s.leak(r)).toBeUndefined();
  });

  it('waits for Retry-After on a 429, then delivers', async () => {
    const s = await setup(['rate_limited'], 1);
    const t0 = Date.now();
    const r = await s.run();
    expect(r.code, r.stderr).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(s.slack.requests).toHaveLength(2);
    expect((await s.log()).map((l) => l.status)).toEqual([429, 200]);
  });

  it('gives up at once when Retry-After exceeds the cap (exit 5)', async () => {
    const s = await setup(['rate_limited'], 3600);
    const r = await s.run();
    expect(r.code).toBe(5);
    expect(r.json().error!.code).toBe('NOTIFY_FAILED');
    expect(s.slack.requests).toHaveLength(1);
  });

  it.each([
    ['invalid_payload', 400],
    ['no_service', 404],
  ] as const)('does not retry %s (exit 3)', async (answer, status) => {
    const s = await setup([answer]);
    const r = await s.run();
    expect(r.code).toBe(3);
    expect(r.json().error!.code).toBe('NOTIFY_REJECTED');
    expect(r.json().error!.details.status).toBe(status);
    expect(s.slack.requests).toHaveLength(1);
    expect((await s.log())[0]).toMatchObject({ outcome: 'rejected', status });
    const metrics = computeNotificationMetrics(await s.log());
    expect(metrics.notification_success_ratio).toBe(0);
    expect(await s.leak(r)).toBeUndefined();
  });

  it('stops after --max-attempts 5xx answers (exit 5)', async () => {
    const s = await setup(['server_error', 'server_error', 'server_error']);
    const r = await s.run(['--max-attempts', '2']);
    expect(r.code).toBe(5);
    expect(r.json().error!.code).toBe('NOTIFY_FAILED');
    expect(s.slack.requests).toHaveLength(2);
  });

  it('retries network errors without printing the webhook URL', async () => {
    const s = await setup();
    // a server that was just closed: connection refused on its port
    const m = await mountFake(() => ({ status: 200 }));
    const deadUrl = `${m.url}${s.slack.secretPath}`;
    await m.close();
    const r = await s.run(['--max-attempts', '2'], { SLACK_WEBHOOK_URL: deadUrl });
    expect(r.code).toBe(5);
    expect(r.json().error!.code).toBe('NOTIFY_FAILED');
    expect((await s.log()).map((l) => l.outcome)).toEqual(['retry', 'failed']);
    expect(
      findSecret([r.stdout, r.stderr, await readFile(s.logFile, 'utf8')], [s.slack.secretPath, deadUrl]),
    ).toBeUndefined();
  });

  it('opens one GitHub issue per (event, tag) and comments on it instead of duplicating', async () => {
    const s = await setup();
    const github = new FakeGithub({ token: githubToken });
    const api = await github.mount();
    const more = { GITHUB_TOKEN: githubToken, GITHUB_API_URL: api };
    const first = await s.run(['--github-issue', '--repository', 'acme/app'], more);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.json().result.github_issue).toMatchObject({ delivered: true, action: 'created', number: 1 });
    const second = await s.run(['--github-issue', '--repository', 'acme/app'], more);
    expect(second.json().result.github_issue).toMatchObject({ action: 'commented', number: 1 });
    expect(github.issues).toHaveLength(1);
    expect(github.issues[0]!.labels).toEqual(['slsa-ledger', 'slsa-ledger:provenance-failure']);
    expect(github.issues[0]!.comments).toHaveLength(1);
    // closed since: reopened and commented, still one issue
    github.issues[0]!.state = 'closed';
    const third = await s.run(['--github-issue', '--repository', 'acme/app'], more);
    expect(third.json().result.github_issue).toMatchObject({ action: 'reopened', number: 1 });
    expect(github.issues[0]!.state).toBe('open');
    // another tag: another issue
    const other = await s.run(['--github-issue', '--repository', 'acme/app', '--tag', 'v1.2.4'], more);
    expect(other.json().result.github_issue).toMatchObject({ action: 'created', number: 2 });
    for (const req of github.requests) expect(req.headers.authorization).toBe(`token ${githubToken}`);
    const listing = github.requests.find((q) => q.method === 'GET')!;
    expect(listing.query.get('labels')).toBe('slsa-ledger,slsa-ledger:provenance-failure');
    expect(listing.query.get('state')).toBe('all');
    expect(
      findSecret(
        [first.stdout, first.stderr, second.stdout, await readFile(s.logFile, 'utf8')],
        [githubToken, s.slack.secretPath],
      ),
    ).toBeUndefined();
  });

  it('de-duplicates against every page of issues, not only the first 100', async () => {
    const s = await setup();
    const github = new FakeGithub({ token: githubToken });
    const api = await github.mount();
    const more = { GITHUB_TOKEN: githubToken, GITHUB_API_URL: api };
    const first = await s.run(['--github-issue', '--repository', 'acme/app'], more);
    expect(first.json().result.github_issue).toMatchObject({ action: 'created', number: 1 });
    github.issues[0]!.state = 'closed';
    // 250 newer alerts with the same labels (other tags) push issue #1 to the third page
    for (let n = 2; n <= 251; n++) {
      github.issues.push({
        number: n,
        title: `slsa-ledger: provenance-failure for v0.0.${n}`,
        body: '',
        labels: ['slsa-ledger', 'slsa-ledger:provenance-failure'],
        state: 'open',
        comments: [],
      });
    }
    const listingsBefore = github.issueListings;
    const again = await s.run(['--github-issue', '--repository', 'acme/app'], more);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.json().result.github_issue).toMatchObject({ action: 'reopened', number: 1 });
    expect(github.issues).toHaveLength(251);
    expect(github.issueListings - listingsBefore).toBe(3);
  });

  it('reports a rejected GitHub token after still delivering to Slack', async () => {
    const s = await setup();
    const github = new FakeGithub({ token: 'the-right-token-000' });
    const api = await github.mount();
    const r = await s.run(['--github-issue', '--repository', 'acme/app'], {
      GITHUB_TOKEN: githubToken,
      GITHUB_API_URL: api,
    });
    expect(r.code).toBe(3);
    expect(r.json().error!.code).toBe('NOTIFY_REJECTED');
    expect(s.slack.messages).toHaveLength(1);
    expect((r.json().error!.details as any).result.slack.delivered).toBe(true);
  });

  it('refuses to run with nowhere to send, an unknown event or a missing tag', async () => {
    const s = await setup();
    const none = await s.run([], { SLACK_WEBHOOK_URL: undefined });
    expect(none.code).toBe(2);
    expect(none.json().error!.code).toBe('NOTIFY_WEBHOOK_MISSING');
    const bad = await runCliCaptured(['notify', '--json', '--event', 'nope', '--tag', 'v1'], {
      env: s.env,
      cwd: s.dir,
    });
    expect(bad.code).toBe(2);
    const noTag = await runCliCaptured(['notify', '--json', '--event', 'ingest-failed'], {
      env: s.env,
      cwd: s.dir,
    });
    expect(noTag.code).toBe(3);
    expect(noTag.json().error!.code).toBe('INPUT_INVALID');
    const plainHttp = await s.run([], { SLACK_WEBHOOK_URL: 'http://hooks.example.com/services/x' });
    expect(plainHttp.code).toBe(2);
    expect(plainHttp.stdout).not.toContain('hooks.example.com');
    expect(s.slack.requests).toHaveLength(0);
  });
  // mutation audit, twentieth session (docs/status.md, Issue 17): informationalEvents emptied or
  // grown by an event passed every earlier test
  it('sends good news to Slack only, bad news to an issue too', async () => {
    const s = await setup();
    const github = new FakeGithub({ token: githubToken });
    const api = await github.mount();
    const more = { GITHUB_TOKEN: githubToken, GITHUB_API_URL: api };
    const cli = (event: string) =>
      runCliCaptured(
        [
          'notify',
          '--json',
          '--event',
          event,
          '--entry',
          'entry.json',
          '--github-issue',
          '--repository',
          'acme/app',
        ],
        { env: { ...s.env, ...more }, cwd: s.dir },
      );
    const good = await cli('provenance-ready');
    expect(good.code).toBe(2);
    expect(good.json().error!.code).toBe('USAGE_INVALID_FLAG');
    expect(s.slack.requests).toHaveLength(0);
    const drift = await cli('ledger-drift');
    expect(drift.code, drift.stdout + drift.stderr).toBe(0);
    expect(drift.json().result.github_issue).toMatchObject({ delivered: true, action: 'created' });
  });
});
