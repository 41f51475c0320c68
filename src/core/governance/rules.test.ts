import { describe, expect, it } from 'vitest';
import { attestsContainer, inferJobRoles, isLedgerWriteStep, stepCommands } from './infer-role.js';
import {
  usesName,
  type JobModel,
  type Located,
  type PermissionsModel,
  type StepModel,
  type WorkflowModel,
} from './model.js';
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

// The mutation audit of the nineteenth session (docs/status.md, Issue 17): each case below failed
// a hand mutant of rules.ts, infer-role.ts or role-matrix.ts that every earlier test let through.
describe('rules, case by case', () => {
  const sha = '11bd71901bbe5b1630ceea73d27597364c9af683';
  const only = (rule: RuleId, w: WorkflowModel) => checkWorkflow(w).filter((f) => f.rule === rule);

  it('packages: write for a container only on a provenance writer, not on a validator that logs in', () => {
    const login = uses(`docker/login-action@${sha}`, 'v3.3.0');
    const grants = perms({ contents: 'read', 'id-token': 'write', packages: 'write' });
    expect(
      only(
        'job-permissions',
        wf({ jobs: [job({ permissions: grants, steps: [login, action('validate', '--tag v1')] })] }),
      ),
    ).toHaveLength(1);
    const writer = perms({ contents: 'write', 'id-token': 'write', packages: 'write' });
    expect(
      only(
        'job-permissions',
        wf({ jobs: [job({ permissions: writer, concurrency: lock, steps: [login, action('record')] })] }),
      ),
    ).toEqual([]);
  });

  it('an unknown scope is reported on an unclassified job too', () => {
    const found = only(
      'job-permissions',
      wf({ jobs: [job({ permissions: perms({ 'made-up': 'read' }), steps: [run('npm test')] })] }),
    );
    expect(found).toMatchObject([{ line: 11, level: 'error' }]);
  });

  it('a ledger writer with no permissions anywhere, or write-all, can push: it needs the lock', () => {
    const writer = (w: Partial<WorkflowModel>, j: Partial<JobModel>) =>
      only('ledger-concurrency', wf({ ...w, jobs: [job({ steps: [action('record')], ...j })] }));
    expect(writer({ permissions: undefined }, { permissions: undefined })).toHaveLength(1);
    expect(writer({}, { permissions: { kind: 'write-all', pos: p(9) } })).toHaveLength(1);
  });

  it('a reader in the lock is reported at its own concurrency; a workflow-level group is not its own', () => {
    const reader = (w: Partial<WorkflowModel>, j: Partial<JobModel>) =>
      checkWorkflow(wf({ ...w, jobs: [job({ steps: [run('npm test')], ...j })] })).filter(
        (f) => f.rule === 'ledger-concurrency-reader',
      );
    expect(reader({}, { concurrency: lock })).toMatchObject([{ line: 8, column: 5, level: 'warning' }]);
    expect(reader({ concurrency: lock }, {})).toEqual([]);
    expect(reader({}, { concurrency: lock, permissions: perms({ contents: 'write' }) })).toEqual([]);
  });

  it('--sign-key and --no-sign count as flags only, not inside another word or path', () => {
    const signing = (args: string) =>
      only(
        'ledger-signing-identity',
        wf({
          jobs: [
            job({
              permissions: perms({ contents: 'write' }),
              concurrency: lock,
              steps: [action('record', args)],
            }),
          ],
        }),
      );
    expect(signing('--entry out/x--no-sign.json')).toHaveLength(1);
    expect(signing('--entry e.json --sign-key=k.pem')).toEqual([]);
  });

  it.each([
    [`docker://alpine@sha256:${'a'.repeat(64)}0`, 'a digest of 65 hex digits'],
    [`actions/checkout@feature-${sha}`, 'a branch whose name ends in a SHA'],
    [
      'slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@v2',
      'the generator by a short tag',
    ],
    [
      'slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@v2.1.0-rc.0',
      'the generator by a pre-release suffix',
    ],
    [
      'attacker/slsa-github-generator/.github/workflows/builder_go_slsa3.yml@v2.1.0',
      'a look-alike of the generator by tag',
    ],
  ])('%s is not pinned (%s)', (value) => {
    expect(rules(checkWorkflow(wf({ jobs: [job({ steps: [uses(value, 'v1.0.0')] })] })))).toEqual([
      'action-pinned',
    ]);
  });

  it('the generator by its full release tag passes', () => {
    const call = {
      value: 'slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@v2.1.0',
      pos: p(6),
      comment: undefined,
    };
    expect(
      only(
        'action-pinned',
        wf({
          jobs: [
            job({
              uses: call,
              permissions: perms({ contents: 'write', 'id-token': 'write', actions: 'read' }),
            }),
          ],
        }),
      ),
    ).toEqual([]);
  });
});

