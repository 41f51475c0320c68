import { describe, expect, it } from 'vitest';
import { inferJobRoles, isLedgerWriteStep, stepCommands } from './infer-role.js';
import type { JobModel, Located, PermissionsModel, StepModel, WorkflowModel } from './model.js';
import { buildAuditReport, buildSarif, renderAuditReport, renderAuditText } from './report.js';
import { checkWorkflow, checkWorkflows, workflowRules, type Finding, type RuleId } from './rules.js';

const p = (line: number, column = 1) => ({ line, column });
const loc = (value: string, line = 1): Located<string> => ({ value, pos: p(line) });

function perms(scopes: Record<string, string>, line = 10): PermissionsModel {
  return {
    kind: 'map',
    pos: p(line),
    scopes: Object.entries(scopes).map(([scope, level], i) => ({
      scope,
      level: level === 'read' || level === 'write' || level === 'none' ? level : undefined,
      pos: p(line + 1 + i, 7),
    })),
  };
}

function step(
  over: Partial<StepModel> & { withs?: Record<string, string>; envs?: Record<string, string> } = {},
): StepModel {
  const { withs, envs, ...rest } = over;
  return {
    index: 0,
    pos: p(20),
    id: undefined,
    name: undefined,
    uses: undefined,
    run: undefined,
    with: Object.fromEntries(Object.entries(withs ?? {}).map(([k, v]) => [k, loc(v, 21)])),
    env: Object.fromEntries(Object.entries(envs ?? {}).map(([k, v]) => [k, loc(v, 22)])),
    ...rest,
  };
}

const action = (command: string, args = '', envs: Record<string, string> = {}) =>
  step({
    uses: { value: './.github/actions/slsa-ledger', pos: p(20), comment: undefined },
    withs: { command, args },
    envs,
  });
const run = (script: string) => step({ run: loc(script, 25) });
const uses = (value: string, comment?: string) => step({ uses: { value, pos: p(30, 15), comment } });

function job(over: Partial<JobModel> = {}): JobModel {
  return {
    id: 'j',
    pos: p(5, 3),
    permissions: perms({ contents: 'read' }),
    concurrency: undefined,
    uses: undefined,
    env: {},
    steps: [],
    ...over,
  };
}

function wf(over: Partial<WorkflowModel> = {}): WorkflowModel {
  return {
    file: 'w.yml',
    name: 'w',
    triggers: [loc('push', 3)],
    triggersPos: p(2),
    permissions: { kind: 'map', pos: p(1), scopes: [] },
    concurrency: undefined,
    jobs: [],
    texts: [],
    ...over,
  };
}

const lock = { pos: p(8, 5), group: 'provenance-manifest', cancelInProgress: false as const };
const rules = (findings: Finding[]): RuleId[] => findings.map((f) => f.rule);

describe('role inference', () => {
  it.each([
    [[action('dispatch')], ['release-operator']],
    [[run('npx slsa-ledger attest a --sigstore')], ['provenance-writer']],
    [[run('node dist/cli/bin.js record --entry e.json')], ['provenance-writer']],
    [[action('flush')], ['provenance-writer']],
    [[action('validate', '--tag v1 --record')], ['provenance-validator']],
    [[action('notify')], ['notifier']],
    [[run('npx --yes slsa-ledger@0.1.0 ingest')], ['ingester']],
    [[action('audit-workflows')], ['governance-auditor']],
    [[uses('actions/attest-build-provenance@' + 'a'.repeat(40))], ['provenance-writer']],
    [[run('gh release create v1')], ['release-operator']],
    [
      [run('echo hi'), step({ envs: { T: '${{ secrets.PROVENANCE_DISPATCH_TOKEN }}' } })],
      ['release-operator'],
    ],
    [
      [action('record'), action('notify')],
      ['provenance-writer', 'notifier'],
    ],
    [[run('npm test')], []],
  ] as const)('%#: %j', (steps, roles) => {
    expect(inferJobRoles(job({ steps: [...steps] }))).toEqual(roles);
  });

  it('finds the ledger writes: record, flush, validate --record (not plain validate)', () => {
    expect(isLedgerWriteStep(action('record'))).toBe(true);
    expect(isLedgerWriteStep(run('slsa-ledger flush'))).toBe(true);
    expect(isLedgerWriteStep(action('validate', '--tag v1 --record'))).toBe(true);
    expect(isLedgerWriteStep(action('validate', '--tag v1'))).toBe(false);
    expect(
      isLedgerWriteStep(
        step({
          uses: { value: 'someone/other@' + 'a'.repeat(40), pos: p(1), comment: 'v1' },
          withs: { command: 'record' },
        }),
      ),
    ).toBe(false);
  });

  it('reads several commands from one script', () => {
    expect(
      stepCommands(run('slsa-ledger flush\nslsa-ledger ingest --supabase-url x')).map((c) => c.command),
    ).toEqual(['flush', 'ingest']);
  });
});

