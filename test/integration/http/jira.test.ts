import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../support/cli.js';
import { FakeJira } from '../../support/fake-jira.js';
import { findSecret } from '../../support/http-fake.js';
import { makeRelease, writeLedger } from '../../support/release-fixture.js';
import { join } from 'node:path';

const email = 'release-bot@acme.example';
const apiToken = 'ATATT3xFfGF0JIRASECRET0123456789';

async function setup() {
  const release = await makeRelease();
  await writeLedger(join(release.dir, 'ledger'), [release.entry]);
  const jira = new FakeJira(email, apiToken, {
    'REL-1': { status: 'Done', category: 'done', labels: [] },
    'REL-2': { status: 'In Review', category: 'indeterminate', labels: ['release-approved'] },
    'REL-3': { status: 'In Review', category: 'indeterminate', labels: ['needs-work'] },
  });
  const base = await jira.mount();
  const env = { PATH: process.env.PATH, JIRA_BASE_URL: base, JIRA_EMAIL: email, JIRA_API_TOKEN: apiToken };
  const run = (extra: string[], more: Record<string, string | undefined> = {}) =>
    runCliCaptured(
      [
        'validate',
        '--json',
        '--tag',
        'v1.2.3',
        '--repo',
        'ledger',
        '--key',
        'signing.pub',
        '--artifact',
        'app.tgz',
        '--provenance',
        'app.intoto.json',
        ...extra,
      ],
      { env: { ...env, ...more }, cwd: release.dir },
    );
  return { release, jira, run };
}

describe('validate --require-signoff against a local Jira', () => {
  it('passes when the issue is done (status category) or carries the approval label', async () => {
    const s = await setup();
    const done = await s.run(['--require-signoff', 'REL-1']);
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(done.json().result.signoff).toEqual({ key: 'REL-1', approved_by: 'status' });
    const labelled = await s.run(['--require-signoff', 'REL-2']);
    expect(labelled.code).toBe(0);
    expect(labelled.json().result.signoff).toEqual({ key: 'REL-2', approved_by: 'label' });
    const req = s.jira.requests[0]!;
    expect(req.method).toBe('GET');
    expect(req.path).toBe('/rest/api/3/issue/REL-1');
    expect(req.query.get('fields')).toBe('status,labels');
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from(`${email}:${apiToken}`).toString('base64')}`);
    expect(
      findSecret([done.stdout, done.stderr, labelled.stdout, labelled.stderr], [apiToken]),
    ).toBeUndefined();
  });

  it('fails (exit 1) without approval, with a custom label, and for an issue Jira does not show (404)', async () => {
    const s = await setup();
    const notApproved = await s.run(['--require-signoff', 'REL-3']);
    expect(notApproved.code).toBe(1);
    expect(notApproved.json().error!.code).toBe('VALIDATE_SIGNOFF_MISSING');
    const otherLabel = await s.run(['--require-signoff', 'REL-3', '--signoff-label', 'needs-work']);
    expect(otherLabel.code).toBe(0);
    const missing = await s.run(['--require-signoff', 'REL-404']);
    expect(missing.code).toBe(1);
    expect(missing.json().error!.code).toBe('VALIDATE_SIGNOFF_MISSING');
    expect(missing.json().error!.details.result).toMatchObject({
      status: 'failed',
      code: 'VALIDATE_SIGNOFF_MISSING',
    });
  });

  it('reports bad credentials (exit 3), missing credentials (exit 2), a bad key (exit 2) and an unreachable Jira (exit 5)', async () => {
    const s = await setup();
    const bad = await s.run(['--require-signoff', 'REL-1'], { JIRA_API_TOKEN: 'wrong-token-value' });
    expect(bad.code).toBe(3);
    expect(bad.json().error!.code).toBe('JIRA_REJECTED');
    expect(bad.stdout).not.toContain('wrong-token-value');
    const none = await s.run(['--require-signoff', 'REL-1'], { JIRA_EMAIL: undefined });
    expect(none.code).toBe(2);
    expect(none.json().error!.code).toBe('JIRA_CREDENTIALS_MISSING');
    const badKey = await s.run(['--require-signoff', 'not a key']);
    expect(badKey.code).toBe(2);
    const down = await s.run(['--require-signoff', 'REL-1'], { JIRA_BASE_URL: 'http://127.0.0.1:9' });
    expect(down.code).toBe(5);
    expect(down.json().error!.code).toBe('JIRA_UNAVAILABLE');
  });
});
