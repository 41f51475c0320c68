import { describe, expect, it } from 'vitest';
import { parseWorkflowYaml } from './workflow-yaml.js';

const text = `name: t
on:
  push:
  pull_request_target:
permissions:
  contents: read
concurrency: provenance-manifest
jobs:
  a:
    permissions: write-all
    concurrency:
      group: g
      cancel-in-progress: \${{ github.ref != 'main' }}
    env:
      X: \${{ secrets.PROVENANCE_DISPATCH_TOKEN }}
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683   #   v4.2.2
        with:
          ref: main
      - run: |
          echo hi
  b:
    uses: org/r/.github/workflows/w.yml@main
`;

describe('parseWorkflowYaml', () => {
  const wf = parseWorkflowYaml(text, 'w.yml');

  it('reads triggers, permissions and concurrency with positions', () => {
    expect(wf.triggers.map((t) => t.value)).toEqual(['push', 'pull_request_target']);
    expect(wf.triggersPos).toEqual({ line: 2, column: 1 });
    expect(wf.permissions).toEqual({
      kind: 'map',
      pos: { line: 5, column: 1 },
      scopes: [{ scope: 'contents', level: 'read', pos: { line: 6, column: 3 } }],
    });
    expect(wf.concurrency).toMatchObject({ group: 'provenance-manifest', cancelInProgress: undefined });
  });

  it('reads jobs, steps, uses with the version comment', () => {
    const [a, b] = wf.jobs;
    expect(a).toMatchObject({ id: 'a', pos: { line: 9, column: 3 }, permissions: { kind: 'write-all' } });
    expect(a!.concurrency).toMatchObject({ group: 'g', cancelInProgress: "${{ github.ref != 'main' }}" });
    expect(a!.steps[0]!.uses).toEqual({
      value: 'actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683',
      pos: { line: 17, column: 15 },
      comment: 'v4.2.2',
    });
    expect(a!.steps[0]!.with.ref).toEqual({ value: 'main', pos: { line: 19, column: 16 } });
    expect(a!.steps[1]!.run?.value).toBe('echo hi\n');
    expect(b!.uses?.value).toBe('org/r/.github/workflows/w.yml@main');
  });

  it('collects every scalar with its path', () => {
    const t = wf.texts.find((n) => n.value.includes('PROVENANCE_DISPATCH_TOKEN'));
    expect(t).toMatchObject({ path: ['jobs', 'a', 'env', 'X'], pos: { line: 15, column: 10 }, isKey: false });
  });

  it.each([
    ['on: push\njobs: [\n', 'invalid YAML'],
    ['name: x\n', 'no jobs'],
    ['- a\n', 'not a mapping'],
    ['on: push\njobs: 3\n', 'jobs not a mapping'],
    ['on: push\non: pull_request\njobs: {}\n', 'duplicate key'],
  ])('%j is WORKFLOW_INVALID (%s)', (bad) => {
    expect(() => parseWorkflowYaml(bad, 'x.yml')).toThrowCode('WORKFLOW_INVALID');
  });

  it('reads the other shapes of on:, permissions and concurrency', () => {
    const w = parseWorkflowYaml(
      'on: [push, workflow_dispatch]\npermissions:\njobs:\n  a:\n    permissions: 7\n    concurrency:\n      group: x\n      cancel-in-progress: false\n    steps: []\n',
      'x.yml',
    );
    expect(w.triggers.map((t) => t.value)).toEqual(['push', 'workflow_dispatch']);
    expect(w.permissions).toMatchObject({ kind: 'map', scopes: [] });
    expect(w.jobs[0]!.permissions).toMatchObject({ kind: 'invalid', text: '7' });
    expect(w.jobs[0]!.concurrency).toMatchObject({ cancelInProgress: false });
    expect(parseWorkflowYaml('on: push\njobs: {}\n', 'x.yml').triggers.map((t) => t.value)).toEqual(['push']);
  });
});

describe('YAML anchors and aliases', () => {
  it('reads an aliased job and aliased steps as the nodes they name', () => {
    const wf = parseWorkflowYaml(
      [
        'on: push',
        'permissions: {}',
        'jobs:',
        '  a: &job',
        '    runs-on: ubuntu-latest',
        '    permissions:',
        '      contents: read',
        '    steps: &steps',
        '      - run: echo "${{ github.event.head_commit.message }}"',
        '  b: *job',
        '',
      ].join('\n'),
      'anchors.yml',
    );
    expect(wf.jobs.map((j) => j.id)).toEqual(['a', 'b']);
    expect(wf.jobs[1]!.steps[0]!.run?.value).toContain('head_commit.message');
    expect(wf.jobs[1]!.permissions).toMatchObject({ kind: 'map' });
  });
});