describe('top-level-permissions', () => {
  const cases: [string, PermissionsModel, number][] = [
    ['{}', { kind: 'map', pos: p(1), scopes: [] }, 0],
    ['read-all', { kind: 'read-all', pos: p(1) }, 0],
    ['contents: read', perms({ contents: 'read' }, 1), 0],
    ['write-all', { kind: 'write-all', pos: p(1) }, 1],
    ['contents: write', perms({ contents: 'write' }, 1), 1],
    ['bogus level', perms({ contents: 'admin' }, 1), 1],
    ['invalid', { kind: 'invalid', pos: p(1), text: '3' }, 1],
  ];
  it.each(cases)('%s → %i finding(s)', (_name, permissions, n) => {
    const found = checkWorkflow(wf({ permissions })).filter((f) => f.rule === 'top-level-permissions');
    expect(found).toHaveLength(n);
  });

  it('missing top-level permissions points at on:', () => {
    const [f] = checkWorkflow(wf({ permissions: undefined }));
    expect(f).toMatchObject({ rule: 'top-level-permissions', line: 2, level: 'error' });
  });
});

describe('job-permissions', () => {
  const writer = (permissions: PermissionsModel | undefined, over: Partial<JobModel> = {}) =>
    checkWorkflow(
      wf({ jobs: [job({ permissions, concurrency: lock, steps: [action('record')], ...over })] }),
    ).filter((f) => f.rule === 'job-permissions');

  it('a writer within its role passes', () => {
    expect(
      writer(perms({ contents: 'write', 'id-token': 'write', attestations: 'write', actions: 'read' })),
    ).toEqual([]);
  });

  it('a scope outside the role is reported at its line', () => {
    const [f] = writer(perms({ contents: 'write', issues: 'write' }, 10));
    expect(f).toMatchObject({ line: 12, column: 7, job: 'j', level: 'error' });
  });

  it('a level above the role is reported', () => {
    expect(writer(perms({ actions: 'write' }))).toHaveLength(1);
  });

  it('none never counts', () => {
    expect(writer(perms({ issues: 'none', contents: 'write' }))).toEqual([]);
  });

  it('write-all, read-all beyond the role, invalid and unknown scopes are reported', () => {
    expect(writer({ kind: 'write-all', pos: p(9) })).toHaveLength(1);
    expect(writer({ kind: 'read-all', pos: p(9) })).toHaveLength(1);
    expect(writer({ kind: 'invalid', pos: p(9), text: 'x' })).toHaveLength(1);
    expect(writer(perms({ 'made-up': 'read' }))).toHaveLength(1);
    expect(writer(perms({ contents: 'admin' }))).toHaveLength(1);
  });

  it('a role job inheriting the top level is checked at the job line', () => {
    const found = checkWorkflow(
      wf({
        permissions: perms({ contents: 'read', issues: 'read' }, 1),
        jobs: [job({ permissions: undefined, concurrency: lock, steps: [action('record')] })],
      }),
    ).filter((f) => f.rule === 'job-permissions');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ line: 5 });
    const readAll = checkWorkflow(
      wf({
        permissions: { kind: 'read-all', pos: p(1) },
        jobs: [job({ permissions: undefined, steps: [action('notify')] })],
      }),
    ).filter((f) => f.rule === 'job-permissions');
    expect(readAll).toHaveLength(1);
  });

  it('a role job with no permissions anywhere is reported; an unclassified one is not', () => {
    const base = {
      permissions: undefined,
      jobs: [job({ permissions: undefined, steps: [action('notify')] })],
    };
    expect(rules(checkWorkflow(wf(base)))).toContain('job-permissions');
    const plain = wf({
      permissions: undefined,
      jobs: [job({ permissions: undefined, steps: [run('npm test')] })],
    });
    expect(rules(checkWorkflow(plain))).not.toContain('job-permissions');
  });

  it('an unclassified job may read anything; a write is a warning', () => {
    const jobs = (permissions: PermissionsModel) => [job({ permissions, steps: [run('npm test')] })];
    expect(checkWorkflow(wf({ jobs: jobs(perms({ packages: 'read', checks: 'read' })) }))).toEqual([]);
    const [f] = checkWorkflow(wf({ jobs: jobs(perms({ packages: 'write' })) }));
    expect(f).toMatchObject({ rule: 'job-permissions', level: 'warning' });
    expect(checkWorkflow(wf({ jobs: jobs({ kind: 'read-all', pos: p(9) }) }))).toEqual([]);
    expect(checkWorkflow(wf({ jobs: jobs({ kind: 'write-all', pos: p(9) }) }))[0]?.level).toBe('warning');
  });

  it('actions: write only on a dispatch job that dispatches with GITHUB_TOKEN', () => {
    const withToken = [
      action('dispatch', '', { PROVENANCE_DISPATCH_TOKEN: '${{ secrets.PROVENANCE_DISPATCH_TOKEN }}' }),
    ];
    const withGithubToken = [action('dispatch', '', { GITHUB_TOKEN: '${{ github.token }}' })];
    const check = (steps: StepModel[]) =>
      checkWorkflow(
        wf({ jobs: [job({ permissions: perms({ contents: 'write', actions: 'write' }), steps })] }),
      ).filter((f) => f.rule === 'job-permissions');
    expect(check(withToken)).toHaveLength(1);
    expect(check(withGithubToken)).toEqual([]);
  });

  it('a job doing two roles holds the union of their permissions', () => {
    const found = checkWorkflow(
      wf({
        jobs: [
          job({
            permissions: perms({ contents: 'write', issues: 'write', 'id-token': 'write' }),
            concurrency: lock,
            steps: [action('record'), action('notify')],
          }),
        ],
      }),
    );
    expect(found).toEqual([]);
  });
});

