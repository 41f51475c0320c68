// Third-party actions and reusable workflows, by small stand-ins that do what each one's docs say
// it does (and refuses what they say it refuses). The project's own action is not a stand-in: it
// runs from the workspace's `.github/actions/slsa-ledger/action/dist` as the runner runs node
// actions (`runs.using: node24`, inputs as INPUT_<NAME>).
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { githubIdentityToken } from '../support/sigstore-mock.js';
import { runProcess, type JobContext, type StepResult } from './runner.js';
import type { World } from './world.js';

const fail = (jc: JobContext, message: string): StepResult => {
  jc.log.push(`::error::${message}`);
  return { outcome: 'failure', outputs: {} };
};

/** Files under `path` (a file, a directory, or a simple glob `dir/*`), relative names kept. */
function collect(workspace: string, path: string): { root: string; files: string[] } {
  const full = join(workspace, path.replace(/\/\*$/, ''));
  if (!existsSync(full)) return { root: full, files: [] };
  if (statSync(full).isFile()) return { root: dirname(full), files: [basename(full)] };
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) files.push(relative(full, p));
    }
  };
  walk(full);
  return { root: full, files: files.sort() };
}

export class StandIns {
  constructor(private readonly world: World) {}

  async action(
    uses: string,
    inputs: Record<string, string>,
    env: Record<string, string>,
    jc: JobContext,
  ): Promise<StepResult> {
    if (uses.startsWith('./')) return this.localAction(uses, inputs, env, jc);
    const name = uses.split('@')[0] ?? '';
    switch (name) {
      case 'actions/checkout':
        return this.checkout(inputs, jc);
      case 'actions/upload-artifact':
        return this.uploadArtifact(inputs, jc);
      case 'actions/download-artifact':
        return this.downloadArtifact(inputs, jc);
      case 'actions/attest-build-provenance':
        return this.attestBuildProvenance(inputs, jc);
      case 'actions/create-github-app-token':
        return this.createGithubAppToken(inputs, jc);
      default:
        return fail(jc, `no stand-in for ${uses}`);
    }
  }

  /** The project's own action, from the workspace, with the step's exact inputs. */
  private async localAction(
    uses: string,
    inputs: Record<string, string>,
    env: Record<string, string>,
    jc: JobContext,
  ): Promise<StepResult> {
    const dir = join(jc.workspace, uses);
    if (!existsSync(join(dir, 'action.yml'))) {
      // GitHub's own words for a local action without a checkout
      return fail(
        jc,
        `Can't find 'action.yml', 'action.yaml' or 'Dockerfile' under '${dir}'. Did you forget to run actions/checkout before running your local action?`,
      );
    }
    const meta = parseYaml(readFileSync(join(dir, 'action.yml'), 'utf8')) as {
      inputs?: Record<string, { default?: string }>;
      runs: { using: string; main: string };
    };
    if (!/^node\d+$/.test(meta.runs.using))
      return fail(jc, `${uses}: runs.using ${meta.runs.using} has no stand-in`);
    const inputEnv: Record<string, string> = {};
    for (const [k, spec] of Object.entries(meta.inputs ?? {})) {
      const v = inputs[k] ?? spec.default;
      if (v !== undefined) inputEnv[`INPUT_${k.replace(/ /g, '_').toUpperCase()}`] = v;
    }
    for (const k of Object.keys(inputs)) {
      if (!(k in (meta.inputs ?? {}))) jc.log.push(`::warning::Unexpected input '${k}' for ${uses}`);
    }
    const p = await runProcess(process.execPath, [join(dir, meta.runs.main)], {
      cwd: jc.workspace,
      env: { ...env, ...inputEnv },
    });
    jc.log.push(
      `[${uses} ${inputs.command ?? ''} ${inputs.args ?? ''}] exit ${p.code}\n${p.stdout}${p.stderr}`.trimEnd(),
    );
    return { outcome: p.code === 0 ? 'success' : 'failure', outputs: {} };
  }

  /**
   * actions/checkout (https://github.com/actions/checkout#usage): clones the repository at `ref`
   * (default: the event's sha) into the workspace; `persist-credentials` (default true) keeps the
   * token for later git commands in the job (here: the token the pre-receive hook sees).
   */
  private async checkout(inputs: Record<string, string>, jc: JobContext): Promise<StepResult> {
    const ref = inputs.ref || jc.run.event.sha;
    const env = { ...jc.baseEnv, GIT_TERMINAL_PROMPT: '0' };
    const clone = await runProcess(
      'git',
      ['clone', '--quiet', '--no-checkout', this.world.bare, jc.workspace],
      { cwd: this.world.root, env },
    );
    if (clone.code !== 0) return fail(jc, `checkout: ${clone.stderr}`);
    const co = await runProcess('git', ['checkout', '--quiet', '--detach', ref], { cwd: jc.workspace, env });
    if (co.code !== 0) return fail(jc, `checkout of ${ref}: ${co.stderr}`);
    await runProcess('git', ['config', 'user.name', 'github-actions[bot]'], { cwd: jc.workspace, env });
    await runProcess(
      'git',
      ['config', 'user.email', '41898282+github-actions[bot]@users.noreply.github.com'],
      { cwd: jc.workspace, env },
    );
    // `token` (default: the job's GITHUB_TOKEN) is the one persisted for git
    if ((inputs['persist-credentials'] ?? 'true') !== 'false') jc.gitToken = inputs.token || jc.token;
    return {
      outcome: 'success',
      outputs: {
        ref,
        commit: (await runProcess('git', ['rev-parse', 'HEAD'], { cwd: jc.workspace, env })).stdout.trim(),
      },
    };
  }

