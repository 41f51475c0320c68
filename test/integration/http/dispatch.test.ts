import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../support/cli.js';
import { FakeGithub, type FakeRun } from '../../support/fake-github.js';
import { findSecret } from '../../support/http-fake.js';

const token = 'github_pat_11DISPATCHSECRETxyz0123456789';

function githubDate(d: Date): string {
  return d
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, ' UTC');
}

async function setup(options: ConstructorParameters<typeof FakeGithub>[0]) {
  const github = new FakeGithub(options);
  const url = await github.mount();
  const dir = await mkdtemp(join(tmpdir(), 'slsa-dispatch-'));
  const output = join(dir, 'github_output');
  const summary = join(dir, 'step_summary');
  await writeFile(output, '');
  await writeFile(summary, '');
  const env = {
    PATH: process.env.PATH,
    PROVENANCE_DISPATCH_TOKEN: token,
    GITHUB_API_URL: url,
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_RUN_ID: '4242',
    GITHUB_REPOSITORY: 'acme/release',
  };
  return { github, url, dir, output, summary, env };
}

const baseArgs = [
  'dispatch',
  '--json',
  '--repository',
  'acme/app',
  '--workflow',
  'provenance.yml',
  '--ref',
  'v1.2.3',
  '--input',
  'tag=v1.2.3',
];