describe('ledger-signing-identity', () => {
  const check = (
    scopes: Record<string, string> | undefined,
    steps: StepModel[],
    wfPerms?: PermissionsModel,
  ) =>
    rules(
      checkWorkflow(
        wf({
          ...(wfPerms === undefined ? {} : { permissions: wfPerms }),
          jobs: [
            job({ permissions: scopes === undefined ? undefined : perms(scopes), concurrency: lock, steps }),
          ],
        }),
      ),
    ).filter((r) => r === 'ledger-signing-identity');

  it.each([
    ['record with id-token: write', { contents: 'write', 'id-token': 'write' }, [action('record')], 0],
    ['record without it', { contents: 'write' }, [action('record')], 1],
    ['flush without it', { contents: 'write' }, [action('flush')], 1],
    ['validate --record without it', { contents: 'write' }, [action('validate', '--tag v1 --record')], 1],
    ['plain validate without it', { contents: 'read' }, [action('validate', '--tag v1')], 0],
    ['record --sign-key without it', { contents: 'write' }, [action('record', '--sign-key k.pem')], 0],
    ['record --no-sign without it', { contents: 'write' }, [action('record', '--no-sign')], 0],
    [
      'a run step recording without it',
      { contents: 'write' },
      [run('npx slsa-ledger record --entry e.json')],
      1,
    ],
    ['id-token: read', { contents: 'write', 'id-token': 'read' }, [action('record')], 1],
  ] as const)('%s → %i', (_n, scopes, steps, n) => {
    expect(check(scopes, [...steps])).toHaveLength(n);
  });

  it('the repository default (no permissions anywhere) never grants id-token; write-all does', () => {
    expect(check(undefined, [action('record')], undefined)).toHaveLength(1);
    expect(check(undefined, [action('record')], { kind: 'write-all', pos: p(1) })).toHaveLength(0);
  });

  it('is in the rule list', () => {
    expect(workflowRules.map((r) => r.id)).toContain('ledger-signing-identity');
  });
});

