// The workflow rules of `audit-workflows` (DESIGN.md §6): pure functions over parsed workflows
// that return findings with file, line, column and rule id.
import {
  attestsContainer,
  dispatchesWithGithubToken,
  inferJobRoles,
  isDispatchStep,
  isLedgerWriteCommand,
  isLedgerWriteStep,
  stepCommands,
} from './infer-role.js';
import {
  usesName,
  type JobModel,
  type PermissionLevel,
  type PermissionsModel,
  type Position,
  type UsesRef,
  type WorkflowModel,
} from './model.js';
import {
  containerAttestationGrant,
  tagPinnedReusableWorkflows,
  dispatchTokenName,
  dispatchWithGithubTokenGrant,
  knownScopes,
  ledgerConcurrencyGroup,
  roleMatrix,
  type RoleId,
} from './role-matrix.js';

export type RuleId =
  | 'top-level-permissions'
  | 'job-permissions'
  | 'ledger-concurrency'
  | 'action-pinned'
  | 'action-version-comment'
  | 'dispatch-token-scope'
  | 'pull-request-target-checkout'
  | 'script-injection'
  | 'secrets-inherit'
  | 'secrets-to-json'
  | 'workflow-run-head-repository'
  | 'ledger-concurrency-reader'
  | 'ledger-signing-identity';

export type FindingLevel = 'error' | 'warning';

export interface RuleInfo {
  readonly id: RuleId;
  readonly level: FindingLevel;
  readonly summary: string;
  readonly description: string;
}