  /**
   * actions/upload-artifact v4+ (https://github.com/actions/upload-artifact#usage): an artifact's
   * name is unique within a run and cannot be uploaded twice unless `overwrite: true` ("Uploading
   * to the same named Artifact multiple times ... is not possible"); `if-no-files-found` warn by
   * default, error or ignore.
   */
  private uploadArtifact(inputs: Record<string, string>, jc: JobContext): StepResult {
    const name = inputs.name || 'artifact';
    const { root, files } = collect(jc.workspace, inputs.path ?? '');
    if (files.length === 0) {
      const mode = inputs['if-no-files-found'] ?? 'warn';
      if (mode === 'error')
        return fail(jc, `No files were found with the provided path: ${inputs.path ?? ''}`);
      jc.log.push(
        `::warning::No files were found with the provided path: ${inputs.path ?? ''}. No artifacts will be uploaded.`,
      );
      return { outcome: 'success', outputs: {} };
    }
    const store = this.world.artifactsOf(jc.run.id);
    if (store.has(name) && inputs.overwrite !== 'true') {
      return fail(
        jc,
        `Failed to CreateArtifact: Received non-retryable error: Failed request: (409) Conflict: an artifact with this name already exists on the workflow run`,
      );
    }
    const id = this.world.nextArtifactId++;
    store.set(name, { id, files: new Map(files.map((f) => [f, readFileSync(join(root, f))])) });
    return {
      outcome: 'success',
      outputs: {
        'artifact-id': String(id),
        'artifact-url': `https://github.com/${this.world.api.fullName}/actions/runs/${jc.run.id}/artifacts/${id}`,
      },
    };
  }

  /** actions/download-artifact v4+: by name, from the current run; a missing name fails. */
  private downloadArtifact(inputs: Record<string, string>, jc: JobContext): StepResult {
    const name = inputs.name ?? '';
    const a = this.world.artifactsOf(jc.run.id).get(name);
    if (a === undefined)
      return fail(jc, `Unable to download artifact(s): Artifact not found for name: ${name}`);
    const dest = join(jc.workspace, inputs.path || '.');
    for (const [f, bytes] of a.files) {
      mkdirSync(dirname(join(dest, f)), { recursive: true });
      writeFileSync(join(dest, f), bytes);
    }
    return { outcome: 'success', outputs: { 'download-path': dest } };
  }

  /**
   * actions/create-github-app-token v3 (https://github.com/actions/create-github-app-token#usage):
   * an installation token of the App whose `client-id` (`app-id` is deprecated) and `private-key`
   * are given, acting as that App (a ruleset may list it as a bypass actor); `permission-<name>`
   * inputs narrow the token to those permissions. Output: `token`.
   */
  private createGithubAppToken(inputs: Record<string, string>, jc: JobContext): StepResult {
    const app = this.world.apps.get(inputs['client-id'] || inputs['app-id'] || '');
    if (app === undefined || inputs['private-key'] !== app.privateKey)
      return fail(jc, 'create-github-app-token: A JSON web token could not be decoded (unknown App or key)');
    const narrowed = Object.entries(inputs)
      .filter(([k, v]) => k.startsWith('permission-') && (v === 'read' || v === 'write'))
      .map(([k, v]) => [k.slice('permission-'.length), v as 'read' | 'write'] as const);
    const token = this.world.api.issueToken({
      kind: 'app',
      login: app.login,
      permissions: narrowed.length > 0 ? Object.fromEntries(narrowed) : app.permissions,
    });
    return { outcome: 'success', outputs: { token, 'app-slug': app.login } };
  }