describe('untrusted input rules, case by case', () => {
  const onPrTarget = (steps: StepModel[]) =>
    checkWorkflow(wf({ triggers: [loc('pull_request_target', 3)], jobs: [job({ steps })] })).filter(
      (f) => f.rule === 'pull-request-target-checkout',
    );

  it("a checkout of the head's repository is reported", () => {
    const checkout = step({
      uses: { value: 'actions/checkout@' + 'a'.repeat(40), pos: p(30), comment: 'v4.2.2' },
      withs: { repository: '${{ github.event.pull_request.head.repo.full_name }}' },
    });
    expect(onPrTarget([checkout])).toHaveLength(1);
  });

  it.each([
    'git pull origin pull/1/head',
    'git switch --detach ${{ github.head_ref }}',
    'git checkout FETCH_HEAD && git fetch origin ${{ github.event.pull_request.head.sha }}',
  ])('the script %j is reported', (script) => {
    expect(onPrTarget([run(script)])).toHaveLength(1);
  });

  const injections = (steps: StepModel[]) =>
    checkWorkflow(wf({ jobs: [job({ steps })] })).filter((f) => f.rule === 'script-injection');

  it.each([
    ['echo "${{ inputs.tag }}"', 'inputs.tag'],
    ['git push origin ${{ github.head_ref }}', 'github.head_ref'],
    ['echo "${{ github.event.issue.title }}"', 'github.event.issue.title'],
  ])('%s interpolates %s', (script, what) => {
    const [f] = injections([run(script)]);
    expect(f?.message).toContain(`\${{ ${what} }}`);
  });

  it('actions/github-script: its script input is a script; one finding per expression', () => {
    const gs = step({
      uses: { value: `actions/github-script@${'a'.repeat(40)}`, pos: p(30), comment: 'v7.0.1' },
      withs: {
        script:
          'core.info("${{ github.event.comment.body }}"); core.info("${{ github.event.comment.body }}")',
      },
    });
    expect(injections([gs])).toHaveLength(1);
    expect(
      injections([run('echo "${{ github.event.comment.body }}" "${{ github.event.comment.body }}"')]),
    ).toHaveLength(1);
    expect(injections([run('echo "$BODY"')])).toEqual([]);
  });

  it('toJSON(secrets) in any letter case (GitHub expression functions are case-insensitive)', () => {
    const texts = [
      { path: ['jobs', 'j', 'env', 'ALL'], value: '${{ tojson(secrets) }}', pos: p(12, 9), isKey: false },
    ];
    expect(
      checkWorkflow(wf({ texts, jobs: [job()] })).filter((f) => f.rule === 'secrets-to-json'),
    ).toMatchObject([{ line: 12, job: 'j' }]);
  });
});

