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
