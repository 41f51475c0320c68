import { describe, expect, it } from 'vitest';
import {
  readArtifactList,
  readFirstPullRequest,
  readIssueList,
  readNumbered,
  readPullRequest,
  readWorkflowRuns,
} from './github-answers.js';

const run = { id: 1, event: 'workflow_dispatch', head_branch: 'main', created_at: 't', html_url: 'u' };
const issue = { number: 2, title: 't', state: 'open', html_url: 'u' };
const pr = { number: 3, html_url: 'u', node_id: 'PR_1' };

describe('GitHub answers are read by their documented shape', () => {
  it('reads well-formed answers', () => {
    expect(readWorkflowRuns({ workflow_runs: [run, { ...run, head_branch: null, html_url: null }] })).toEqual(
      [run, { id: 1, event: 'workflow_dispatch', head_branch: null, created_at: 't' }],
    );
    expect(readIssueList([issue, { ...issue, pull_request: {} }])).toEqual([
      { ...issue, isPullRequest: false },
      { ...issue, isPullRequest: true },
    ]);
    expect(readNumbered(issue, 'create issue')).toEqual({ number: 2, html_url: 'u' });
    expect(readPullRequest(pr, 'open pull request')).toEqual(pr);
    expect(readFirstPullRequest([pr], 'find')).toEqual(pr);
    expect(readFirstPullRequest([], 'find')).toBeUndefined();
    expect(
      readArtifactList(
        {
          artifacts: [
            { id: 4, name: 'p', expired: true },
            { id: 5, name: 'q' },
          ],
        },
        'a',
      ),
    ).toEqual([
      { id: 4, name: 'p', expired: true },
      { id: 5, name: 'q', expired: false },
    ]);
  });

  it.each([
    ['not an object', () => readWorkflowRuns('<html>'), 'the answer'],
    ['a list for an object', () => readWorkflowRuns([]), 'the answer'],
    ['null for an object', () => readNumbered(null, 'x'), 'the answer'],
    ['runs not a list', () => readWorkflowRuns({ workflow_runs: {} }), 'workflow_runs'],
    ['a run that is null', () => readWorkflowRuns({ workflow_runs: [null] }), 'workflow_runs[0]'],
    [
      'an id past 2^53',
      () => readWorkflowRuns({ workflow_runs: [{ ...run, id: 2n ** 63n }] }),
      'workflow_runs[0].id',
    ],
    ['an id of 0', () => readWorkflowRuns({ workflow_runs: [{ ...run, id: 0 }] }), 'workflow_runs[0].id'],
    ['an id of 1.5', () => readWorkflowRuns({ workflow_runs: [{ ...run, id: 1.5 }] }), 'workflow_runs[0].id'],
    [
      'an event that is a number',
      () => readWorkflowRuns({ workflow_runs: [{ ...run, event: 1 }] }),
      'workflow_runs[0].event',
    ],
    [
      'a branch that is an object',
      () => readWorkflowRuns({ workflow_runs: [{ ...run, head_branch: {} }] }),
      'workflow_runs[0].head_branch',
    ],
    ['issues not a list', () => readIssueList({ items: [] }), 'the answer'],
    ['an issue title that is a list', () => readIssueList([{ ...issue, title: [] }]), '[0].title'],
    [
      'a pull request without a node id',
      () => readPullRequest({ number: 1, html_url: 'u' }, 'x'),
      'answer.node_id',
    ],
    ['a pull request list that is not one', () => readFirstPullRequest('x', 'x'), 'the answer'],
    ['artifacts not a list', () => readArtifactList({ artifacts: 'x' }, 'a'), 'artifacts'],
    [
      'an artifact id that is text',
      () => readArtifactList({ artifacts: [{ id: '1', name: 'p' }] }, 'a'),
      'artifacts[0].id',
    ],
  ])('%s: GITHUB_ANSWER_INVALID naming the field', (_name, read, field) => {
    expect(read).toThrowCode('GITHUB_ANSWER_INVALID');
    try {
      read();
    } catch (error) {
      expect((error as { details: { field: string } }).details.field).toBe(field);
    }
  });
});