describe('workflow_run jobs, case by case', () => {
  const ifs = (value: string) => loc(value, 6);
  const check = (jobs: JobModel[]) =>
    checkWorkflow(wf({ triggers: [loc('workflow_run', 3)], jobs }))
      .filter((f) => f.rule === 'workflow-run-head-repository')
      .map((f) => f.job);
  const guard = 'github.event.workflow_run.head_repository.full_name == github.repository';

  it.each([
    ['full_name', guard],
    ['fork', 'github.event.workflow_run.head_repository.fork == false'],
    ['id', 'github.event.workflow_run.head_repository.id == github.repository_id'],
  ])('a check of the head repository %s covers the job', (_n, cond) => {
    expect(check([job({ id: 'a', if: ifs(cond) })])).toEqual([]);
  });

  // nineteenth session: the rule took any mention of head_repository as a check
  it.each([
    ['the comparison the other way round (forks only)', guard.replace('==', '!=')],
    ['an alternative that skips the check', `${guard} || github.event.workflow_run.conclusion == 'success'`],
    ['a fork flag read as true', 'github.event.workflow_run.head_repository.fork'],
    ['a fork flag compared with true', 'github.event.workflow_run.head_repository.fork == true'],
    ['a negated group', `!(${guard})`],
    ['two expressions in one string (always true)', `\${{ github.actor == 'x' }} && \${{ ${guard} }}`],
    ['a check on another event only', `github.event_name == 'workflow_run' || ${guard}`],
    [
      'the head repository compared with itself',
      'github.event.workflow_run.head_repository.full_name == github.event.workflow_run.head_repository.full_name',
    ],
  ])('does not cover the job: %s', (_n, cond) => {
    expect(check([job({ id: 'a', if: ifs(cond) })])).toEqual(['a']);
  });

  it.each([
    ['wrapped in ${{ }}', `\${{ ${guard} }}`],
    ['in any letter case', 'GitHub.Event.Workflow_Run.Head_Repository.Full_Name == github.REPOSITORY'],
    ['reversed', 'github.repository == github.event.workflow_run.head_repository.full_name'],
    ['not a fork, negated', '!github.event.workflow_run.head_repository.fork'],
    ['beside another required condition', `github.event.workflow_run.conclusion == 'success' && (${guard})`],
    ['when the other alternative is another event', `github.event_name != 'workflow_run' || ${guard}`],
    [
      'with a dispatch alternative and a group',
      `github.event_name == 'workflow_dispatch' || (github.event.workflow_run.conclusion == 'success' && ${guard})`,
    ],
    ['with || inside a string literal', `${guard} && github.event.workflow_run.name != 'a || b'`],
  ])('covers the job: %s', (_n, cond) => {
    expect(check([job({ id: 'a', if: ifs(cond) })])).toEqual([]);
  });

  it('needing a covered job covers a job that runs only if that job ran, not one that runs always', () => {
    const guarded = job({ id: 'g', if: ifs(guard) });
    const after = (id: string, cond: string) => job({ id, needs: ['g'], if: ifs(cond) });
    expect(
      check([
        guarded,
        after('always', 'always()'),
        after('notcancelled', '!cancelled()'),
        after('emptyoutput', "always() && needs.g.outputs.queued == ''"),
        after('orelse', "always() && (needs.g.result == 'success' || github.actor == 'x')"),
        after('output', "${{ always() && needs.g.outputs.queued == 'true' }}"),
        after('result', "always() && needs.g.result == 'success'"),
        after('plain', "needs.g.outputs.queued == 'true'"),
      ]),
    ).toEqual(['always', 'notcancelled', 'emptyoutput', 'orelse']);
  });

  it('a job is covered by needing any covered job, in any order of the file, through a chain', () => {
    const jobs = [
      job({ id: 'c', needs: ['b'] }),
      job({ id: 'b', needs: ['a', 'x'] }),
      job({ id: 'a', if: ifs(guard) }),
      job({ id: 'x' }),
    ];
    expect(check(jobs)).toEqual(['x']);
  });
});

