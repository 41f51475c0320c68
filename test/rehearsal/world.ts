// One rehearsal world: a repository set up by `slsa-ledger init` and pushed to a local bare remote
// (its pre-receive hook asks the GitHub stand-in whether the pusher may push), the GitHub API
// stand-in, a Slack receiver, two local Sigstores (public good, and GitHub's own instance for
// private repositories), the workflow-artifact store and the event loop that starts runs.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { startLocalSigstore, type LocalSigstore } from '../support/sigstore-mock.js';
import type { Json } from './expr.js';
import { GithubStandin, type DispatchRequest, type Ruleset } from './github-standin.js';
import {
  runProcess,
  WorkflowRunner,
  type ProcessResult,
  type RunRecord,
  type WorkflowEvent,
} from './runner.js';
import { StandIns } from './stand-ins.js';

export const packageRoot = fileURLToPath(new URL('../../', import.meta.url));
const binSource = fileURLToPath(new URL('./bin/', import.meta.url));

export interface WorldOptions {
  readonly defaultBranch?: string;
  readonly private?: boolean;
  readonly slack?: boolean;
  /** `secrets.SLSA_LEDGER_DATABASE_URL` for the ingest (a fresh Postgres database) */
  readonly databaseUrl?: string;
  /** rulesets (the default branch is always protected, as the issue's repository is) */
  readonly extraRulesets?: readonly Ruleset[];
  readonly immutableReleases?: boolean;
  /** `slsa-ledger init` flags */
  readonly initArgs?: readonly string[];
  /** the build the repository's Makefile runs (`make dist`) */
  readonly makefile?: string;
  /** the `release` environment's required reviewer approves (default) or never does */
  readonly approveRelease?: boolean;
  /** GitHub sets the variable PROVENANCE_DISPATCH_TOKEN_ROTATED_AT */
  readonly rotatedAt?: string;
}

interface ConcurrencyGroup {
  running: boolean;
  pending: { start: (slot: (() => void) | 'cancelled') => void } | undefined;
}

/** GitHub's concurrency groups: one running and at most one pending job; a newer pending cancels the older. */
export class Concurrency {
  private readonly groups = new Map<string, ConcurrencyGroup>();
  readonly cancelled: string[] = [];

  acquire(group: string, who: string): Promise<(() => void) | 'cancelled'> {
    const g = this.groups.get(group) ?? { running: false, pending: undefined };
    this.groups.set(group, g);
    const release = (): void => {
      const next = g.pending;
      g.pending = undefined;
      if (next === undefined) g.running = false;
      else next.start(release);
    };
    if (!g.running) {
      g.running = true;
      return Promise.resolve(release);
    }
    return new Promise((resolvePromise) => {
      if (g.pending !== undefined) {
        this.cancelled.push(`${group}: an older pending job was cancelled for ${who}`);
        g.pending.start('cancelled');
      }
      g.pending = { start: resolvePromise };
    });
  }
}

export interface Artifact {
  readonly id: number;
  readonly files: Map<string, Buffer>;
}

export class World {
  readonly root: string;
  readonly bare: string;
  readonly home: string;
  readonly binDir: string;
  readonly api: GithubStandin;
  readonly runner: WorkflowRunner;
  readonly standins: StandIns;
  readonly concurrency = new Concurrency();
  readonly runs: RunRecord[] = [];
  readonly attestations: { repository: string; bundle: string }[] = [];
  readonly slackMessages: string[] = [];
  get pushRefusals(): readonly string[] {
    return this.api.pushRefusals;
  }
  readonly vars: Record<string, string> = {};
  /** GitHub Apps installed on the repository, by client ID */
  readonly apps = new Map<
    string,
    { login: string; privateKey: string; permissions: Record<string, 'read' | 'write'> }
  >();
  readonly secrets: Record<string, string> = {};
  readonly environments: Record<string, { requiredReviewers: boolean; approve: boolean }> = {};
  nextArtifactId = 500;
  /** scenario hooks: an outsider acting between two jobs */
  readonly hooks: { beforeJob?: (run: RunRecord, jobId: string) => Promise<void> | void } = {};
  publicSigstore!: LocalSigstore;
  githubSigstore!: LocalSigstore;
  private readonly artifacts = new Map<number, Map<string, Artifact>>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private slackServer: Server | undefined;
  readonly defaultBranch: string;
  /** a user's token (contents: write) for pushes made by people */
  userToken = '';