describe('dispatch against a local GitHub API', () => {
  it('returns the run id from return_run_details and audits the token (200)', async () => {
    const soon = new Date(Date.now() + 5 * 86_400_000);
    const s = await setup({ token, tokenExpiration: githubDate(soon) });
    const rotated = new Date(Date.now() - 100 * 86_400_000).toISOString().slice(0, 10);
    const run = await runCliCaptured([...baseArgs, '--token-rotated-at', rotated], { env: s.env });
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const result = run.json().result;
    expect(result.dispatch_tag).toBe('v1.2.3');
    expect(result.dispatch_run_id).toBe(s.github.runs[0]!.id);
    expect(result.run_id_source).toBe('response');
    expect(result.flags).toEqual(['dispatch-token-expiring', 'dispatch-token-rotation-overdue']);
    expect(result.token.days_to_expiry).toBe(4);
    expect(result.token.used_by_run_id).toBe(4242);
    expect(result.metrics).toEqual({
      dispatch_token_expires_at: soon.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      dispatch_token_rotated_at: `${rotated}T00:00:00Z`,
      dispatch_token_last_used_run_id: 4242,
      dispatch_token_last_used_at: result.dispatched_at,
    });
    // the contract: one POST to the dispatches path, token auth, the documented body
    expect(s.github.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /repos/acme/app/actions/workflows/provenance.yml/dispatches',
    ]);
    const req = s.github.requests[0]!;
    expect(req.headers.authorization).toBe(`token ${token}`);
    expect(JSON.parse(req.body)).toEqual({
      ref: 'v1.2.3',
      inputs: { tag: 'v1.2.3' },
      return_run_details: true,
    });
    const outputs = await readFile(s.output, 'utf8');
    expect(outputs).toContain(`dispatch_run_id=${result.dispatch_run_id}\n`);
    expect(outputs).toContain('dispatch_tag=v1.2.3\n');
    expect(outputs).toContain(
      'dispatch_token_flags=dispatch-token-expiring,dispatch-token-rotation-overdue\n',
    );
    const summary = await readFile(s.summary, 'utf8');
    expect(summary).toContain('### Provenance dispatch');
    expect(summary).toContain('<tr><th>tag</th><td><code>v1.2.3</code></td></tr>');
    expect(findSecret([run.stdout, run.stderr, outputs, summary], [token])).toBeUndefined();
  });

  it('retries without return_run_details on a 400 and finds the run by listing (older server)', async () => {
    const old: FakeRun = {
      id: 77,
      event: 'workflow_dispatch',
      head_branch: 'v1.2.3',
      created_at: '2020-01-01T00:00:00Z',
      html_url: 'https://github.com/acme/app/actions/runs/77',
      workflow: 'provenance.yml',
    };
    const s = await setup({ token, dispatchMode: 'legacy-400', runDelayListings: 1, existingRuns: [old] });
    const run = await runCliCaptured([...baseArgs, '--poll-interval', '0.1'], { env: s.env });
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const result = run.json().result;
    expect(result.run_id_source).toBe('listed');
    expect(result.dispatch_run_id).toBe(9_000_001);
    expect(result.token.expires_at).toBeNull();
    expect(result.flags).toEqual([]);
    const calls = s.github.requests.map((r) => `${r.method} ${r.path}`);
    expect(calls.slice(0, 2)).toEqual([
      'POST /repos/acme/app/actions/workflows/provenance.yml/dispatches',
      'POST /repos/acme/app/actions/workflows/provenance.yml/dispatches',
    ]);
    expect(JSON.parse(s.github.requests[1]!.body)).toEqual({ ref: 'v1.2.3', inputs: { tag: 'v1.2.3' } });
    const listing = s.github.requests[2]!;
    expect(listing.path).toBe('/repos/acme/app/actions/workflows/provenance.yml/runs');
    expect(listing.query.get('event')).toBe('workflow_dispatch');
    expect(listing.query.get('branch')).toBe('v1.2.3');
    expect(listing.query.get('created')).toMatch(/^>=\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(calls.length).toBeGreaterThanOrEqual(4);
  });

  it('finds the run after a plain 204', async () => {
    const s = await setup({ token, dispatchMode: 'legacy-204' });
    const run = await runCliCaptured(baseArgs, { env: s.env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().result.run_id_source).toBe('listed');
    expect(s.github.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('maps a 401 to DISPATCH_TOKEN_EXPIRED (exit 3) with how to rotate', async () => {
    const s = await setup({ token: 'some-other-valid-token' });
    const run = await runCliCaptured(baseArgs, { env: s.env });
    expect(run.code).toBe(3);
    const error = run.json().error!;
    expect(error.code).toBe('DISPATCH_TOKEN_EXPIRED');
    expect(error.details.rotate).toContain('PROVENANCE_DISPATCH_TOKEN');
    expect(findSecret([run.stdout, run.stderr], [token])).toBeUndefined();
    expect(await readFile(s.output, 'utf8')).toBe('');
  });

  it('reports a 422 (unknown ref) as GITHUB_REJECTED, a 500 as DISPATCH_FAILED, no token as usage', async () => {
    const s = await setup({ token });
    const badRef = await runCliCaptured(
      ['dispatch', '--json', '--repository', 'acme/app', '--workflow', 'provenance.yml', '--ref', 'v9.9.9'],
      { env: s.env },
    );
    expect(badRef.code).toBe(3);
    expect(badRef.json().error!.code).toBe('GITHUB_REJECTED');
    expect(badRef.json().error!.details.status).toBe(422);

    const failing = await setup({ token, dispatchStatus: 500 });
    const down = await runCliCaptured(baseArgs, { env: failing.env });
    expect(down.code).toBe(5);
    expect(down.json().error!.code).toBe('DISPATCH_FAILED');

    const noToken = await runCliCaptured(baseArgs, {
      env: { ...s.env, PROVENANCE_DISPATCH_TOKEN: undefined },
    });
    expect(noToken.code).toBe(2);
    expect(noToken.json().error!.code).toBe('DISPATCH_TOKEN_MISSING');
  });

  it('gives up with DISPATCH_RUN_NOT_FOUND (exit 5) when no run appears in time', async () => {
    const s = await setup({ token, dispatchMode: 'legacy-204', runDelayListings: 1000 });
    const run = await runCliCaptured([...baseArgs, '--run-timeout', '0.3', '--poll-interval', '0.1'], {
      env: s.env,
    });
    expect(run.code).toBe(5);
    expect(run.json().error!.code).toBe('DISPATCH_RUN_NOT_FOUND');
    expect(run.json().error!.details.dispatched).toBe(true);
  });

  it('refuses bad flags before calling GitHub (exit 2)', async () => {
    const s = await setup({ token });
    for (const argv of [
      ['dispatch', '--json', '--repository', 'not-a-repo', '--workflow', 'provenance.yml', '--ref', 'main'],
      ['dispatch', '--json', '--repository', 'acme/app', '--workflow', '../x', '--ref', 'main'],
      ['dispatch', '--json', '--repository', 'acme/app', '--workflow', 'provenance.yml', '--ref', 'a..b'],
      [...baseArgs, '--token-rotated-at', 'yesterday'],
    ]) {
      const run = await runCliCaptured(argv, { env: s.env });
      expect(run.code, argv.join(' ')).toBe(2);
    }
    expect(s.github.requests).toHaveLength(0);
  });
});
