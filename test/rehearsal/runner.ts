// Runs the shipped workflow files as GitHub Actions would, on this machine: parsed and converted
// by @actions/workflow-parser, expressions by @actions/expressions, jobs in `needs` order (with
// `if:` and the status functions), `run:` steps in bash with the GITHUB_OUTPUT / GITHUB_ENV /
// GITHUB_STEP_SUMMARY files, the project's own action from its `action/dist` with the exact `with:`
// inputs, third-party actions by the stand-ins in stand-ins.ts, concurrency groups as GitHub keeps
// them, environments with required reviewers, and `workflow_run` events when a run completes.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  asText,
  evaluate,
  evaluateCondition,
  evaluateStringMap,
  evaluateToken,
  type Contexts,
  type Json,
} from './expr.js';
import { identityToken, type World } from './world.js';
import {
  convertWorkflowTemplate,
  isBasicExpression,
  isMapping,
  isSequence,
  isString,
  NoOperationTraceWriter,
  parseWorkflow,
  type ActionStep,
  type Job,
  type ReusableWorkflowJob,
  type RunStep,
  type TemplateToken,
  type WorkflowJob,
} from './workflow-parser.js';

const debug = (message: string): void => {
  if (process.env.REHEARSAL_DEBUG === '1') process.stderr.write(`[rehearsal] ${message}\n`);
};

export type Conclusion = 'success' | 'failure' | 'cancelled' | 'skipped' | 'waiting';

export interface WorkflowEvent {
  readonly name: string;
  readonly payload: Record<string, Json>;
  /** refs/heads/… or refs/tags/… */
  readonly ref: string;
  readonly sha: string;
  readonly actor: string;
  readonly inputs?: Readonly<Record<string, string>>;
}

export interface JobRecord {
  readonly id: string;
  conclusion: Conclusion;
  outputs: Record<string, string>;
  readonly log: string[];
}

export interface RunRecord {
  readonly id: number;
  readonly workflowFile: string;
  readonly name: string;
  displayTitle: string;
  readonly event: WorkflowEvent;
  attempt: number;
  conclusion: Conclusion;
  readonly jobs: Map<string, JobRecord>;
}

interface ParsedWorkflow {
  /** the parsed template tree (the converter drops steps' `with:`, which we read from here) */
  readonly root: TemplateToken;
  readonly name: string;
  readonly runName: string | undefined;
  /** the workflow-level `env:`, evaluated per run (it may read `vars`, `github`, `inputs`) */
  readonly envToken: TemplateToken | undefined;
  readonly jobs: readonly WorkflowJob[];
  readonly raw: Record<string, unknown>;
}

/** Parses a workflow file as GitHub does; any schema error fails the run before it starts. */
export async function parseWorkflowFile(file: string, content: string): Promise<ParsedWorkflow> {
  const parsed = parseWorkflow({ name: file, content }, new NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors();
  if (errors.length > 0 || parsed.value === undefined) {
    throw new Error(`${file}: ${errors.map((e) => e.message).join('; ')}`);
  }
  const template = await convertWorkflowTemplate(parsed.context, parsed.value);
  if ((template.errors ?? []).length > 0) {
    throw new Error(`${file}: ${(template.errors ?? []).map((e) => e.Message).join('; ')}`);
  }
  // the converted template leaves out name and run-name: read them from the YAML itself
  const raw = parseYaml(content) as Record<string, unknown>;
  return {
    root: parsed.value,
    name: typeof raw.name === 'string' ? raw.name : file,
    runName: typeof raw['run-name'] === 'string' ? raw['run-name'] : undefined,
    envToken: template.env,
    jobs: template.jobs,
    raw,
  };
}

/** `${{ … }}` inside a plain string (run-name), evaluated. */
export function interpolate(text: string, contexts: Contexts): string {
  return text.replace(/\$\{\{([\s\S]*?)\}\}/g, (_, expr: string) => asText(evaluate(expr.trim(), contexts)));
}

/** Jobs in an order that respects `needs` (GitHub runs independent jobs in parallel; we run them in sequence). */
export function orderJobs(jobs: readonly WorkflowJob[]): WorkflowJob[] {
  const done = new Set<string>();
  const out: WorkflowJob[] = [];
  const pending = [...jobs];
  while (pending.length > 0) {
    const i = pending.findIndex((j) => (j.needs ?? []).every((n) => done.has(n.value)));
    if (i === -1) throw new Error(`a cycle in needs: ${pending.map((j) => j.id.value).join(', ')}`);
    const [job] = pending.splice(i, 1);
    out.push(job!);
    done.add(job!.id.value);
  }
  return out;
}

/** Parses a GITHUB_OUTPUT / GITHUB_ENV file: `name=value` lines and `name<<DELIM` heredocs. */
export function parseCommandFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc !== null) {
      const [, name, delim] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delim; i++) value.push(lines[i]!);
      if (i >= lines.length) throw new Error(`unterminated heredoc ${delim} for ${name}`);
      out[name!] = value.join('\n');
      continue;
    }
    const eq = line.indexOf('=');
    if (eq === -1) throw new Error(`malformed command-file line: ${line.slice(0, 40)}`);
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

