// A GitHub API (or a proxy in front of GitHub Enterprise) answering with the wrong shape: a
// `workflow_runs` that is not a list, `null` in a list, an id past 2^53 (octokit parses it as a
// BigInt, which JSON.stringify refuses). Each of these ended the command as an internal error
// (exit 70); now it is GITHUB_ANSWER_INVALID (exit 3), and dispatch says the workflow was dispatched.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { downloadProvenance } from '../../../src/io/artifact-download.js';
import { runCliCaptured } from '../../support/cli.js';
import { mountFake, type FakeRequest } from '../../support/http-fake.js';

const token = 'ghp_OUTSIDEAUDIT0123456789';
const soon = (): string => new Date(Date.now() + 1_000).toISOString();
const dispatchArgs = [
  'dispatch',
  '--json',
  '--repository',
  'acme/app',
  '--workflow',
  'provenance.yml',
  '--ref',
  'v1.2.3',
  '--run-timeout',
  '2',
  '--poll-interval',
  '0.05',
];

/** A GitHub that answers the dispatch with 204 (no run details) and the run listing with `listing`. */
async function dispatchAgainst(
  listing: (request: FakeRequest, n: number) => { status: number; body: string },
) {
  let listings = 0;
  const github = await mountFake((request) => {
    if (request.method === 'POST') {
      return { status: 204, headers: { date: new Date(Date.now() - 5_000).toUTCString() } };
    }
    const answer = listing(request, ++listings);
    return { status: answer.status, headers: { 'content-type': 'application/json' }, body: answer.body };
  });
  const run = await runCliCaptured(dispatchArgs, {
    env: { PATH: process.env.PATH, PROVENANCE_DISPATCH_TOKEN: token, GITHUB_API_URL: github.url },
  });
  return { run, listings: () => listings };
}

const runJson = (id: string): string =>
  `{"total_count":1,"workflow_runs":[{"id":${id},"event":"workflow_dispatch","head_branch":"v1.2.3","created_at":"${soon()}","html_url":"https://github.com/acme/app/actions/runs/1"}]}`;

describe('dispatch: a run listing of the wrong shape', () => {
  it.each([
    ['workflow_runs is an object', '{"total_count":1,"workflow_runs":{"id":1}}', 'workflow_runs'],
    ['a run is null', '{"total_count":1,"workflow_runs":[null]}', 'workflow_runs[0]'],
    ['a run id past 2^53', runJson('9223372036854775807'), 'workflow_runs[0].id'],
    ['a run id that is text', runJson('"7730129467"'), 'workflow_runs[0].id'],
    ['the answer is a list', '[]', 'the answer'],
  ])('%s: GITHUB_ANSWER_INVALID (exit 3), dispatched: true', async (_name, body, field) => {
    const { run } = await dispatchAgainst(() => ({ status: 200, body }));
    expect(run.code, run.stdout + run.stderr).toBe(3);
    const error = run.json().error!;
    expect(error.code).toBe('GITHUB_ANSWER_INVALID');
    expect(error.details).toMatchObject({ field, dispatched: true });
  });

  it('a listing answered 503 is tried again at the next poll, not reported as a failed dispatch', async () => {
    const { run, listings } = await dispatchAgainst((_r, n) =>
      n < 3
        ? { status: 503, body: '{"message":"unavailable"}' }
        : { status: 200, body: runJson('7730129467') },
    );
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.json().result).toMatchObject({ dispatch_run_id: 7730129467, run_id_source: 'listed' });
    expect(listings()).toBe(3);
  });

  it('a listing that stays 503 ends as DISPATCH_RUN_NOT_FOUND with dispatched: true (exit 5)', async () => {
    const { run } = await dispatchAgainst(() => ({ status: 503, body: '{"message":"unavailable"}' }));
    expect(run.code, run.stdout + run.stderr).toBe(5);
    expect(run.json().error).toMatchObject({ code: 'DISPATCH_RUN_NOT_FOUND', details: { dispatched: true } });
  });
});

describe('notify --github-issue: an issue listing of the wrong shape', () => {
  async function notifyAgainst(
    list: string,
    created = '{"number":7,"html_url":"https://github.com/acme/app/issues/7"}',
  ) {
    const github = await mountFake((request) => ({
      status: request.method === 'POST' ? 201 : 200,
      headers: { 'content-type': 'application/json' },
      body: request.method === 'POST' ? created : list,
    }));
    const dir = await mkdtemp(join(tmpdir(), 'outside-notify-'));
    await writeFile(join(dir, 'entry.json'), JSON.stringify({ tag: 'v1.2.3', run_id: 1 }));
    return runCliCaptured(
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
      { env: { PATH: process.env.PATH, GITHUB_TOKEN: token, GITHUB_API_URL: github.url }, cwd: dir },
    );
  }

  it.each([
    ['an object instead of a list', '{"items":[]}'],
    ['null in the list', '[null]'],
    [
      'an issue number past 2^53',
      '[{"number":18446744073709551616,"title":"x","state":"open","html_url":"h"}]',
    ],
  ])('%s: a coded failure, never exit 70', async (_name, list) => {
    const r = await notifyAgainst(list);
    expect(r.code, r.stdout + r.stderr).toBe(5);
    expect(r.json().error!.code).toBe('NOTIFY_FAILED');
    expect(r.json().error!.message).toContain('github answered');
  });

  it('a created issue whose number is a BigInt: a coded failure, never exit 70', async () => {
    const r = await notifyAgainst('[]', '{"number":9223372036854775807,"html_url":"https://x"}');
    expect(r.code, r.stdout + r.stderr).toBe(5);
    expect(r.json().error!.code).toBe('NOTIFY_FAILED');
  });
});

describe('validate: a run artifact listing of the wrong shape', () => {
  it.each([
    ['null in the list', '{"artifacts":[null]}'],
    ['an id that is a path', '{"artifacts":[{"id":"1/../../../../user","name":"provenance"}]}'],
    ['a duplicate key', '{"artifacts":[],"artifacts":[{"id":1,"name":"provenance"}]}'],
  ])('%s: ARTIFACT_UNAVAILABLE, never a crash or another path', async (_name, body) => {
    const requests: string[] = [];
    const github = await mountFake((request) => {
      requests.push(request.path);
      return { status: 200, headers: { 'content-type': 'application/json' }, body };
    });
    const error = await downloadProvenance({
      artifactUrl: 'https://github.com/acme/app/actions/runs/42',
      apiUrl: github.url,
      token,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ARTIFACT_UNAVAILABLE' });
    expect(requests).toEqual(['/repos/acme/app/actions/runs/42/artifacts']);
  });
});