  constructor(readonly options: WorldOptions = {}) {
    this.root = mkdtempSync(join(tmpdir(), 'slsa-ledger-rehearsal-'));
    this.bare = join(this.root, 'origin.git');
    this.home = join(this.root, 'home');
    this.binDir = join(this.root, 'bin');
    this.defaultBranch = options.defaultBranch ?? 'main';
    this.api = new GithubStandin(
      {
        owner: 'acme',
        name: 'app',
        private: options.private === true,
        defaultBranch: this.defaultBranch,
        immutableReleases: options.immutableReleases ?? true,
        rulesets: [{ branches: [this.defaultBranch], bypassApps: [] }, ...(options.extraRulesets ?? [])],
        workflows: [],
        tagExists: (tag) =>
          this.git(['rev-parse', '--verify', '--quiet', `refs/tags/${tag}`], this.bare, true).code === 0,
      },
      (request, runId) => this.onDispatch(request, runId),
    );
    this.runner = new WorkflowRunner(this);
    this.standins = new StandIns(this);
  }

  async start(): Promise<void> {
    mkdirSync(this.home, { recursive: true });
    mkdirSync(this.binDir, { recursive: true });
    writeFileSync(
      join(this.binDir, 'gh'),
      `#!/bin/sh\nexec "${process.execPath}" "${join(binSource, 'gh.mjs')}" "$@"\n`,
    );
    chmodSync(join(this.binDir, 'gh'), 0o755);
    await this.api.start();
    this.publicSigstore = await startLocalSigstore();
    this.githubSigstore = await startLocalSigstore();
    if (this.options.slack !== false) {
      this.slackServer = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          // https://api.slack.com/messaging/webhooks: POST JSON with `text` to the secret path → 200 ok
          let text: unknown;
          try {
            text = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { text?: unknown }).text;
          } catch {
            text = undefined;
          }
          if (
            req.url !== '/services/T0REHEARSE/B0REHEARSE/rehearsalwebhooksecret' ||
            typeof text !== 'string'
          ) {
            res
              .writeHead(req.url?.startsWith('/services/') ? 400 : 404)
              .end(req.url?.startsWith('/services/') ? 'invalid_payload' : 'no_service');
            return;
          }
          this.slackMessages.push(text);
          res.writeHead(200).end('ok');
        });
      });
      await new Promise<void>((r) => this.slackServer!.listen(0, '127.0.0.1', r));
      const port = (this.slackServer.address() as AddressInfo).port;
      this.secrets.SLACK_WEBHOOK_URL = `http://127.0.0.1:${port}/services/T0REHEARSE/B0REHEARSE/rehearsalwebhooksecret`;
    }
    if (this.options.databaseUrl !== undefined)
      this.secrets.SLSA_LEDGER_DATABASE_URL = this.options.databaseUrl;
    if (this.options.rotatedAt !== undefined)
      this.vars.PROVENANCE_DISPATCH_TOKEN_ROTATED_AT = this.options.rotatedAt;
    this.environments.release = { requiredReviewers: true, approve: this.options.approveRelease !== false };
    this.userToken = this.api.issueToken({
      kind: 'pat',
      login: 'release-manager',
      admin: true,
      permissions: { contents: 'write', actions: 'write', issues: 'write' },
    });
    await this.setUpRepository();
  }

  async close(): Promise<void> {
    await this.api.close();
    await this.publicSigstore?.close();
    await this.githubSigstore?.close();
    await new Promise<void>((r) => this.slackServer?.close(() => r()) ?? r());
    rmSync(this.root, { recursive: true, force: true });
  }

  git(
    args: readonly string[],
    cwd: string,
    allowFail = false,
    env: Record<string, string> = {},
  ): ProcessResult {
    try {
      const stdout = execFileSync('git', args, {
        cwd,
        env: {
          ...process.env,
          HOME: this.home,
          GIT_TERMINAL_PROMPT: '0',
          REHEARSAL_API_URL: this.api.url,
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      }).toString('utf8');
      return { code: 0, stdout, stderr: '' };
    } catch (error) {
      const e = error as { status?: number; stdout?: Buffer; stderr?: Buffer };
      if (!allowFail) throw new Error(`git ${args.join(' ')}: ${e.stderr?.toString() ?? ''}`);
      return { code: e.status ?? 1, stdout: e.stdout?.toString() ?? '', stderr: e.stderr?.toString() ?? '' };
    }
  }

  /** A git command that may push: asynchronous, since the pre-receive hook calls this process's API stand-in. */
  async gitPush(args: readonly string[], cwd: string): Promise<void> {
    const r = await runProcess('git', args, {
      cwd,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: this.home,
        GIT_TERMINAL_PROMPT: '0',
        REHEARSAL_API_URL: this.api.url,
        REHEARSAL_GIT_TOKEN: this.userToken,
      },
    });
    if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  }

  /** `slsa-ledger init` into a fresh repository, a Makefile build, pushed as the default branch. */
  private async setUpRepository(): Promise<void> {
    writeFileSync(
      join(this.home, '.gitconfig'),
      '[user]\n\tname = Release Manager\n\temail = rm@acme.example\n[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n[tag]\n\tgpgsign = false\n',
    );
    this.git(['init', '--quiet', '--bare', `--initial-branch=${this.defaultBranch}`, this.bare], this.root);
    cpSync(join(binSource, 'pre-receive.hook'), join(this.bare, 'hooks', 'pre-receive'));
    chmodSync(join(this.bare, 'hooks', 'pre-receive'), 0o755);
    const work = join(this.root, 'work');
    this.git(['init', '--quiet', `--initial-branch=${this.defaultBranch}`, work], this.root);
    const init = await runProcess(process.execPath, [join(packageRoot, 'action/dist/index.js')], {
      cwd: work,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: this.home,
        INPUT_COMMAND: 'init',
        // the trust: policy names this repository's writer workflows (a fresh clone has no origin
        // yet: the repository is named; the default branch init reads from the clone, as a user's)
        INPUT_ARGS: ['--dir', '.', '--repository', this.api.fullName, ...(this.options.initArgs ?? [])]
          .map((a) => `'${a}'`)
          .join(' '),
      },
    });
    if (init.code !== 0) throw new Error(`slsa-ledger init failed: ${init.stdout}${init.stderr}`);
    writeFileSync(
      join(work, 'Makefile'),
      this.options.makefile ??
        'dist:\n\tmkdir -p dist\n\tprintf "app %s\\n" "$$(git describe --tags --always)" > dist/app.txt\n\ttar -czf dist/app.tar.gz --mtime=@0 Makefile\n.PHONY: dist\n',
    );
    this.git(['add', '-A'], work);
    this.git(['commit', '--quiet', '-m', 'slsa-ledger init'], work);
    this.git(['remote', 'add', 'origin', this.bare], work);
    await this.gitPush(['push', '--quiet', 'origin', `HEAD:refs/heads/${this.defaultBranch}`], work);
    // the repository's workflow files, as the dispatch endpoint knows them
    const files = this.git(
      ['ls-tree', '--name-only', `${this.defaultBranch}`, '.github/workflows/'],
      this.bare,
    )
      .stdout.split('\n')
      .filter(Boolean);
    this.api.repo.workflows = files.map((f) => f.replace('.github/workflows/', ''));
  }

  readRepoFile(ref: string, path: string): string {
    return this.git(['show', `${ref}:${path}`], this.bare).stdout;
  }

  headOf(branch: string): string {
    return this.git(['rev-parse', `refs/heads/${branch}`], this.bare).stdout.trim();
  }

  artifactsOf(runId: number): Map<string, Artifact> {
    let m = this.artifacts.get(runId);
    if (m === undefined) this.artifacts.set(runId, (m = new Map()));
    return m;
  }

  /** Signs with `slsa-ledger attest` (the action bundle) against a local Sigstore, as a workflow identity. */
  attestWith(
    sigstore: LocalSigstore,
    o: {
      files?: readonly string[];
      subjectsFrom?: string;
      out: string;
      format: 'bundle' | 'dsse';
      workflowUri: string;
      builderId?: string;
      ref: string;
      sha: string;
      cwd: string;
      /** the workflow run of the job that signs: its certificate and its predicate name it */
      runId: number;
    },
  ): Promise<ProcessResult> {
    const token = identityToken({
      runId: o.runId,
      jobWorkflowUri: o.workflowUri,
      // the top-level workflow of the run (a reusable workflow's caller)
      callerWorkflowRef: `${this.api.fullName}/.github/workflows/slsa-provenance.yml@${o.ref}`,
      repository: this.api.fullName,
      ref: o.ref,
      sha: o.sha,
    });
    const args = [
      ...(o.files ?? []).map((f) => `'${f}'`),
      ...(o.subjectsFrom === undefined ? [] : ['--subjects-from', `'${o.subjectsFrom}'`]),
      '--sigstore',
      '--fulcio-url',
      sigstore.fulcioUrl,
      '--rekor-url',
      sigstore.rekorUrl,
      '--format',
      o.format,
      '--out',
      `'${o.out}'`,
      '--repository',
      `https://github.com/${this.api.fullName}`,
      '--ref',
      o.ref,
      '--sha',
      o.sha,
      '--workflow-path',
      '.github/workflows/slsa-provenance.yml',
      '--run-id',
      String(o.runId),
      '--run-attempt',
      '1',
      '--event-name',
      'workflow_dispatch',
      ...(o.builderId === undefined ? [] : ['--builder-id', o.builderId]),
    ];
    return runProcess(process.execPath, [join(packageRoot, 'action/dist/index.js')], {
      cwd: o.cwd,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: this.home,
        SIGSTORE_ID_TOKEN: token,
        INPUT_COMMAND: 'attest',
        INPUT_ARGS: args.join(' '),
      },
    });
  }

  /** A trusted_root.json for a Sigstore, committed into the repository by a person (a variable names it). */
  async commitTrustedRoot(sigstore: LocalSigstore, path = '.github/trusted_root.json'): Promise<void> {
    const work = join(this.root, 'work');
    this.git(['pull', '--quiet', '--ff-only', 'origin', this.defaultBranch], work);
    mkdirSync(join(work, '.github'), { recursive: true });
    writeFileSync(join(work, path), `${JSON.stringify(sigstore.trustedRoot, null, 2)}\n`);
    this.git(['add', path], work);
    this.git(['commit', '--quiet', '-m', 'trust the Sigstore instance'], work);
    // the default branch is protected: an admin (a bypass actor of the ruleset) pushes
    await this.gitPush(['push', '--quiet', 'origin', `HEAD:refs/heads/${this.defaultBranch}`], work);
    this.vars.SLSA_LEDGER_TRUSTED_ROOT = path;
  }

  /**
   * The README's fix for a ledger branch under a ruleset ("Ledger writer and branch protection"): a
   * GitHub App with Contents read and write, its client ID and key as a variable and a secret, and
   * in each writer job an `actions/create-github-app-token` step whose token the checkout persists.
   * An admin commits the edited workflows to the default branch.
   */
  async useLedgerApp(login: string): Promise<void> {
    const clientId = 'Iv23liREHEARSAL';
    const privateKey = '-----BEGIN RSA PRIVATE KEY-----\nrehearsal\n-----END RSA PRIVATE KEY-----';
    this.apps.set(clientId, { login, privateKey, permissions: { contents: 'write', metadata: 'read' } });
    this.vars.SLSA_LEDGER_APP_CLIENT_ID = clientId;
    this.secrets.SLSA_LEDGER_APP_PRIVATE_KEY = privateKey;
    const work = join(this.root, 'work');
    this.git(['pull', '--quiet', '--ff-only', 'origin', this.defaultBranch], work);
    let edited = 0;
    for (const file of this.api.repo.workflows) {
      const path = join(work, '.github/workflows', file);
      const text = readFileSync(path, 'utf8');
      // the README's snippet, before each writer job's checkout (the one that keeps its credentials)
      const next = text.replace(
        /^( +)- uses: (actions\/checkout@\S+ # \S+)\n +with:\n +persist-credentials: true\n/gm,
        (_all, indent: string, checkout: string) =>
          [
            `${indent}- uses: actions/create-github-app-token@1b10c78c7865c340bc4f6099eb2f838309f1e8c3 # v3.1.1`,
            `${indent}  id: app`,
            `${indent}  with:`,
            `${indent}    client-id: \${{ vars.SLSA_LEDGER_APP_CLIENT_ID }}`,
            `${indent}    private-key: \${{ secrets.SLSA_LEDGER_APP_PRIVATE_KEY }}`,
            `${indent}    permission-contents: write`,
            `${indent}- uses: ${checkout}`,
            `${indent}  with:`,
            `${indent}    token: \${{ steps.app.outputs.token }}`,
            `${indent}    persist-credentials: true`,
            '',
          ].join('\n'),
      );
      if (next !== text) {
        writeFileSync(path, next);
        edited++;
      }
    }
    if (edited === 0) throw new Error('no writer job to give the App token');
    this.git(['commit', '--quiet', '-am', 'ledger writers push as the slsa-ledger App'], work);
    await this.gitPush(['push', '--quiet', 'origin', `HEAD:refs/heads/${this.defaultBranch}`], work);
  }

  /** A person tags the default branch's head and pushes the tag: the `push` event (tags) starts release.yml. */
  async pushTag(tag: string): Promise<void> {
    const work = join(this.root, 'work');
    this.git(['fetch', '--quiet', 'origin'], work);
    this.git(['tag', '-a', tag, '-m', tag, `origin/${this.defaultBranch}`], work);
    await this.gitPush(['push', '--quiet', 'origin', `refs/tags/${tag}`], work);
    const sha = this.git(['rev-parse', `${tag}^{commit}`], work).stdout.trim();
    await this.triggerPush(`refs/tags/${tag}`, sha);
  }

  /**
   * A person (an admin: the ledger branch is under no ruleset) edits a day file on the ledger
   * branch by hand and pushes it, as the drift guard must notice.
   */
  async pushLedgerEdit(edit: (manifest: string) => string, branch = 'slsa-ledger'): Promise<void> {
    const work = join(this.root, 'ledger-edit');
    rmSync(work, { recursive: true, force: true });
    this.git(['clone', '--quiet', '--branch', branch, this.bare, work], this.root);
    const file = this.git(['ls-files', 'docs/reports/*/manifest.json'], work).stdout.split('\n')[0];
    if (file === undefined || file === '') throw new Error(`no day file on ${branch}`);
    writeFileSync(join(work, file), edit(readFileSync(join(work, file), 'utf8')));
    this.git(['commit', '--quiet', '-am', 'fix a typo'], work);
    await this.gitPush(['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`], work);
    const sha = this.git(['rev-parse', 'HEAD'], work).stdout.trim();
    await this.triggerPush(`refs/heads/${branch}`, sha);
  }

  /**
   * A person who can push tries to rewrite the ledger branch: `force` pushes it back to its parent
   * (dropping the last change), `merge` pushes a merge commit whose first parent is that rewritten
   * line and whose second is the old head (a fast-forward, no force needed), `delete` deletes the
   * branch. Returns the remote's refusal, or null when the push went through.
   */
  async tryLedgerRewrite(kind: 'force' | 'merge' | 'delete', branch = 'slsa-ledger'): Promise<string | null> {
    const work = join(this.root, `ledger-rewrite-${kind}`);
    rmSync(work, { recursive: true, force: true });
    this.git(['clone', '--quiet', '--branch', branch, this.bare, work], this.root);
    const head = this.git(['rev-parse', 'HEAD'], work).stdout.trim();
    let args: string[];
    if (kind === 'delete') args = ['push', '--quiet', 'origin', `:refs/heads/${branch}`];
    else {
      this.git(['reset', '--quiet', '--hard', 'HEAD~1'], work);
      if (kind === 'merge') {
        this.git(['commit', '--quiet', '--allow-empty', '-m', 'rewritten line'], work);
        this.git(['merge', '--quiet', '--no-ff', '-s', 'ours', '-m', 'merge', head], work);
      }
      args = [
        'push',
        '--quiet',
        ...(kind === 'force' ? ['--force'] : []),
        'origin',
        `HEAD:refs/heads/${branch}`,
      ];
    }
    try {
      await this.gitPush(args, work);
      return null;
    } catch (error) {
      return (error as Error).message;
    }
  }

  /** workflow runs started by `push` events (none for a push to the ledger branch: it holds no workflows) */
  readonly pushRuns: string[] = [];

  private triggerPush(ref: string, sha: string): Promise<void> {
    const starts: Promise<unknown>[] = [];
    for (const file of this.api.repo.workflows) {
      // https://docs.github.com/actions/writing-workflows/choosing-when-your-workflow-runs/triggering-a-workflow:
      // GitHub looks for workflow files in the pushed commit and runs that version of them
      if (this.git(['cat-file', '-e', `${sha}:.github/workflows/${file}`], this.bare, true).code !== 0)
        continue;
      const on = this.triggersOf(sha, file);
      const push = on.push as { tags?: string[]; branches?: string[] } | undefined;
      if (push === undefined) continue;
      const name = ref.replace(/^refs\/(tags|heads)\//, '');
      const patterns = ref.startsWith('refs/tags/') ? push.tags : push.branches;
      if (patterns === undefined || !patterns.some((p) => globMatch(p, name))) continue;
      this.pushRuns.push(`${file} on ${ref}`);
      starts.push(
        this.startRun(file, {
          name: 'push',
          ref,
          sha,
          actor: 'release-manager',
          payload: { ref, after: sha, repository: this.repositoryPayload() },
        }),
      );
    }
    return Promise.all(starts).then(() => undefined);
  }

  private triggersOf(ref: string, file: string): Record<string, unknown> {
    const raw = parseYaml(this.readRepoFile(ref, `.github/workflows/${file}`)) as { on?: unknown };
    const on = raw.on;
    if (typeof on === 'string') return { [on]: {} };
    if (Array.isArray(on)) return Object.fromEntries(on.map((e) => [e, {}]));
    return (on ?? {}) as Record<string, unknown>;
  }

  repositoryPayload(): Record<string, Json> {
    return {
      full_name: this.api.fullName,
      private: this.api.repo.private,
      default_branch: this.defaultBranch,
    };
  }

  private onDispatch(request: DispatchRequest, runId: number): void {
    const ref = request.ref.startsWith('refs/')
      ? request.ref
      : this.api.repo.tagExists(request.ref)
        ? `refs/tags/${request.ref}`
        : `refs/heads/${request.ref}`;
    const sha = this.git(['rev-parse', `${ref}^{commit}`], this.bare).stdout.trim();
    void this.startRun(
      request.workflow,
      {
        name: 'workflow_dispatch',
        ref,
        sha,
        actor: request.token.login,
        inputs: request.inputs,
        payload: { inputs: request.inputs, ref, repository: this.repositoryPayload() },
      },
      runId,
    );
  }

  /** Starts a run; when it completes, the `workflow_run` workflows listening for it start. */
  startRun(file: string, event: WorkflowEvent, runId = this.api.allocateRunId()): Promise<RunRecord> {
    const p = this.runner.run(file, event, runId).then(async (run) => {
      await this.afterRun(run);
      return run;
    });
    this.track(p);
    return p;
  }

  /** `gh run rerun --failed` of a run. */
  rerunFailed(run: RunRecord): Promise<RunRecord> {
    const p = this.runner.rerunFailed(run).then(async (r) => {
      await this.afterRun(r);
      return r;
    });
    this.track(p);
    return p;
  }

  /** runs that could not start or broke in the runner (a workflow GitHub would refuse, a stand-in bug) */
  readonly errors: string[] = [];

  private track(p: Promise<unknown>): void {
    this.inFlight.add(p);
    void p
      .catch((error: unknown) => {
        this.errors.push((error as Error).message);
      })
      .finally(() => this.inFlight.delete(p));
  }

  private async afterRun(run: RunRecord): Promise<void> {
    if (run.conclusion === 'waiting') return;
    // https://docs.github.com/actions/writing-workflows/choosing-when-your-workflow-runs/events-that-trigger-workflows#workflow_run:
    // the workflow file on the default branch runs
    const head = this.headOf(this.defaultBranch);
    const starts: Promise<unknown>[] = [];
    for (const file of this.api.repo.workflows) {
      const on = this.triggersOf(head, file);
      const wr = on.workflow_run as { workflows?: string[]; types?: string[] } | undefined;
      if (wr === undefined || !(wr.workflows ?? []).includes(run.name)) continue;
      if (wr.types !== undefined && !wr.types.includes('completed')) continue;
      starts.push(
        this.startRun(file, {
          name: 'workflow_run',
          ref: `refs/heads/${this.defaultBranch}`,
          sha: head,
          actor: run.event.actor,
          payload: {
            action: 'completed',
            workflow_run: {
              id: run.id,
              name: run.name,
              display_title: run.displayTitle,
              conclusion: run.conclusion,
              event: run.event.name,
              // a dispatched run's head_branch is the ref it was started on
              head_branch: run.event.ref.replace(/^refs\/(heads|tags)\//, ''),
              head_sha: run.event.sha,
              html_url: `https://github.com/${this.api.fullName}/actions/runs/${run.id}`,
              run_attempt: run.attempt,
              actor: { login: run.event.actor },
              head_repository: { full_name: this.api.fullName },
            },
            repository: this.repositoryPayload(),
          },
        }),
      );
    }
    await Promise.all(starts);
  }

  /** Waits until no run is in flight (dispatches and workflow_run events included). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** A scheduled run (`on.schedule`) of a workflow, on the default branch. */
  schedule(file: string): Promise<RunRecord> {
    const head = this.headOf(this.defaultBranch);
    return this.startRun(file, {
      name: 'schedule',
      ref: `refs/heads/${this.defaultBranch}`,
      sha: head,
      actor: 'github-actions[bot]',
      payload: { schedule: '17 * * * *', repository: this.repositoryPayload() },
    });
  }

  /** The ledger's entries on a branch of the remote (every day file). */
  ledgerEntries(branch: string): Record<string, Json>[] {
    const ls = this.git(
      ['ls-tree', '-r', '--name-only', `refs/heads/${branch}`, 'docs/reports'],
      this.bare,
      true,
    );
    if (ls.code !== 0) return [];
    return ls.stdout
      .split('\n')
      .filter((f) => f.endsWith('/manifest.json'))
      .flatMap((f) => JSON.parse(this.readRepoFile(`refs/heads/${branch}`, f)) as Record<string, Json>[]);
  }

  /** Queued entries on the provenance-queue branch and in the artifacts named queued-*. */
  queuedOnBranch(): number {
    const ls = this.git(['ls-tree', '-r', '--name-only', 'refs/heads/provenance-queue'], this.bare, true);
    if (ls.code !== 0) return 0;
    return ls.stdout
      .split('\n')
      .filter((f) => f.endsWith('manifest-queue.json'))
      .reduce(
        (n, f) => n + (JSON.parse(this.readRepoFile('refs/heads/provenance-queue', f)) as unknown[]).length,
        0,
      );
  }
}

/**
 * A GitHub Actions OIDC token for the local Fulcio (unsigned: the mock decodes without verifying).
 * As GitHub issues them (https://docs.github.com/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect#understanding-the-oidc-token):
 * `job_workflow_ref` is the workflow whose job runs (a reusable workflow's own path: the
 * certificate SAN) and `workflow_ref` the run's top-level workflow (the caller: the certificate's
 * Build Config URI).
 */
export function identityToken(c: {
  jobWorkflowUri: string;
  callerWorkflowRef: string;
  repository: string;
  ref: string;
  sha: string;
  /** the workflow run the job belongs to (GitHub's `run_id` claim; Fulcio's run invocation URI) */
  runId: number;
  runAttempt?: number;
}): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    iss: 'https://token.actions.githubusercontent.com',
    sub: c.jobWorkflowUri,
    aud: 'sigstore',
    repository: c.repository,
    repository_owner: c.repository.split('/')[0],
    ref: c.ref,
    sha: c.sha,
    event_name: 'workflow_dispatch',
    job_workflow_ref: c.jobWorkflowUri.replace(/^https:\/\/github\.com\//, ''),
    job_workflow_sha: c.sha,
    workflow_ref: c.callerWorkflowRef,
    workflow_sha: c.sha,
    runner_environment: 'github-hosted',
    run_id: String(c.runId),
    run_attempt: String(c.runAttempt ?? 1),
    exp: now + 600,
    iat: now,
  };
  const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
}

function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^$()|[\]\\]/g, '\\$&')
      .replace(/\*\*/g, '.*')
      .replace(/(?<!\.)\*/g, '[^/]*')}$`,
  );
  return re.test(name);
}

export function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}