/** Every rule, in report order. */
export const workflowRules: readonly RuleInfo[] = [
  {
    id: 'top-level-permissions',
    level: 'error',
    summary: 'top-level permissions must be empty or read-only',
    description:
      'The workflow-level `permissions:` must be present and grant nothing (`{}`) or only `read`; jobs widen it one by one. Without it every job gets the repository default, which may be write-all.',
  },
  {
    id: 'job-permissions',
    level: 'error',
    summary: "each job's permissions stay within its role",
    description:
      "A job's role is inferred from what it does (dispatch, attest, record, validate, notify, ingest, audit); it may hold at most that role's permissions of the role matrix (DESIGN.md §6). A job with no role may hold read permissions only (a warning otherwise).",
  },
  {
    id: 'ledger-concurrency',
    level: 'error',
    summary: 'jobs that write the ledger share concurrency group provenance-manifest',
    description:
      'Every job that runs record, flush or validate --record must have `concurrency: {group: provenance-manifest, cancel-in-progress: false}` (on the job or the workflow), so only one writer holds the manifest at a time and none is cancelled mid-push.',
  },
  {
    id: 'action-pinned',
    level: 'error',
    summary: 'actions are pinned to a full commit SHA',
    description:
      'Every `uses:` of a third-party action or reusable workflow names a full 40-hex commit SHA. Local actions (`./…`) and Docker images pinned by `@sha256:` digest are exempt.',
  },
  {
    id: 'action-version-comment',
    level: 'warning',
    summary: 'a pinned SHA carries a version comment',
    description:
      'A SHA pin is followed by a comment naming the version it is (`# v4.2.2`) so reviewers and update bots can read it.',
  },
  {
    id: 'dispatch-token-scope',
    level: 'error',
    summary: 'PROVENANCE_DISPATCH_TOKEN is referenced only in the dispatch step',
    description:
      'The dispatch token (a PAT) may appear only in the `env:`/`with:` of the step that runs `dispatch`: never at workflow or job level, and never in another step.',
  },
  {
    id: 'pull-request-target-checkout',
    level: 'error',
    summary: 'no pull_request_target job checks out untrusted code',
    description:
      'A workflow triggered by `pull_request_target` runs with the base repository’s secrets and a write token; it must not check out or fetch the pull request’s head (head.sha, head.ref, github.head_ref, refs/pull/…).',
  },
  {
    id: 'script-injection',
    level: 'error',
    summary: 'no untrusted context is interpolated into a script',
    description:
      '`${{ github.event.* }}`, `${{ github.head_ref }}` and `${{ inputs.* }}` are text an outsider (or a caller) chooses; interpolated into `run:` (or actions/github-script `script:`) they become code. Pass them through `env:` and use the variable (GitHub: "Security hardening for GitHub Actions", untrusted input).',
  },
  {
    id: 'secrets-inherit',
    level: 'error',
    summary: 'a reusable workflow gets the secrets it needs, not `secrets: inherit`',
    description:
      '`secrets: inherit` hands every secret of the repository (and organization) to the called workflow; name the secrets it needs instead.',
  },
  {
    id: 'secrets-to-json',
    level: 'error',
    summary: 'no `toJSON(secrets)`',
    description:
      '`toJSON(secrets)` puts every secret into one value (an env var, a step input, a log line when anything prints it); reference each secret by name.',
  },
  {
    id: 'workflow-run-head-repository',
    level: 'error',
    summary: 'workflow_run jobs check the head repository',
    description:
      'A `workflow_run` workflow runs with this repository’s token and secrets even when the run that triggered it came from a fork; each job’s `if:` must require `github.event.workflow_run.head_repository.full_name == github.repository` (or the same id, or `head_repository.fork == false`; every `||` alternative either requires it or is another event), or the job must need a job that does (and, with `always()` or `cancelled()`, require that job’s result `success` or a non-empty output), before trusting anything of that run.',
  },
  {
    id: 'ledger-concurrency-reader',
    level: 'warning',
    summary: 'only jobs that push join the provenance-manifest concurrency group',
    description:
      'A concurrency group keeps one running and one pending job; a job that cannot push (no `contents: write`) but waits in provenance-manifest can replace a pending ledger writer, whose entry is then lost to a cancellation.',
  },
  {
    id: 'ledger-signing-identity',
    level: 'error',
    summary: 'jobs that write the ledger can sign keyless (`id-token: write`)',
    description:
      'In GitHub Actions `record`, `flush` and `validate --record` sign every change keyless with the job’s OIDC identity (docs/trust.md); without `permissions: id-token: write` they cannot get a token and fail (`SIGN_FAILED`), so no entry lands. Exempt: a command that signs with `--sign-key FILE` or opts out with `--no-sign` (each command of a step on its own: `record --sign-key` does not exempt the `flush` after it).',
  },
];

export interface Finding {
  readonly rule: RuleId;
  readonly level: FindingLevel;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
  /** the job the finding is about, if any */
  readonly job?: string;
}

const levelRank: Readonly<Record<PermissionLevel, number>> = { none: 0, read: 1, write: 2 };

function ruleLevel(rule: RuleId): FindingLevel {
  return workflowRules.find((r) => r.id === rule)?.level ?? 'error';
}

function finding(
  wf: WorkflowModel,
  rule: RuleId,
  pos: Position,
  message: string,
  extra: { job?: string; level?: FindingLevel } = {},
): Finding {
  return {
    rule,
    level: extra.level ?? ruleLevel(rule),
    file: wf.file,
    line: pos.line,
    column: pos.column,
    message,
    ...(extra.job === undefined ? {} : { job: extra.job }),
  };
}

function checkTopLevelPermissions(wf: WorkflowModel): Finding[] {
  const p = wf.permissions;
  if (p === undefined) {
    return [
      finding(
        wf,
        'top-level-permissions',
        wf.triggersPos,
        'no top-level permissions: every job gets the repository default token permissions; add `permissions: {}`',
      ),
    ];
  }
  switch (p.kind) {
    case 'read-all':
      return [];
    case 'write-all':
      return [finding(wf, 'top-level-permissions', p.pos, 'top-level permissions are write-all; use `{}`')];
    case 'invalid':
      return [finding(wf, 'top-level-permissions', p.pos, `top-level permissions '${p.text}' are not valid`)];
    case 'map':
      return p.scopes
        .filter((s) => s.level !== 'read' && s.level !== 'none')
        .map((s) =>
          finding(
            wf,
            'top-level-permissions',
            s.pos,
            s.level === 'write'
              ? `top-level permissions grant '${s.scope}: write'; grant writes per job only`
              : `top-level permission '${s.scope}' has an invalid level`,
          ),
        );
  }
}