describe('finding order', () => {
  it('by line, then column, then rule', () => {
    const at = (value: string, column: number) =>
      step({ uses: { value, pos: p(30, column), comment: undefined } });
    const found = checkWorkflow(
      wf({ jobs: [job({ steps: [at('actions/checkout@v4', 15), at('actions/setup-node@v4', 9)] })] }),
    );
    expect(found.map((f) => f.column)).toEqual([9, 15]);
  });
});

describe('role inference, case by case', () => {
  const sha = 'a'.repeat(40);
  it('the slsa-ledger action by its exact name, not a look-alike', () => {
    const withCommand = (value: string) =>
      step({ uses: { value, pos: p(1), comment: 'v1.0.0' }, withs: { command: 'record' } });
    expect(isLedgerWriteStep(withCommand(`acme/slsa-ledger@${sha}`))).toBe(true);
    expect(isLedgerWriteStep(withCommand(`acme/slsa-ledger-fork@${sha}`))).toBe(false);
    expect(isLedgerWriteStep(withCommand(`acme/not-slsa-ledger@${sha}`))).toBe(false);
  });

  it('packages: write only when the attestation goes to a registry (push-to-registry)', () => {
    const attest = (withs: Record<string, string>) =>
      step({
        uses: { value: `actions/attest-build-provenance@${sha}`, pos: p(30), comment: 'v2.2.0' },
        withs,
      });
    const grants = perms({
      contents: 'write',
      'id-token': 'write',
      attestations: 'write',
      packages: 'write',
    });
    const found = (s: StepModel) =>
      checkWorkflow(wf({ jobs: [job({ permissions: grants, steps: [s] })] })).filter(
        (f) => f.rule === 'job-permissions',
      );
    expect(found(attest({ 'subject-path': 'dist/*' }))).toHaveLength(1);
    expect(found(attest({ 'subject-name': 'ghcr.io/acme/app', 'push-to-registry': 'true' }))).toEqual([]);
  });
});

describe('dispatch with GITHUB_TOKEN and command lines', () => {
  it('a dispatch step that names no PAT dispatches with GITHUB_TOKEN: actions: write is allowed', () => {
    const found = checkWorkflow(
      wf({
        jobs: [
          job({ permissions: perms({ contents: 'write', actions: 'write' }), steps: [action('dispatch')] }),
        ],
      }),
    ).filter((f) => f.rule === 'job-permissions');
    expect(found).toEqual([]);
  });

  it('a command is on the line of slsa-ledger, never on the next one', () => {
    expect(stepCommands(run('npm install --global slsa-ledger\nrecord-keeper --help'))).toEqual([]);
    expect(stepCommands(run('slsa-ledger\trecord --entry e.json')).map((c) => c.command)).toEqual(['record']);
  });
});

describe('the scopes GitHub knows', () => {
  it.each([
    'actions',
    'artifact-metadata',
    'attestations',
    'checks',
    'contents',
    'deployments',
    'discussions',
    'id-token',
    'issues',
    'models',
    'packages',
    'pages',
    'pull-requests',
    'repository-projects',
    'security-events',
    'statuses',
  ])('%s: read is a valid grant for an unclassified job', (scope) => {
    expect(
      checkWorkflow(
        wf({ jobs: [job({ permissions: perms({ [scope]: 'read' }), steps: [run('npm test')] })] }),
      ),
    ).toEqual([]);
  });
});

describe('ledger-signing-identity, command by command', () => {
  const signing = (script: string) =>
    checkWorkflow(
      wf({
        jobs: [job({ permissions: perms({ contents: 'write' }), concurrency: lock, steps: [run(script)] })],
      }),
    ).filter((f) => f.rule === 'ledger-signing-identity');

  // the bug: `--sign-key` on one command of a step exempted the whole step, though the flush after
  // it signs keyless and fails without id-token: write
  it('a flush after a key-signed record in the same step still needs id-token: write', () => {
    const [f, ...rest] = signing(
      'npx slsa-ledger record --sign-key k.pem --entry e.json\nnpx slsa-ledger flush',
    );
    expect(rest).toEqual([]);
    expect(f?.message).toContain('writes the ledger (flush)');
    expect(
      signing('npx slsa-ledger record --sign-key k.pem --entry e.json\nnpx slsa-ledger flush --no-sign'),
    ).toEqual([]);
    expect(signing('npx slsa-ledger record --entry e.json\nnpx slsa-ledger kpi --sign-key x')).toHaveLength(
      1,
    );
  });
});