// The mutation audit of the bounded parsers (docs/status.md, issue 13): each check refuses on its
// own, and the edges of an id (1 and 2^53 - 1 held, 0 and 2^53 refused) are pinned.
describe('GitHub answers at their edges (mutation audit)', () => {
  function errorOf(read: () => unknown): { message: string; details: Record<string, unknown> } {
    try {
      read();
    } catch (error) {
      return error as { message: string; details: Record<string, unknown> };
    }
    throw new Error('no error');
  }

  it('holds ids from 1 to 2^53 - 1 and refuses 0 and 2^53', () => {
    expect(readNumbered({ number: 1, html_url: 'u' }, 'x').number).toBe(1);
    const max = Number.MAX_SAFE_INTEGER;
    expect(readNumbered({ number: max, html_url: 'u' }, 'x').number).toBe(max);
    expect(errorOf(() => readNumbered({ number: max + 1, html_url: 'u' }, 'x')).details.field).toBe(
      'answer.number',
    );
    expect(errorOf(() => readNumbered({ number: 0, html_url: 'u' }, 'x')).details.field).toBe(
      'answer.number',
    );
    expect(errorOf(() => readNumbered({ number: -1, html_url: 'u' }, 'x')).details.field).toBe(
      'answer.number',
    );
  });

  it('names what came instead, in the message', () => {
    expect(errorOf(() => readNumbered(null, 'x')).message).toBe(
      'x: github answered the answer as null, not an object',
    );
    expect(errorOf(() => readNumbered([], 'x')).message).toContain('as a list, not an object');
    expect(errorOf(() => readNumbered('<html>', 'x')).message).toContain('as text, not an object');
    expect(errorOf(() => readIssueList(null)).message).toContain('as null, not a list');
    expect(errorOf(() => readIssueList({})).message).toContain('as a object, not a list');
  });

  it('refuses a list, text or null where an object belongs, at every level', () => {
    expect(errorOf(() => readNumbered([{ number: 1, html_url: 'u' }], 'x')).details.field).toBe('the answer');
    expect(errorOf(() => readPullRequest('x', 'x')).details.field).toBe('the answer');
    expect(errorOf(() => readWorkflowRuns({ workflow_runs: [[run]] })).details.field).toBe(
      'workflow_runs[0]',
    );
    expect(errorOf(() => readIssueList([issue, null])).details.field).toBe('[1]');
    expect(errorOf(() => readArtifactList({ artifacts: [7] }, 'a')).details.field).toBe('artifacts[0]');
    expect(errorOf(() => readArtifactList({ artifacts: null }, 'a')).details.field).toBe('artifacts');
    expect(errorOf(() => readArtifactList([], 'a')).details.field).toBe('the answer');
  });

  it('refuses every required field that is not text', () => {
    const cases: [() => unknown, string][] = [
      [
        () => readWorkflowRuns({ workflow_runs: [{ ...run, created_at: null }] }),
        'workflow_runs[0].created_at',
      ],
      [() => readWorkflowRuns({ workflow_runs: [{ ...run, html_url: 5 }] }), 'workflow_runs[0].html_url'],
      [() => readIssueList([{ ...issue, state: null }]), '[0].state'],
      [() => readIssueList([{ ...issue, html_url: undefined }]), '[0].html_url'],
      [() => readIssueList([{ ...issue, number: '2' }]), '[0].number'],
      [() => readNumbered({ number: 1, html_url: {} }, 'x'), 'answer.html_url'],
      [() => readPullRequest({ ...pr, node_id: 1 }, 'x'), 'answer.node_id'],
      [() => readFirstPullRequest([{ ...pr, node_id: null }], 'x'), 'answer.node_id'],
      [() => readArtifactList({ artifacts: [{ id: 1, name: 2 }] }, 'a'), 'artifacts[0].name'],
    ];
    for (const [read, field] of cases) expect(errorOf(read).details.field, field).toBe(field);
  });

  it('reads optional fields and flags exactly', () => {
    const [missing] = readWorkflowRuns({ workflow_runs: [{ id: 1, event: 'push', created_at: 't' }] });
    expect(missing).toStrictEqual({ id: 1, event: 'push', head_branch: null, created_at: 't' });
    expect(readIssueList([{ ...issue, pull_request: null }])[0]!.isPullRequest).toBe(false);
    expect(readIssueList([issue])[0]!.isPullRequest).toBe(false);
    expect(
      readArtifactList(
        {
          artifacts: [
            { id: 1, name: 'p', expired: 'yes' },
            { id: 2, name: 'q', expired: 1 },
          ],
        },
        'a',
      ).map((a) => a.expired),
    ).toEqual([false, false]);
  });
});