type Allowed = Record<string, Exclude<PermissionLevel, 'none'>>;

function allowedFor(roles: readonly RoleId[], job: JobModel): Allowed {
  const allowed: Allowed = {};
  for (const r of roles) {
    for (const [scope, level] of Object.entries(roleMatrix[r].permissions)) {
      if (allowed[scope] === undefined || levelRank[level] > levelRank[allowed[scope]])
        allowed[scope] = level;
    }
  }
  if (roles.includes('release-operator') && dispatchesWithGithubToken(job)) {
    Object.assign(allowed, dispatchWithGithubTokenGrant);
  }
  if (roles.includes('provenance-writer') && attestsContainer(job)) {
    Object.assign(allowed, containerAttestationGrant);
  }
  return allowed;
}

function describeAllowed(allowed: Allowed): string {
  const parts = Object.entries(allowed).map(([s, l]) => `${s}: ${l}`);
  return parts.length === 0 ? 'nothing' : parts.join(', ');
}

function checkJobPermissions(wf: WorkflowModel, job: JobModel): Finding[] {
  const roles = inferJobRoles(job);
  const classified = roles.length > 0;
  const allowed: Allowed = classified ? allowedFor(roles, job) : {};
  const who = classified
    ? `role ${roles.join(' + ')} allows ${describeAllowed(allowed)}`
    : 'job has no provenance role';
  const excess = (scope: string, level: PermissionLevel): boolean => {
    if (level === 'none') return false;
    if (!classified) return level === 'write';
    const max = allowed[scope];
    return max === undefined || levelRank[level] > levelRank[max];
  };
  const level: FindingLevel = classified ? 'error' : 'warning';
  const inherited = job.permissions === undefined;
  const perms: PermissionsModel | undefined = job.permissions ?? wf.permissions;
  const via = inherited ? ' (inherited from the top level)' : '';
  const at = (pos: Position): Position => (inherited ? job.pos : pos);
  if (perms === undefined) {
    return classified
      ? [
          finding(
            wf,
            'job-permissions',
            job.pos,
            `job '${job.id}' sets no permissions and inherits the repository default; ${who}`,
            { job: job.id },
          ),
        ]
      : [];
  }
  switch (perms.kind) {
    case 'write-all':
      return [
        finding(wf, 'job-permissions', at(perms.pos), `job '${job.id}' has write-all${via}; ${who}`, {
          job: job.id,
          level,
        }),
      ];
    case 'invalid':
      return [
        finding(
          wf,
          'job-permissions',
          at(perms.pos),
          `job '${job.id}' has invalid permissions '${perms.text}'`,
          {
            job: job.id,
          },
        ),
      ];
    case 'read-all': {
      const over = knownScopes.filter((s) => excess(s, 'read'));
      return over.length === 0
        ? []
        : [
            finding(
              wf,
              'job-permissions',
              at(perms.pos),
              `job '${job.id}' has read-all${via}, which grants ${over.join(', ')}; ${who}`,
              { job: job.id, level },
            ),
          ];
    }
    case 'map':
      return perms.scopes.flatMap((s) => {
        if (s.level === undefined || !knownScopes.includes(s.scope)) {
          return [
            finding(
              wf,
              'job-permissions',
              at(s.pos),
              `job '${job.id}': '${s.scope}' is not a valid permission`,
              {
                job: job.id,
              },
            ),
          ];
        }
        return excess(s.scope, s.level)
          ? [
              finding(
                wf,
                'job-permissions',
                at(s.pos),
                `job '${job.id}' grants '${s.scope}: ${s.level}'${via}; ${who}`,
                { job: job.id, level },
              ),
            ]
          : [];
      });
  }
}