// The mutation audit of the twentieth session (docs/status.md, Issue 17): each case below failed a
// hand mutant of report.ts that every earlier test let through.
describe('reports, case by case', () => {
  const error: Finding = {
    rule: 'action-pinned',
    level: 'error',
    file: 'w\u001b[2J.yml',
    line: 3,
    column: 7,
    message: 'uses x@v1\u0007',
    job: 'build',
  };
  const warning: Finding = {
    rule: 'action-version-comment',
    level: 'warning',
    file: 'w.yml',
    line: 9,
    column: 1,
    message: 'no version comment',
  };
  const report = buildAuditReport(['w.yml', 'v.yml', 'u.yml'], [error, warning]);

  it('counts errors and warnings apart', () => {
    expect(report).toMatchObject({ errors: 1, warnings: 1 });
    expect(renderAuditText(report).split('\n').at(-1)).toBe(
      'audit-workflows: 3 workflow file(s), 1 error(s), 1 warning(s)',
    );
  });
  it('escapes the file name and the message of a text line, findings first, then the summary', () => {
    const lines = renderAuditText(report).split('\n');
    expect(lines[0]).toBe('w\\u001b[2J.yml:3:7: error action-pinned: uses x@v1\\u0007');
    expect(lines).toHaveLength(3);
  });
  it('a report of warnings only is not "no findings"', () => {
    expect(renderAuditText(buildAuditReport(['w.yml'], [warning]))).toBe(
      'w.yml:9:1: warning action-version-comment: no version comment\naudit-workflows: 1 workflow file(s), 0 error(s), 1 warning(s)',
    );
    expect(renderAuditReport(buildAuditReport(['w.yml'], []), 'text', '1')).toBe(
      'audit-workflows: 1 workflow file(s), no findings\n',
    );
  });
  it('SARIF: schema, tool version, rule index, level, location base and fingerprint of each result', () => {
    const sarif = buildSarif(report, '9.8.7') as any;
    expect(sarif.$schema).toBe('https://json.schemastore.org/sarif-2.1.0.json');
    const driver = sarif.runs[0].tool.driver;
    expect(driver.version).toBe('9.8.7');
    const pinned = workflowRules.findIndex((r) => r.id === 'action-pinned');
    const comment = workflowRules.findIndex((r) => r.id === 'action-version-comment');
    expect(driver.rules[comment]).toMatchObject({
      defaultConfiguration: { level: 'warning' },
      fullDescription: { text: workflowRules[comment]!.description },
    });
    expect(driver.rules[pinned].defaultConfiguration).toEqual({ level: 'error' });
    const [r0, r1] = sarif.runs[0].results;
    expect(r0).toEqual({
      ruleId: 'action-pinned',
      ruleIndex: pinned,
      level: 'error',
      message: { text: 'uses x@v1\u0007' },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: 'w\u001b[2J.yml', uriBaseId: '%SRCROOT%' },
            region: { startLine: 3, startColumn: 7 },
          },
        },
      ],
      partialFingerprints: { primaryLocationLineHash: 'action-pinned:w\u001b[2J.yml:build:uses x@v1\u0007' },
    });
    expect(r1).toMatchObject({
      ruleIndex: comment,
      level: 'warning',
      partialFingerprints: { primaryLocationLineHash: 'action-version-comment:w.yml::no version comment' },
    });
  });
});