  /**
   * actions/attest-build-provenance (https://github.com/actions/attest-build-provenance#usage):
   * needs `id-token: write` and `attestations: write`; signs a SLSA provenance for the subjects
   * with the workflow's identity — public-good Sigstore for a public repository, GitHub's own
   * instance for a private one — stores it in the attestation store and writes the bundle
   * (`bundle-path`). The stand-in signs with `slsa-ledger attest` against the matching local
   * Sigstore (the predicate is slsa-ledger's; the identity and the instance are the action's).
   */
  private async attestBuildProvenance(inputs: Record<string, string>, jc: JobContext): Promise<StepResult> {
    if (jc.permissions['id-token'] !== 'write')
      return fail(jc, 'Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable (id-token: write is missing)');
    if (jc.permissions.attestations !== 'write')
      return fail(jc, 'Resource not accessible by integration (attestations: write is missing)');
    const world = this.world;
    const sigstore = world.api.repo.private ? world.githubSigstore : world.publicSigstore;
    const { root, files } = collect(jc.workspace, inputs['subject-path'] ?? '');
    if (files.length === 0) return fail(jc, `Could not find subject at path ${inputs['subject-path'] ?? ''}`);
    const tag = jc.run.event.ref;
    const out = join(jc.baseEnv.RUNNER_TEMP!, 'attestation.sigstore.json');
    const p = await world.attestWith(sigstore, {
      files: files.map((f) => join(root, f)),
      out,
      format: 'bundle',
      workflowUri: `https://github.com/${world.api.fullName}/.github/workflows/${jc.run.workflowFile}@${tag}`,
      ref: tag,
      sha: jc.run.event.sha,
      cwd: jc.workspace,
      runId: jc.run.id,
    });
    jc.log.push(`[attest-build-provenance] ${p.stdout}${p.stderr}`.trimEnd());
    if (p.code !== 0) return fail(jc, 'attestation failed');
    world.attestations.push({ repository: world.api.fullName, bundle: readFileSync(out, 'utf8') });
    return {
      outcome: 'success',
      outputs: { 'bundle-path': out, 'attestation-id': String(world.attestations.length) },
    };
  }

  /**
   * slsa-framework/slsa-github-generator's generic generator (generator_generic_slsa3.yml, docs:
   * internal/builders/generic/README.md at v2.1.0): takes `base64-subjects` (sha256sum lines,
   * base64), signs a provenance in the reusable workflow's own jobs with the generator's identity
   * (`…/generator_generic_slsa3.yml@refs/tags/vX.Y.Z`), uploads it as the workflow artifact
   * `provenance-name`, and refuses a private repository unless `private-repository: true` (the
   * public Rekor log would expose it). It must be called by its `@vX.Y.Z` tag.
   */
  async reusableWorkflow(
    ref: string,
    inputs: Record<string, string>,
    jc: JobContext,
  ): Promise<{ outcome: 'success' | 'failure'; outputs: Record<string, string> }> {
    const m =
      /^slsa-framework\/slsa-github-generator\/\.github\/workflows\/generator_generic_slsa3\.yml@(v\d+\.\d+\.\d+)$/.exec(
        ref,
      );
    if (m === null)
      return {
        ...fail(
          jc,
          `no stand-in for the reusable workflow ${ref} (the generator must be called by its @vX.Y.Z tag)`,
        ),
      };
    const world = this.world;
    for (const [scope, level] of [
      ['id-token', 'write'],
      ['actions', 'read'],
    ] as const) {
      const has = jc.permissions[scope];
      if (has !== level && has !== 'write') return fail(jc, `the generator needs ${scope}: ${level}`);
    }
    if (world.api.repo.private && inputs['private-repository'] !== 'true') {
      return fail(
        jc,
        "Repository is private. The workflow has halted in order to keep the repository name from being exposed in the public transparency log. Set 'private-repository' to override.",
      );
    }
    let lines: string[];
    try {
      lines = Buffer.from(inputs['base64-subjects'] ?? '', 'base64')
        .toString('utf8')
        .split('\n')
        .filter(Boolean);
    } catch {
      lines = [];
    }
    if (lines.length === 0 || !lines.every((l) => /^[0-9a-f]{64} {1,2}\S/.test(l))) {
      return fail(jc, 'base64-subjects: expected the base64 of sha256sum output');
    }
    const dir = join(jc.workspace, 'generator');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'SHA256SUMS'), `${lines.join('\n')}\n`);
    const name = inputs['provenance-name'] || 'multiple.intoto.jsonl';
    const out = join(dir, name);
    const tagRef = jc.run.event.ref;
    const p = await world.attestWith(world.publicSigstore, {
      subjectsFrom: join(dir, 'SHA256SUMS'),
      out,
      // v2.1.0 writes a Sigstore bundle (under the .intoto.jsonl name)
      format: 'bundle',
      workflowUri: `https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/${m[1]}`,
      builderId: `https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/${m[1]}`,
      ref: tagRef,
      sha: jc.run.event.sha,
      cwd: dir,
      // a reusable workflow's jobs run in the caller's workflow run (same run id)
      runId: jc.run.id,
    });
    jc.log.push(`[slsa-github-generator ${m[1]}] ${p.stdout}${p.stderr}`.trimEnd());
    if (p.code !== 0) return fail(jc, 'the generator failed to sign');
    const store = world.artifactsOf(jc.run.id);
    store.set(name, { id: world.nextArtifactId++, files: new Map([[name, readFileSync(out)]]) });
    return { outcome: 'success', outputs: { 'provenance-name': name } };
  }
}

export function copyTree(from: string, to: string): void {
  cpSync(from, to, { recursive: true });
}

export { githubIdentityToken };