/** True when the job's token can push (`contents: write`, directly, inherited or write-all). */
function canPush(wf: WorkflowModel, job: JobModel): boolean {
  const perms = job.permissions ?? wf.permissions;
  if (perms === undefined) return true; // the repository default may be write
  if (perms.kind === 'write-all') return true;
  if (perms.kind !== 'map') return false;
  return perms.scopes.some((s) => s.scope === 'contents' && s.level === 'write');
}

/** True when the job's token can ask for an OIDC token (`id-token: write`, directly, inherited or write-all). */
function canSignKeyless(wf: WorkflowModel, job: JobModel): boolean {
  const perms = job.permissions ?? wf.permissions;
  if (perms === undefined) return false; // the repository default never grants id-token
  if (perms.kind === 'write-all') return true;
  if (perms.kind !== 'map') return false;
  return perms.scopes.some((s) => s.scope === 'id-token' && s.level === 'write');
}

const signsWithoutIdentity = /(^|\s)--(sign-key|no-sign)\b/;

function checkLedgerSigning(wf: WorkflowModel, job: JobModel): Finding[] {
  if (canSignKeyless(wf, job)) return [];
  return job.steps.flatMap((step) => {
    // each command signs on its own: `record --sign-key k.pem … && flush` still signs the flush keyless
    const keyless = stepCommands(step).filter(
      (c) => isLedgerWriteCommand(c) && !signsWithoutIdentity.test(c.args),
    );
    return keyless.length === 0
      ? []
      : [
          finding(
            wf,
            'ledger-signing-identity',
            step.pos,
            `job '${job.id}' writes the ledger (${keyless
              .map((c) => c.command)
              .join(
                ', ',
              )}) without permissions id-token: write: keyless signing fails and nothing lands; grant it, or sign with --sign-key`,
            { job: job.id },
          ),
        ];
  });
}

function checkLedgerConcurrency(wf: WorkflowModel, job: JobModel): Finding[] {
  const c = job.concurrency ?? wf.concurrency;
  if (!canPush(wf, job)) {
    // a ledger step without push rights only queues; it must not wait among the writers
    return job.concurrency?.group === ledgerConcurrencyGroup
      ? [
          finding(
            wf,
            'ledger-concurrency-reader',
            job.concurrency.pos,
            `job '${job.id}' joins concurrency group ${ledgerConcurrencyGroup} but cannot push (no contents: write); it can replace a pending ledger writer`,
            { job: job.id },
          ),
        ]
      : [];
  }
  if (!job.steps.some(isLedgerWriteStep)) return [];
  const expected = `concurrency: {group: ${ledgerConcurrencyGroup}, cancel-in-progress: false}`;
  if (c === undefined) {
    return [
      finding(wf, 'ledger-concurrency', job.pos, `job '${job.id}' writes the ledger without ${expected}`, {
        job: job.id,
      }),
    ];
  }
  if (c.group !== ledgerConcurrencyGroup) {
    return [
      finding(
        wf,
        'ledger-concurrency',
        c.pos,
        `job '${job.id}' writes the ledger in concurrency group '${c.group ?? ''}'; expected ${expected}`,
        { job: job.id },
      ),
    ];
  }
  if (c.cancelInProgress !== false && c.cancelInProgress !== undefined) {
    return [
      finding(
        wf,
        'ledger-concurrency',
        c.pos,
        `job '${job.id}' writes the ledger with cancel-in-progress ${String(c.cancelInProgress)}; a cancelled writer can leave a half-pushed entry`,
        { job: job.id },
      ),
    ];
  }
  return [];
}