describe('ledger-concurrency', () => {
  const check = (over: Partial<JobModel>, wfOver: Partial<WorkflowModel> = {}) =>
    checkWorkflow(
      wf({
        ...wfOver,
        jobs: [job({ permissions: perms({ contents: 'write' }), steps: [action('record')], ...over })],
      }),
    ).filter((f) => f.rule === 'ledger-concurrency');

  it.each([
    ['job-level lock', { concurrency: lock }, {}, 0],
    [
      'lock with the default cancel-in-progress',
      { concurrency: { ...lock, cancelInProgress: undefined } },
      {},
      0,
    ],
    ['workflow-level lock', {}, { concurrency: lock }, 0],
    ['no concurrency', {}, {}, 1],
    ['another group', { concurrency: { ...lock, group: 'manifest-lock' } }, {}, 1],
    [
      'a group with an expression',
      { concurrency: { ...lock, group: 'provenance-manifest-${{ github.ref }}' } },
      {},
      1,
    ],
    ['cancel-in-progress true', { concurrency: { ...lock, cancelInProgress: true } }, {}, 1],
    ['cancel-in-progress expression', { concurrency: { ...lock, cancelInProgress: '${{ x }}' } }, {}, 1],
  ] as const)('%s → %i', (_n, over, wfOver, n) => {
    expect(check(over as Partial<JobModel>, wfOver as Partial<WorkflowModel>)).toHaveLength(n);
  });

  it('a job that does not write the ledger needs no lock', () => {
    const found = checkWorkflow(wf({ jobs: [job({ steps: [action('validate', '--tag v1')] })] }));
    expect(rules(found)).not.toContain('ledger-concurrency');
  });
});

describe('action-pinned and action-version-comment', () => {
  const sha = '11bd71901bbe5b1630ceea73d27597364c9af683';
  it.each([
    [`actions/checkout@${sha}`, 'v4.2.2', []],
    [`actions/checkout@${sha}`, undefined, ['action-version-comment']],
    [`actions/checkout@${sha}`, 'pinned', ['action-version-comment']],
    ['actions/checkout@v4', 'v4', ['action-pinned']],
    ['actions/checkout@11bd719', undefined, ['action-pinned']],
    [`actions/checkout@${sha.toUpperCase()}`, 'v4.2.2', ['action-pinned']],
    ['actions/checkout', undefined, ['action-pinned']],
    ['./.github/actions/local', undefined, []],
    [`docker://alpine@sha256:${'a'.repeat(64)}`, undefined, []],
    ['docker://alpine:3', undefined, ['action-pinned']],
    [`github/codeql-action/upload-sarif@${sha}`, 'v3.28.0', []],
  ] as const)('%s # %s', (value, comment, expected) => {
    const found = checkWorkflow(wf({ jobs: [job({ steps: [uses(value, comment)] })] }));
    expect(rules(found)).toEqual(expected);
    if (expected.length > 0) expect(found[0]).toMatchObject({ line: 30, column: 15 });
  });

  it('checks reusable workflow calls too', () => {
    const found = checkWorkflow(
      wf({
        jobs: [
          job({ uses: { value: 'org/repo/.github/workflows/x.yml@main', pos: p(6), comment: undefined } }),
        ],
      }),
    );
    expect(rules(found)).toEqual(['action-pinned']);
  });

  it('the version comment is a warning', () => {
    const found = checkWorkflow(wf({ jobs: [job({ steps: [uses(`actions/checkout@${sha}`)] })] }));
    expect(found[0]?.level).toBe('warning');
  });
});

describe('dispatch-token-scope', () => {
  const dispatch = action('dispatch', '--workflow x', {
    PROVENANCE_DISPATCH_TOKEN: '${{ secrets.PROVENANCE_DISPATCH_TOKEN }}',
  });
  const text = (path: (string | number)[], value: string, line: number, isKey = false) => ({
    path,
    value,
    pos: p(line, 9),
    isKey,
  });
  const check = (texts: WorkflowModel['texts']) =>
    checkWorkflow(
      wf({
        texts,
        jobs: [
          job({ id: 'release', permissions: perms({ contents: 'write' }), steps: [run('echo'), dispatch] }),
        ],
      }),
    ).filter((f) => f.rule === 'dispatch-token-scope');

  it('inside the dispatch step is fine', () => {
    expect(
      check([
        text(
          ['jobs', 'release', 'steps', 1, 'env', 'PROVENANCE_DISPATCH_TOKEN'],
          '${{ secrets.PROVENANCE_DISPATCH_TOKEN }}',
          40,
        ),
      ]),
    ).toEqual([]);
  });

  it.each([
    ['another step', ['jobs', 'release', 'steps', 0, 'env', 'X'], false],
    ['job env', ['jobs', 'release', 'env', 'X'], false],
    ['workflow env', ['env', 'PROVENANCE_DISPATCH_TOKEN'], true],
    ['another job', ['jobs', 'other', 'steps', 0, 'run'], false],
  ] as const)('%s is reported at its line', (_n, path, isKey) => {
    const [f] = check([
      text(
        [...path],
        isKey ? 'PROVENANCE_DISPATCH_TOKEN' : 'echo ${{ secrets.PROVENANCE_DISPATCH_TOKEN }}',
        41,
        isKey,
      ),
    ]);
    expect(f).toMatchObject({ line: 41, column: 9, level: 'error' });
  });

  it('the rotation-date variable is another name', () => {
    expect(check([text(['env', 'X'], '${{ vars.PROVENANCE_DISPATCH_TOKEN_ROTATED_AT }}', 3)])).toEqual([]);
  });
});