describe('`uses:` names in any letter case (GitHub resolves OWNER/REPO case-insensitively)', () => {
  const sha = 'a'.repeat(40);
  const named = (value: string, withs: Record<string, string> = {}) =>
    step({ uses: { value, pos: p(30), comment: 'v1.2.3' }, withs });

  it('lower-cases the owner and name only; paths, local actions and images stay as written', () => {
    expect(usesName(`Actions/Checkout@${sha}`)).toBe('actions/checkout');
    expect(usesName(` Org/Repo/Path/To/Action@v1 `)).toBe('org/repo/Path/To/Action');
    expect(usesName('./.github/Actions/Slsa-Ledger')).toBe('./.github/Actions/Slsa-Ledger');
    expect(usesName('docker://Alpine@sha256:00')).toBe('docker://Alpine');
    expect(usesName('actions/checkout')).toBe('actions/checkout');
  });

  it('a case variant of the slsa-ledger action is a ledger writer, and its rules apply', () => {
    const writer = named(`Acme/SLSA-Ledger@${sha}`, { command: 'record' });
    expect(isLedgerWriteStep(writer)).toBe(true);
    expect(inferJobRoles(job({ steps: [writer] }))).toEqual(['provenance-writer']);
    const found = checkWorkflow(
      wf({ jobs: [job({ permissions: perms({ contents: 'write' }), concurrency: lock, steps: [writer] })] }),
    );
    expect(rules(found)).toContain('ledger-signing-identity');
    // a path inside another repository is not the action, whatever its case
    expect(isLedgerWriteStep(named(`acme/tools/SLSA-Ledger@${sha}`, { command: 'record' }))).toBe(false);
  });

  it('a case variant of actions/checkout in a pull_request_target workflow is still reported', () => {
    const checkout = named(`Actions/Checkout@${sha}`, {
      ref: '${{ github.event.pull_request.head.sha }}',
    });
    const found = checkWorkflow(
      wf({ triggers: [loc('pull_request_target', 3)], jobs: [job({ steps: [checkout] })] }),
    );
    expect(rules(found)).toContain('pull-request-target-checkout');
  });

  it('a case variant of actions/github-script: its script is still read for injections', () => {
    const gs = named(`ACTIONS/GitHub-Script@${sha}`, {
      script: 'core.info("${{ github.event.comment.body }}")',
    });
    expect(rules(checkWorkflow(wf({ jobs: [job({ steps: [gs] })] })))).toContain('script-injection');
  });

  it('case variants of the attest actions, cosign and the generator make a provenance writer', () => {
    for (const value of [
      `Actions/Attest-Build-Provenance@${sha}`,
      `actions/ATTEST@${sha}`,
      `Sigstore/Cosign-Installer@${sha}`,
    ])
      expect(inferJobRoles(job({ steps: [named(value)] }))).toEqual(['provenance-writer']);
    const generator = {
      value: 'SLSA-Framework/SLSA-GitHub-Generator/.github/workflows/generator_generic_slsa3.yml@v2.1.0',
      pos: p(6),
      comment: undefined,
    };
    expect(inferJobRoles(job({ uses: generator }))).toEqual(['provenance-writer']);
    // pinned by its release tag, as the generator's docs require, in any case of OWNER/REPO
    expect(rules(checkWorkflow(wf({ jobs: [job({ uses: generator })] })))).not.toContain('action-pinned');
    // a path in another case is another file: a tag is not a pin there
    const otherPath = { ...generator, value: generator.value.replace('workflows', 'Workflows') };
    expect(rules(checkWorkflow(wf({ jobs: [job({ uses: otherPath })] })))).toContain('action-pinned');
  });

  it('a container attestation through a case variant of the container generator', () => {
    const container = {
      value: 'Slsa-Framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@v2.1.0',
      pos: p(6),
      comment: undefined,
    };
    expect(attestsContainer(job({ uses: container }))).toBe(true);
    expect(attestsContainer(job({ steps: [named(`Docker/Login-Action@${sha}`)] }))).toBe(true);
  });
});