const shaPattern = /^[0-9a-f]{40}$/;
const digestPattern = /^docker:\/\/[^@\s]+@sha256:[0-9a-f]{64}$/;

function checkUses(wf: WorkflowModel, uses: UsesRef, job: string): Finding[] {
  const value = uses.value.trim();
  if (value.startsWith('./')) return [];
  if (value.startsWith('docker://')) {
    return digestPattern.test(value)
      ? []
      : [finding(wf, 'action-pinned', uses.pos, `'${value}' is not pinned by @sha256: digest`, { job })];
  }
  const at = value.lastIndexOf('@');
  const ref = at === -1 ? '' : value.slice(at + 1);
  const name = at === -1 ? value : value.slice(0, at);
  if (at !== -1 && !name.includes('@') && tagPinnedReusableWorkflows.test(usesName(name))) {
    // slsa-github-generator: its docs require `@vX.Y.Z`; its verifier reads the tag from the
    // certificate, so a SHA (or a short tag) makes the build fail
    return /^v\d+\.\d+\.\d+$/.test(ref)
      ? []
      : [
          finding(
            wf,
            'action-pinned',
            uses.pos,
            `'${value}' must be pinned by its full release tag @vX.Y.Z (slsa-github-generator's docs require it; a SHA or a short tag fails the build)`,
            { job },
          ),
        ];
  }
  if (!shaPattern.test(ref)) {
    return [
      finding(
        wf,
        'action-pinned',
        uses.pos,
        at === -1
          ? `'${value}' names no ref; pin it to a full commit SHA`
          : `'${value}' is pinned to '${ref}', not a full 40-hex commit SHA`,
        { job },
      ),
    ];
  }
  if (uses.comment === undefined || !/\bv?\d+(\.\d+)*\b/.test(uses.comment)) {
    return [
      finding(wf, 'action-version-comment', uses.pos, `'${value}' has no version comment (e.g. '# v4.2.2')`, {
        job,
      }),
    ];
  }
  return [];
}

function checkPinned(wf: WorkflowModel, job: JobModel): Finding[] {
  return [
    ...(job.uses === undefined ? [] : checkUses(wf, job.uses, job.id)),
    ...job.steps.flatMap((s) => (s.uses === undefined ? [] : checkUses(wf, s.uses, job.id))),
  ];
}

const tokenPattern = new RegExp(`\\b${dispatchTokenName}\\b`);

function checkDispatchToken(wf: WorkflowModel): Finding[] {
  const out: Finding[] = [];
  for (const t of wf.texts) {
    if (!tokenPattern.test(t.value)) continue;
    const [root, jobId, section, index] = t.path;
    if (root === 'jobs' && typeof jobId === 'string' && section === 'steps' && typeof index === 'number') {
      const step = wf.jobs.find((j) => j.id === jobId)?.steps[index];
      if (step !== undefined && isDispatchStep(step)) continue;
    }
    const where =
      root === 'jobs' && typeof jobId === 'string'
        ? section === 'steps' && typeof index === 'number'
          ? `step ${index + 1} of job '${jobId}', which does not run dispatch`
          : `job '${jobId}' outside its dispatch step`
        : 'workflow level';
    out.push(
      finding(wf, 'dispatch-token-scope', t.pos, `${dispatchTokenName} is referenced at ${where}`, {
        ...(typeof jobId === 'string' && root === 'jobs' ? { job: jobId } : {}),
      }),
    );
  }
  return out;
}