describe('pull-request-target-checkout', () => {
  const checkout = (ref: string) =>
    step({
      uses: { value: 'actions/checkout@' + 'a'.repeat(40), pos: p(30), comment: 'v4.2.2' },
      withs: { ref },
    });
  const check = (steps: StepModel[], trigger = 'pull_request_target') =>
    checkWorkflow(wf({ triggers: [loc(trigger, 3)], jobs: [job({ steps })] })).filter(
      (f) => f.rule === 'pull-request-target-checkout',
    );

  it.each([
    '${{ github.event.pull_request.head.sha }}',
    '${{ github.event.pull_request.head.ref }}',
    '${{ github.head_ref }}',
    'refs/pull/${{ github.event.number }}/merge',
  ])('checkout of %s is reported', (ref) => {
    expect(check([checkout(ref)])).toHaveLength(1);
  });

  it('scripts that fetch the head are reported', () => {
    expect(check([run('gh pr checkout ${{ github.event.number }}')])).toHaveLength(1);
    expect(check([run('git fetch origin pull/1/head')])).toHaveLength(1);
  });

  it('the base checkout, and pull_request workflows, are fine', () => {
    expect(
      check([
        checkout('${{ github.sha }}'),
        step({ uses: { value: 'actions/checkout@' + 'a'.repeat(40), pos: p(1), comment: 'v4' } }),
      ]),
    ).toEqual([]);
    expect(check([checkout('${{ github.event.pull_request.head.sha }}')], 'pull_request')).toEqual([]);
  });
});

describe('reports', () => {
  const findings = checkWorkflows([
    wf({ file: 'b.yml', permissions: undefined }),
    wf({ file: 'a.yml', jobs: [job({ steps: [uses('actions/checkout@v4')] })] }),
  ]);
  const report = buildAuditReport(['a.yml', 'b.yml'], findings);

  it('orders findings by file and counts levels', () => {
    expect(findings.map((f) => f.file)).toEqual(['a.yml', 'b.yml']);
    expect(report).toMatchObject({ errors: 2, warnings: 0 });
  });

  it('text is file:line:column: level rule: message', () => {
    expect(renderAuditText(report).split('\n')[0]).toMatch(/^a\.yml:30:15: error action-pinned: /);
    expect(renderAuditText(buildAuditReport(['a.yml'], []))).toContain('no findings');
    expect(renderAuditReport(report, 'json', '1.0.0')).toContain('"errors": 2');
    expect(renderAuditReport(report, 'text', '1.0.0')).toMatch(/warning\(s\)\n$/);
  });

  it('text is one finding a line: a line break in a file name or message cannot forge a line', () => {
    const forged = '\naudit-workflows: 1 workflow file(s), no findings';
    const hostile = buildAuditReport(
      [`c${forged}.yml`],
      [{ ...findings[0]!, file: `c${forged}.yml`, message: `uses x${forged}` }],
    );
    const text = renderAuditText(hostile);
    expect(text.split('\n')).toHaveLength(2);
    expect(text).not.toMatch(/^audit-workflows: .*no findings$/m);
    expect(text).toContain('\\u000aaudit-workflows');
  });

  it('SARIF 2.1.0 has every rule and a located result per finding', () => {
    const sarif = buildSarif(report, '1.0.0') as any;
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0].tool.driver.rules.map((r: any) => r.id)).toEqual(workflowRules.map((r) => r.id));
    expect(sarif.runs[0].results[0]).toMatchObject({
      ruleId: 'action-pinned',
      level: 'error',
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: 'a.yml' },
            region: { startLine: 30, startColumn: 15 },
          },
        },
      ],
    });
    expect(JSON.parse(renderAuditReport(report, 'sarif', '1.0.0')).runs[0].results).toHaveLength(2);
  });
});
