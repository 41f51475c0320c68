// Infers what a job does (and so its role) from its steps. The rules, in order of the signals:
// - a step that runs `slsa-ledger <command>` (a `run:` script, or the slsa-ledger action with
//   `with.command`) gives the command's role: dispatch → release-operator; attest, record, flush →
//   provenance-writer; validate → provenance-validator; notify → notifier; ingest, migrate →
//   ingester; audit-workflows, check, kpi → governance-auditor;
// - `actions/attest-build-provenance` or `actions/attest` → provenance-writer;
// - `gh release create` in a script, or a reference to PROVENANCE_DISPATCH_TOKEN → release-operator.
// A job doing the work of several roles may hold the union of their permissions. A job with no
// signal is unclassified: it may hold read permissions only.
import { usesName, type JobModel, type StepModel } from './model.js';
import { dispatchTokenName, type RoleId } from './role-matrix.js';

export interface StepCommand {
  readonly command: string;
  /** the arguments as written (the action's `args` input or the rest of the script line) */
  readonly args: string;
}

const commandRoles: Readonly<Record<string, RoleId>> = {
  dispatch: 'release-operator',
  attest: 'provenance-writer',
  record: 'provenance-writer',
  flush: 'provenance-writer',
  validate: 'provenance-validator',
  notify: 'notifier',
  ingest: 'ingester',
  migrate: 'ingester',
  'audit-workflows': 'governance-auditor',
  check: 'governance-auditor',
  kpi: 'governance-auditor',
};

const cliPattern = /(?:\bslsa-ledger(?:@[^\s]+)?|\bcli\/bin\.js)[ \t]+([a-z][a-z-]*)([^\n]*)/g;

/** True for `uses:` of the slsa-ledger action: a local `./…/slsa-ledger` or `owner/slsa-ledger@ref`. */
export function isSlsaLedgerAction(uses: string): boolean {
  const path = usesName(uses);
  return /(^|\/)slsa-ledger$/.test(path) || (path.startsWith('./') && /slsa-ledger/.test(path));
}

/** The slsa-ledger commands a step runs. */
export function stepCommands(step: StepModel): StepCommand[] {
  const out: StepCommand[] = [];
  const command = step.with.command?.value.trim();
  if (
    step.uses !== undefined &&
    isSlsaLedgerAction(step.uses.value) &&
    command !== undefined &&
    command !== ''
  ) {
    out.push({ command, args: step.with.args?.value ?? '' });
  }
  if (step.run !== undefined) {
    for (const m of step.run.value.matchAll(cliPattern)) {
      out.push({ command: m[1] ?? '', args: m[2] ?? '' });
    }
  }
  return out;
}

const tokenPattern = new RegExp(`\\b${dispatchTokenName}\\b`);

function stepText(step: StepModel): string {
  return [
    step.run?.value ?? '',
    ...Object.entries(step.env).map(([k, v]) => `${k}=${v.value}`),
    ...Object.entries(step.with).map(([k, v]) => `${k}=${v.value}`),
  ].join('\n');
}

/** True when the step runs `dispatch`. */
export function isDispatchStep(step: StepModel): boolean {
  return stepCommands(step).some((c) => c.command === 'dispatch');
}

/** True when the command writes the git ledger: record, flush, or validate --record. */
export function isLedgerWriteCommand(c: StepCommand): boolean {
  return (
    c.command === 'record' || c.command === 'flush' || (c.command === 'validate' && /--record\b/.test(c.args))
  );
}

/** True when the step writes the git ledger: record, flush, or validate --record. */
export function isLedgerWriteStep(step: StepModel): boolean {
  return stepCommands(step).some(isLedgerWriteCommand);
}

/** The roles whose work the job does; empty for an unclassified job. */
export function inferJobRoles(job: JobModel): RoleId[] {
  const roles = new Set<RoleId>();
  for (const step of job.steps) {
    for (const c of stepCommands(step)) {
      const role = commandRoles[c.command];
      if (role !== undefined) roles.add(role);
    }
    const uses = usesName(step.uses?.value ?? '');
    if (uses === 'actions/attest-build-provenance' || uses === 'actions/attest')
      roles.add('provenance-writer');
    // cosign signs and attests images and blobs (keyless with the job's OIDC token)
    if (uses === 'sigstore/cosign-installer' || /\bcosign\s+(sign|attest)\b/.test(step.run?.value ?? ''))
      roles.add('provenance-writer');
    if (step.run !== undefined && /\bgh\s+release\s+(create|upload|edit|delete)\b/.test(step.run.value))
      roles.add('release-operator');
    if (tokenPattern.test(stepText(step))) roles.add('release-operator');
  }
  // a call of slsa-github-generator's reusable workflows makes and signs provenance
  const called = usesName(job.uses?.value ?? '');
  if (/^slsa-framework\/slsa-github-generator\/\.github\/workflows\//.test(called))
    roles.add('provenance-writer');
  const order: RoleId[] = [
    'release-operator',
    'provenance-writer',
    'provenance-validator',
    'governance-auditor',
    'notifier',
    'ingester',
  ];
  return order.filter((r) => roles.has(r));
}

/**
 * True when the job attests a container image: attest with push-to-registry, a registry login or
 * push next to its signing, or a call of slsa-github-generator's container generator (which pushes
 * the attestation to the registry itself).
 */
export function attestsContainer(job: JobModel): boolean {
  if (
    usesName(job.uses?.value ?? '') ===
    'slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml'
  )
    return true;
  return job.steps.some((step) => {
    const uses = usesName(step.uses?.value ?? '');
    if (
      (uses === 'actions/attest-build-provenance' || uses === 'actions/attest') &&
      step.with['push-to-registry']
    )
      return true;
    return uses === 'docker/build-push-action' || uses === 'docker/login-action';
  });
}

/**
 * True when the job has a dispatch step that can dispatch with GITHUB_TOKEN: it does not use
 * PROVENANCE_DISPATCH_TOKEN, or it passes GITHUB_TOKEN as the fallback for an unset one.
 */
export function dispatchesWithGithubToken(job: JobModel): boolean {
  return job.steps.some(
    (s) =>
      isDispatchStep(s) &&
      (!tokenPattern.test(stepText(s)) ||
        /\$\{\{\s*(github\.token|secrets\.GITHUB_TOKEN)\s*\}\}/.test(stepText(s))),
  );
}