const untrustedRef = /github\.event\.pull_request\.head\.(sha|ref|repo)|github\.head_ref|refs\/pull\//;
const untrustedScript =
  /\bgh\s+pr\s+checkout\b|\bgit\s+(fetch|checkout|pull|switch)\b[^\n]*(pull\/|head_ref|pull_request\.head|\$\{\{\s*github\.event\.pull_request)/;

function checkPullRequestTarget(wf: WorkflowModel, job: JobModel): Finding[] {
  if (!wf.triggers.some((t) => t.value === 'pull_request_target')) return [];
  const out: Finding[] = [];
  for (const step of job.steps) {
    const isCheckout = usesName(step.uses?.value ?? '') === 'actions/checkout';
    if (isCheckout) {
      for (const key of ['ref', 'repository'] as const) {
        const v = step.with[key];
        if (v !== undefined && untrustedRef.test(v.value)) {
          out.push(
            finding(
              wf,
              'pull-request-target-checkout',
              v.pos,
              `job '${job.id}' checks out the pull request head (${v.value.trim()}) in a pull_request_target workflow`,
              { job: job.id },
            ),
          );
        }
      }
    }
    if (step.run !== undefined && untrustedScript.test(step.run.value)) {
      out.push(
        finding(
          wf,
          'pull-request-target-checkout',
          step.run.pos,
          `job '${job.id}' fetches the pull request head in a script of a pull_request_target workflow`,
          { job: job.id },
        ),
      );
    }
  }
  return out;
}

// untrusted text (GitHub, "Security hardening for GitHub Actions": understanding the risk of script injections)
const untrustedExpression =
  /\$\{\{[^}]*?\b(github\.event\.[A-Za-z0-9_.*[\]'"-]+|github\.head_ref|inputs\.[A-Za-z0-9_-]+)[^}]*\}\}/g;

function checkScriptInjection(wf: WorkflowModel, job: JobModel): Finding[] {
  const out: Finding[] = [];
  for (const step of job.steps) {
    const scripts = [
      step.run,
      usesName(step.uses?.value ?? '') === 'actions/github-script' ? step.with.script : undefined,
    ];
    for (const script of scripts) {
      if (script === undefined) continue;
      const seen = new Set<string>();
      for (const m of script.value.matchAll(untrustedExpression)) {
        const what = m[1] ?? '';
        if (seen.has(what)) continue;
        seen.add(what);
        out.push(
          finding(
            wf,
            'script-injection',
            script.pos,
            `job '${job.id}' interpolates \${{ ${what} }} into a script; pass it through env: and use the variable`,
            { job: job.id },
          ),
        );
      }
    }
  }
  return out;
}

function checkSecretsInherit(wf: WorkflowModel, job: JobModel): Finding[] {
  return job.secrets?.value.trim() === 'inherit'
    ? [
        finding(
          wf,
          'secrets-inherit',
          job.secrets.pos,
          `job '${job.id}' passes every secret to ${job.uses?.value ?? 'the called workflow'} (secrets: inherit); name the ones it needs`,
          { job: job.id },
        ),
      ]
    : [];
}

function checkSecretsToJson(wf: WorkflowModel): Finding[] {
  return wf.texts
    .filter((t) => !t.isKey && /toJSON\s*\(\s*secrets\s*\)/i.test(t.value))
    .map((t) => {
      const jobId = t.path[0] === 'jobs' && typeof t.path[1] === 'string' ? t.path[1] : undefined;
      return finding(
        wf,
        'secrets-to-json',
        t.pos,
        'toJSON(secrets) exposes every secret at once; reference each by name',
        {
          ...(jobId === undefined ? {} : { job: jobId }),
        },
      );
    });
}

/**
 * Comparisons that hold only for a run of this repository (GitHub's expressions ignore case in
 * property names and in `==` on strings): the head repository's name, id or node id equal to this
 * repository's, or the head repository not a fork. Whitespace removed, lower case.
 */
const SAME_REPOSITORY = new Set(
  [
    ['github.event.workflow_run.head_repository.full_name', 'github.repository'],
    ['github.event.workflow_run.head_repository.full_name', 'github.event.repository.full_name'],
    ['github.event.workflow_run.head_repository.id', 'github.repository_id'],
    ['github.event.workflow_run.head_repository.id', 'github.event.repository.id'],
    ['github.event.workflow_run.head_repository.node_id', 'github.event.repository.node_id'],
    ['github.event.workflow_run.head_repository.fork', 'false'],
  ].flatMap(([a, b]) => [`${a}==${b}`, `${b}==${a}`]),
);
const NOT_A_FORK = new Set([
  '!github.event.workflow_run.head_repository.fork',
  'github.event.workflow_run.head_repository.fork!=true',
  'true!=github.event.workflow_run.head_repository.fork',
]);

/** The index after the string literal that starts at `i` (`''` is a quote inside it). */
function afterString(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] !== "'") continue;
    if (text[j + 1] === "'") j++;
    else return j + 1;
  }
  return text.length;
}

/** `text` split at `op` (`&&` or `||`) outside parentheses and string literals. */
function splitTopLevel(text: string, op: '&&' | '||'): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length;) {
    const c = text[i];
    if (c === "'") {
      i = afterString(text, i);
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && text.startsWith(op, i)) {
      parts.push(text.slice(start, i));
      start = i + op.length;
      i = start;
      continue;
    }
    i++;
  }
  parts.push(text.slice(start));
  return parts;
}