export interface ProcessResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function runProcess(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: Record<string, string>; input?: string },
): Promise<ProcessResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) =>
      resolvePromise({
        code: code ?? 1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    // a process that exits without reading its input closes the pipe first (EPIPE): not an error
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** One job's run-time state, handed to the stand-ins. */
export interface JobContext {
  readonly world: World;
  readonly run: RunRecord;
  readonly jobId: string;
  readonly workspace: string;
  readonly token: string;
  readonly permissions: Readonly<Record<string, 'read' | 'write'>>;
  /** env every process of the job sees (GITHUB_*, RUNNER_*, PATH with the stand-in `gh`) */
  readonly baseEnv: Record<string, string>;
  /** set by actions/checkout with persist-credentials (the token git pushes with) */
  gitToken: string | undefined;
  readonly log: string[];
}

export interface StepResult {
  readonly outcome: 'success' | 'failure';
  readonly outputs: Record<string, string>;
}

export class WorkflowRunner {
  constructor(private readonly world: World) {}

  async run(file: string, event: WorkflowEvent, runId: number): Promise<RunRecord> {
    const world = this.world;
    const content = world.readRepoFile(event.sha, `.github/workflows/${file}`);
    const wf = await parseWorkflowFile(file, content);
    const run: RunRecord = {
      id: runId,
      workflowFile: file,
      name: wf.name,
      displayTitle: wf.name,
      event,
      attempt: 1,
      conclusion: 'success',
      jobs: new Map(),
    };
    world.runs.push(run);
    const github = this.githubContext(run, wf.name);
    const baseContexts: Record<string, Json> = {
      github,
      inputs: { ...(event.inputs ?? {}) },
      vars: { ...world.vars },
      secrets: {},
    };
    if (wf.runName !== undefined) run.displayTitle = interpolate(wf.runName, baseContexts);
    await this.runJobs(run, wf, baseContexts);
    return run;
  }

  /**
   * `gh run rerun --failed` ("Rerun only failed jobs, including dependencies"): the failed jobs and
   * every job that needs them, directly or not, run again in a new attempt; the others keep their
   * results and outputs (https://docs.github.com/actions/managing-workflow-runs-and-deployments/managing-workflow-runs/re-running-workflows-and-jobs).
   */
  async rerunFailed(run: RunRecord): Promise<RunRecord> {
    const content = this.world.readRepoFile(run.event.sha, `.github/workflows/${run.workflowFile}`);
    const wf = await parseWorkflowFile(run.workflowFile, content);
    run.attempt += 1;
    const again = new Set(
      [...run.jobs]
        .filter(([, j]) => j.conclusion === 'failure' || j.conclusion === 'cancelled')
        .map(([id]) => id),
    );
    for (let grew = true; grew;) {
      grew = false;
      for (const job of wf.jobs) {
        if (!again.has(job.id.value) && (job.needs ?? []).some((n) => again.has(n.value))) {
          again.add(job.id.value);
          grew = true;
        }
      }
    }
    const keep = new Map([...run.jobs].filter(([id]) => !again.has(id)));
    run.jobs.clear();
    for (const [k, v] of keep) run.jobs.set(k, v);
    run.conclusion = 'success';
    const github = this.githubContext(run, wf.name);
    await this.runJobs(
      run,
      wf,
      { github, inputs: { ...(run.event.inputs ?? {}) }, vars: { ...this.world.vars }, secrets: {} },
      true,
    );
    return run;
  }

  private githubContext(run: RunRecord, workflowName: string): Record<string, Json> {
    const world = this.world;
    const e = run.event;
    return {
      event_name: e.name,
      event: e.payload,
      ref: e.ref,
      ref_name: e.ref.replace(/^refs\/(heads|tags)\//, ''),
      ref_type: e.ref.startsWith('refs/tags/') ? 'tag' : 'branch',
      sha: e.sha,
      repository: world.api.fullName,
      repository_owner: world.api.repo.owner,
      run_id: String(run.id),
      run_attempt: String(run.attempt),
      actor: e.actor,
      workflow: workflowName,
      server_url: 'https://github.com',
      api_url: world.api.url,
      token: '',
    };
  }

  private async runJobs(
    run: RunRecord,
    wf: ParsedWorkflow,
    base: Record<string, Json>,
    rerun = false,
  ): Promise<void> {
    for (const job of orderJobs(wf.jobs)) {
      const id = job.id.value;
      if (rerun && run.jobs.has(id)) continue;
      const needs: Record<string, Json> = {};
      for (const n of job.needs ?? []) {
        const r = run.jobs.get(n.value);
        needs[n.value] = { result: r?.conclusion ?? 'skipped', outputs: r?.outputs ?? {} };
      }
      const needResults = (job.needs ?? []).map((n) => run.jobs.get(n.value)?.conclusion ?? 'skipped');
      const status = {
        failed: needResults.some((c) => c === 'failure' || c === 'cancelled'),
        cancelled: false,
      };
      const contexts = { ...base, needs, env: evaluateToken(wf.envToken, base) };
      const record: JobRecord = { id, conclusion: 'skipped', outputs: {}, log: [] };
      run.jobs.set(id, record);
      // a skipped need makes a job without a status function skip too (success() is false)
      const skippedNeed = needResults.some((c) => c === 'skipped');
      debug(
        `${run.name}#${run.id} job ${id}: if ${job.if === undefined ? '(none)' : isBasicExpression(job.if) ? job.if.expression : JSON.stringify(job.if)}`,
      );
      const ok = evaluateCondition(job.if, contexts, {
        failed: status.failed || skippedNeed,
        cancelled: false,
      });
      if (!ok) continue;
      debug(`${run.name}#${run.id} job ${id}: start`);
      record.conclusion = await this.runJob(run, wf, job, contexts, record);
      debug(
        `${run.name}#${run.id} job ${id}: ${record.conclusion}\n${record.log
          .join('\n')
          .split('\n')
          .map((l) => `    ${l}`)
          .join('\n')}`,
      );
      if (record.conclusion === 'failure' || record.conclusion === 'cancelled') run.conclusion = 'failure';
      if (record.conclusion === 'cancelled' && run.conclusion !== 'failure') run.conclusion = 'cancelled';
      if (record.conclusion === 'waiting') run.conclusion = 'waiting';
    }
    if ([...run.jobs.values()].some((j) => j.conclusion === 'cancelled')) {
      run.conclusion = [...run.jobs.values()].some((j) => j.conclusion === 'failure')
        ? 'failure'
        : 'cancelled';
    }
  }

  private permissionsOf(wf: ParsedWorkflow, jobId: string): Record<string, 'read' | 'write'> {
    const jobs = wf.raw.jobs as Record<string, { permissions?: unknown }>;
    const p = jobs[jobId]?.permissions ?? wf.raw.permissions;
    const out: Record<string, 'read' | 'write'> = {};
    if (p === 'write-all' || p === 'read-all') {
      for (const s of [
        'actions',
        'contents',
        'issues',
        'pull-requests',
        'id-token',
        'attestations',
        'packages',
      ])
        out[s] = p === 'write-all' ? 'write' : 'read';
      return out;
    }
    // no permissions anywhere: the repository default (read, as `init` asks users to set)
    if (p === undefined) return { contents: 'read', metadata: 'read' };
    for (const [k, v] of Object.entries(p as Record<string, string>))
      if (v === 'read' || v === 'write') out[k] = v;
    return out;
  }

  private async runJob(
    run: RunRecord,
    wf: ParsedWorkflow,
    job: WorkflowJob,
    contexts: Record<string, Json>,
    record: JobRecord,
  ): Promise<Conclusion> {
    const world = this.world;
    const id = job.id.value;
    await world.hooks.beforeJob?.(run, id);
    const permissions = this.permissionsOf(wf, id);
    const token = world.api.issueToken({
      kind: 'github-actions',
      login: 'github-actions[bot]',
      permissions,
      runId: run.id,
    });
    const secrets: Record<string, Json> = { ...world.secrets, GITHUB_TOKEN: token };
    const githubCtx = { ...(contexts.github as Record<string, Json>), token, job: id };
    let ctx: Record<string, Json> = { ...contexts, github: githubCtx, secrets };

    // environment protection: required reviewers hold the job until someone approves
    // (https://docs.github.com/actions/managing-workflow-runs-and-deployments/managing-deployments/managing-environments-for-deployment#required-reviewers)
    const envName = (wf.raw.jobs as Record<string, { environment?: unknown }>)[id]?.environment;
    if (typeof envName === 'string' && world.environments[envName]?.requiredReviewers === true) {
      if (!world.environments[envName].approve) {
        record.log.push(`environment ${envName}: waiting for a required reviewer`);
        return 'waiting';
      }
      record.log.push(`environment ${envName}: approved by a required reviewer`);
    }

    // concurrency: one running and one pending per group; a newer pending job cancels the older
    // (https://docs.github.com/actions/writing-workflows/choosing-what-your-workflow-does/control-the-concurrency-of-workflows-and-jobs)
    const concurrency = (wf.raw.jobs as Record<string, { concurrency?: { group?: string } | string }>)[id]
      ?.concurrency;
    const group = typeof concurrency === 'string' ? concurrency : concurrency?.group;
    let release: (() => void) | undefined;
    if (group !== undefined) {
      const slot = await world.concurrency.acquire(interpolate(group, ctx), `${run.name}#${run.id}/${id}`);
      if (slot === 'cancelled') {
        record.log.push(`concurrency ${group}: cancelled (a newer job took the pending slot)`);
        return 'cancelled';
      }
      release = slot;
    }
    try {
      if ((job as ReusableWorkflowJob).type === 'reusableWorkflowJob') {
        const rj = job as ReusableWorkflowJob;
        const inputs = evaluateStringMap(rj['input-values'], ctx);
        const result = await world.standins.reusableWorkflow(
          rj.ref.value,
          inputs,
          this.jobContext(world, run, id, token, permissions, record),
        );
        record.outputs = result.outputs;
        return result.outcome;
      }
      const j = job as Job;
      const workspace = join(world.root, 'runs', `${run.id}-${run.attempt}`, id);
      mkdirSync(workspace, { recursive: true });
      const jc = this.jobContext(world, run, id, token, permissions, record, workspace);
      const stepsCtx: Record<string, Json> = {};
      let jobEnv = { ...asMap(contexts.env ?? null), ...evaluateStringMap(j.env, ctx) };
      ctx = { ...ctx, env: jobEnv, steps: stepsCtx };
      let failed = false;
      for (const [stepIndex, step] of j.steps.entries()) {
        const s = step as RunStep | ActionStep;
        const stepId = s.id;
        ctx = { ...ctx, steps: stepsCtx, env: jobEnv };
        const run_ = evaluateCondition(s.if, ctx, { failed, cancelled: false });
        if (!run_) {
          stepsCtx[stepId] = { outcome: 'skipped', conclusion: 'skipped', outputs: {} };
          continue;
        }
        const stepEnv = { ...jobEnv, ...evaluateStringMap(s.env, ctx) };
        const files = {
          output: join(workspace, '..', `${id}.${stepId}.output`),
          env: join(workspace, '..', `${id}.${stepId}.env`),
          summary: join(workspace, '..', `${id}.summary.md`),
        };
        writeFileSync(files.output, '');
        writeFileSync(files.env, '');
        if (!existsSync(files.summary)) writeFileSync(files.summary, '');
        const env = {
          ...jc.baseEnv,
          ...Object.fromEntries(
            // an unset variable leaves the public-good route in place (the CLI's defaults)
            Object.entries(stepEnv).filter(
              ([k, v]) => !(v === '' && (k === 'SLSA_LEDGER_FULCIO_URL' || k === 'SLSA_LEDGER_REKOR_URL')),
            ),
          ),
          GITHUB_OUTPUT: files.output,
          GITHUB_ENV: files.env,
          GITHUB_STEP_SUMMARY: files.summary,
          ...(jc.gitToken === undefined ? {} : { REHEARSAL_GIT_TOKEN: jc.gitToken }),
        };
        let result: StepResult;
        if ('run' in s) {
          const script = isString(s.run) ? s.run.value : asText(evaluateToken(s.run, ctx));
          const path = join(workspace, '..', `${id}.${stepId}.sh`);
          writeFileSync(path, script);
          // GitHub's default shell on Linux: bash --noprofile --norc -eo pipefail {0}
          const p = await runProcess('bash', ['--noprofile', '--norc', '-eo', 'pipefail', path], {
            cwd: workspace,
            env,
          });
          record.log.push(`[${stepId}] $ ${script.split('\n')[0] ?? ''}\n${p.stdout}${p.stderr}`.trimEnd());
          result = {
            outcome: p.code === 0 ? 'success' : 'failure',
            outputs: parseCommandFile(readFileSync(files.output, 'utf8')),
          };
        } else {
          const uses = s.uses.value;
          const withInputs = evaluateStringMap(stepWith(wf.root, id, stepIndex), ctx);
          result = await world.standins.action(uses, withInputs, env, jc);
          // outputs a step set before failing are kept (the action sets error_code that way)
          if (existsSync(files.output)) {
            Object.assign(result.outputs, parseCommandFile(readFileSync(files.output, 'utf8')));
          }
        }
        const envAdds = parseCommandFile(readFileSync(files.env, 'utf8'));
        jobEnv = { ...jobEnv, ...envAdds };
        const continueOnError = s['continue-on-error'] === true;
        stepsCtx[stepId] = {
          outcome: result.outcome,
          conclusion: result.outcome === 'failure' && continueOnError ? 'success' : result.outcome,
          outputs: result.outputs,
        };
        if (result.outcome === 'failure' && !continueOnError) failed = true;
      }
      ctx = { ...ctx, steps: stepsCtx, env: jobEnv };
      record.outputs = evaluateStringMap(j.outputs, ctx);
      return failed ? 'failure' : 'success';
    } finally {
      release?.();
    }
  }

  private jobContext(
    world: World,
    run: RunRecord,
    jobId: string,
    token: string,
    permissions: Record<string, 'read' | 'write'>,
    record: JobRecord,
    workspace = join(world.root, 'runs', `${run.id}-${run.attempt}`, jobId),
  ): JobContext {
    mkdirSync(workspace, { recursive: true });
    const eventPath = join(workspace, '..', `${jobId}.event.json`);
    writeFileSync(eventPath, JSON.stringify(run.event.payload));
    const e = run.event;
    const baseEnv: Record<string, string> = {
      PATH: `${world.binDir}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: world.home,
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: workspace,
      GITHUB_REPOSITORY: world.api.fullName,
      GITHUB_REPOSITORY_OWNER: world.api.repo.owner,
      GITHUB_RUN_ID: String(run.id),
      GITHUB_RUN_ATTEMPT: String(run.attempt),
      GITHUB_SHA: e.sha,
      GITHUB_REF: e.ref,
      GITHUB_REF_NAME: e.ref.replace(/^refs\/(heads|tags)\//, ''),
      GITHUB_REF_TYPE: e.ref.startsWith('refs/tags/') ? 'tag' : 'branch',
      GITHUB_EVENT_NAME: e.name,
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_ACTOR: e.actor,
      GITHUB_WORKFLOW: run.name,
      GITHUB_JOB: jobId,
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_API_URL: world.api.url,
      RUNNER_OS: 'Linux',
      RUNNER_TEMP: join(workspace, '..', 'tmp'),
      REHEARSAL_API_URL: world.api.url,
      GIT_AUTHOR_NAME: 'github-actions[bot]',
      GIT_AUTHOR_EMAIL: '41898282+github-actions[bot]@users.noreply.github.com',
      GIT_COMMITTER_NAME: 'github-actions[bot]',
      GIT_COMMITTER_EMAIL: '41898282+github-actions[bot]@users.noreply.github.com',
    };
    if (permissions['id-token'] === 'write') {
      // slsa-ledger's own keyless signing (record, flush, validate --record) in a job with
      // `id-token: write`: GitHub hands such a job an OIDC token for audience sigstore
      // (https://docs.github.com/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect);
      // here the token comes ready in SIGSTORE_ID_TOKEN (the CLI's documented override of the
      // ACTIONS_ID_TOKEN_REQUEST_URL request), and the public-good instance is the local one.
      const ref = e.ref;
      baseEnv.SIGSTORE_ID_TOKEN = identityToken({
        jobWorkflowUri: `https://github.com/${world.api.fullName}/.github/workflows/${run.workflowFile}@${ref}`,
        callerWorkflowRef: `${world.api.fullName}/.github/workflows/${run.workflowFile}@${ref}`,
        repository: world.api.fullName,
        ref,
        sha: e.sha,
        runId: run.id,
      });
      // the route to Sigstore's public-good instance (the CLI's default URLs) is the local one; a
      // repository's own instance comes from vars.SLSA_LEDGER_FULCIO_URL/_REKOR_URL (the
      // workflows' env), which win when set
      baseEnv.SLSA_LEDGER_FULCIO_URL = world.publicSigstore.fulcioUrl;
      baseEnv.SLSA_LEDGER_REKOR_URL = world.publicSigstore.rekorUrl;
    }
    mkdirSync(baseEnv.RUNNER_TEMP!, { recursive: true });
    return {
      world,
      run,
      jobId,
      workspace,
      token,
      permissions,
      baseEnv,
      gitToken: undefined,
      log: record.log,
    };
  }
}

function asMap(value: Json): Record<string, string> {
  const out: Record<string, string> = {};
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) out[k] = asText(v);
  }
  return out;
}

/** The `with:` token of step `index` of job `jobId`, from the parsed template. */
function stepWith(root: TemplateToken, jobId: string, index: number): TemplateToken | undefined {
  if (!isMapping(root)) return undefined;
  const jobs = root.find('jobs');
  const job = jobs !== undefined && isMapping(jobs) ? jobs.find(jobId) : undefined;
  const steps = job !== undefined && isMapping(job) ? job.find('steps') : undefined;
  const step = steps !== undefined && isSequence(steps) ? steps.get(index) : undefined;
  return step !== undefined && isMapping(step) ? step.find('with') : undefined;
}

export function appendSummary(path: string, text: string): void {
  appendFileSync(path, text);
}

export { isBasicExpression };