/** Whether the `(` that starts `text` closes at its last character (`(a)&&(b)`: no). */
function enclosedWhole(text: string): boolean {
  if (!text.startsWith('(') || !text.endsWith(')')) return false;
  let depth = 0;
  for (let i = 0; i < text.length;) {
    if (text[i] === "'") {
      i = afterString(text, i);
      continue;
    }
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    if (depth === 0) return i === text.length - 1;
    i++;
  }
  return false;
}

/** `(x)` as `x`, as long as the outer parentheses enclose the whole text. */
function unwrap(text: string): string {
  let t = text;
  while (enclosedWhole(t)) t = t.slice(1, -1);
  return t;
}

/** `github.event_name != 'workflow_run'`, or `== 'x'` for another event: false for a workflow_run. */
function excludesWorkflowRun(d: string): boolean {
  const m = /^(?:github\.event_name(==|!=)'([a-z_]+)'|'([a-z_]+)'(==|!=)github\.event_name)$/.exec(d);
  if (m === null) return false;
  const op = m[1] ?? m[4];
  const event = m[2] ?? m[3];
  return op === '!=' ? event === 'workflow_run' : event !== 'workflow_run';
}

/**
 * Whether an `if:` (whitespace removed, lower case) can be true for a workflow_run only when the run
 * is this repository's own: every alternative (`||`) is an event other than workflow_run, or has a
 * same-repository comparison (or a group that is itself guarded) among what it requires (`&&`). A
 * comparison the other way round (`!=`), a negated group, or one beside an alternative that skips
 * it does not guard (a false finding there is the safe side).
 */
function guardsHeadRepository(expr: string, depth = 0): boolean {
  if (depth > 32) return false;
  return splitTopLevel(unwrap(expr), '||').every((alt) => {
    const d = unwrap(alt);
    if (excludesWorkflowRun(d)) return true;
    const required = splitTopLevel(d, '&&');
    if (required.length === 1 && splitTopLevel(d, '||').length > 1) return guardsHeadRepository(d, depth + 1);
    return required.some((c) => {
      if (SAME_REPOSITORY.has(c) || NOT_A_FORK.has(c)) return true;
      return enclosedWhole(c) && guardsHeadRepository(c, depth + 1);
    });
  });
}

/** An `if:` as `guardsHeadRepository` reads it: `${{ }}` dropped, no whitespace outside strings, lower case. */
function normalizeCondition(value: string): string {
  const v = value.trim();
  const bare = /^\$\{\{([\s\S]*)\}\}$/.exec(v)?.[1] ?? v;
  return bare.replace(/'(?:[^']|'')*'|\s+/g, (m) => (m.startsWith("'") ? m : '')).toLowerCase();
}

// A job whose `if:` calls always() or cancelled() (also as !cancelled()) runs when the jobs it needs
// were skipped, so needing a guarded job guards it only when the `if:` also requires that job to
// have run: its result `success`, or one of its outputs equal to a non-empty text (a skipped job
// has the result `skipped` and empty outputs).
const RUNS_AFTER_SKIPPED = /\b(?:always|cancelled)\s*\(/i;
const RAN = /^needs\.([a-z0-9_-]+)\.(?:result=='success'|outputs\.[a-z0-9_-]+=='(?:[^']|'')+')$/;
const RAN_REVERSED =
  /^(?:'success'==needs\.([a-z0-9_-]+)\.result|'(?:[^']|'')+'==needs\.([a-z0-9_-]+)\.outputs\.[a-z0-9_-]+)$/;

/** Whether a normalized `if:` requires one of `jobs` (lower case ids) to have run. */
function requiresJobRan(cond: string, jobs: ReadonlySet<string>): boolean {
  const alternatives = splitTopLevel(unwrap(cond), '||');
  if (alternatives.length !== 1) return false;
  return splitTopLevel(unwrap(cond), '&&').some((c) => {
    const m = RAN.exec(c) ?? RAN_REVERSED.exec(c);
    const id = m?.[1] ?? m?.[2];
    return id !== undefined && jobs.has(id);
  });
}

function checkWorkflowRun(wf: WorkflowModel): Finding[] {
  if (!wf.triggers.some((t) => t.value === 'workflow_run')) return [];
  const checked = new Set<string>();
  // a job is covered by its own `if:`, or by needing a covered job: it never runs otherwise
  for (let changed = true; changed;) {
    changed = false;
    for (const job of wf.jobs) {
      if (checked.has(job.id)) continue;
      const raw = job.if?.value ?? '';
      const cond = normalizeCondition(raw);
      const needsChecked = (job.needs ?? []).filter((n) => checked.has(n));
      if (
        (raw.trim() !== '' && guardsHeadRepository(cond)) ||
        (needsChecked.length > 0 &&
          (!RUNS_AFTER_SKIPPED.test(raw) ||
            requiresJobRan(cond, new Set(needsChecked.map((n) => n.toLowerCase())))))
      ) {
        checked.add(job.id);
        changed = true;
      }
    }
  }
  return wf.jobs
    .filter((job) => !checked.has(job.id))
    .map((job) =>
      finding(
        wf,
        'workflow-run-head-repository',
        job.pos,
        `job '${job.id}' runs on workflow_run without checking github.event.workflow_run.head_repository (a fork's run would get this repository's token)`,
        { job: job.id },
      ),
    );
}

const ruleOrder = new Map(workflowRules.map((r, i) => [r.id, i]));

/** Checks one workflow against every rule; findings sorted by line, column, rule. */
export function checkWorkflow(wf: WorkflowModel): Finding[] {
  const findings = [
    ...checkTopLevelPermissions(wf),
    ...wf.jobs.flatMap((job) => [
      ...checkJobPermissions(wf, job),
      ...checkLedgerConcurrency(wf, job),
      ...checkLedgerSigning(wf, job),
      ...checkPinned(wf, job),
      ...checkPullRequestTarget(wf, job),
      ...checkScriptInjection(wf, job),
      ...checkSecretsInherit(wf, job),
    ]),
    ...checkDispatchToken(wf),
    ...checkSecretsToJson(wf),
    ...checkWorkflowRun(wf),
  ];
  return findings.sort(
    (a, b) =>
      a.line - b.line || a.column - b.column || (ruleOrder.get(a.rule) ?? 0) - (ruleOrder.get(b.rule) ?? 0),
  );
}

/** Checks several workflows; findings in file order. */
export function checkWorkflows(workflows: readonly WorkflowModel[]): Finding[] {
  return [...workflows]
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
    .flatMap((wf) => checkWorkflow(wf));
}
