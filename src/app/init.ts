// `init`: install the workflows, the slsa-ledger action, the config, the migrations and the
// operations docs into a repository. Every target is checked before anything is written, so a
// refusal (INIT_FILE_EXISTS) leaves the directory exactly as it was.
import { existsSync, readFileSync } from 'node:fs';
import { lstat, readdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../core/ports.js';
import { silentLogger } from '../core/ports.js';
import { SlsaLedgerError } from '../errors.js';
import { isRepositoryName, repositoryFromRemoteUrl } from '../core/ingest/repository.js';
import { fileKind, makeFolders, writeFileAtomic } from '../io/files.js';
import { runGit } from '../io/git.js';

/** Who attests the release artifacts (issue 15 item 1). */
export type InitAttestor = 'slsa-github-generator' | 'attest-build-provenance';
/** What publishing waits for (the Release Operator's ops sign-off). */
export type InitSignoff = 'environment' | 'jira';

export const initAttestors: readonly InitAttestor[] = ['slsa-github-generator', 'attest-build-provenance'];
export const initSignoffs: readonly InitSignoff[] = ['environment', 'jira'];

export interface InitOptions {
  /** the repository to install into (default: process.cwd()); created when missing */
  readonly dir?: string;
  /**
   * default `slsa-github-generator` (SLSA Build L3; public Rekor), or `attest-build-provenance`
   * when `isPrivate` (GitHub's own Sigstore instance for private repositories)
   */
  readonly attestor?: InitAttestor;
  /** default `environment` (the `release` environment's required reviewers) */
  readonly signoff?: InitSignoff;
  /** the dedicated ledger branch (default `slsa-ledger`) */
  readonly ledgerBranch?: string;
  /** the build command the provenance workflow runs (default `make dist`) */
  readonly buildCommand?: string;
  /** where the build leaves the release artifacts (default `dist`) */
  readonly artifactsDir?: string;
  /** the repository is private: never the public log unless opted in; the default attestor changes */
  readonly isPrivate?: boolean;
  /**
   * `OWNER/NAME` on GitHub, for the `trust:` policy's workflow signers (default: from the `origin`
   * remote of `dir`, else `GITHUB_REPOSITORY`); without one the policy is written commented out
   */
  readonly repository?: string;
  /** the default branch the scheduled and `workflow_run` writers run on (default: origin's HEAD, the current branch, else `main`) */
  readonly defaultBranch?: string;
  /** the environment read for `GITHUB_REPOSITORY` (default: process.env) */
  readonly env?: NodeJS.ProcessEnv;
  /** overwrite files that exist */
  readonly force?: boolean;
  readonly logger?: Logger;
  /** the package to copy from (default: the installed slsa-ledger package); for tests */
  readonly packageRoot?: string;
}

export interface InitSetting {
  readonly name: string;
  /** `setting`: a repository (or organization) setting, not a ruleset */
  readonly kind: 'secret' | 'variable' | 'environment' | 'ruleset' | 'setting' | 'app-permission';
  readonly required: boolean;
  readonly usedBy: readonly string[];
  readonly purpose: string;
  /** the command that creates it with the GitHub CLI */
  readonly command: string;
}

export interface InitResult {
  readonly dir: string;
  readonly attestor: InitAttestor;
  readonly signoff: InitSignoff;
  readonly ledger_branch: string;
  /** the repository the `trust:` policy names, or null when it was written commented out */
  readonly trust_repository: string | null;
  readonly default_branch: string;
  readonly files: readonly { readonly path: string; readonly action: 'created' | 'overwritten' }[];
  readonly settings: readonly InitSetting[];
}

/**
 * What a user sets up on GitHub for the installed workflows, with what happens when each is missing
 * (`purpose`). `init` prints the ones that apply; the README's GitHub set-up section lists them all.
 */
export function initSettings(options: {
  readonly signoff: InitSignoff;
  readonly attestor: InitAttestor;
  readonly ledgerBranch: string;
}): InitSetting[] {
  const settings: InitSetting[] = [
    {
      name: 'Settings → Actions → General → Workflow permissions',
      kind: 'setting',
      // recommended, as the README's set-up table says: every workflow sets its own permissions
      required: false,
      usedBy: ['every workflow'],
      purpose:
        'recommended: leave "Read repository contents" (the workflows widen GITHUB_TOKEN per job); "Allow GitHub Actions to create and approve pull requests" is not needed. Missing: the workflows still grant per job; a write-all default only matters for other workflows',
      command:
        'gh api -X PUT repos/{owner}/{repo}/actions/permissions/workflow -f default_workflow_permissions=read',
    },
    {
      name: `ledger branch ${options.ledgerBranch}`,
      kind: 'ruleset',
      required: true,
      usedBy: ['slsa-provenance.yml', 'release.yml', 'provenance-validate.yml', 'manifest-ingest.yml'],
      purpose: `the writers push with GITHUB_TOKEN to ${options.ledgerBranch}, created by the first record; keep it out of any ruleset that blocks pushes (or list the GitHub App below as a bypass actor: github-actions[bot] cannot be one). Missing access: every entry is queued (exit 75) and the manifest-queued alert fires until a flush lands it`,
      command: `gh api repos/{owner}/{repo}/rules/branches/${options.ledgerBranch}  # must list no rule that blocks the writers`,
    },
    {
      name: `ledger history ruleset on ${options.ledgerBranch} (block force pushes, require linear history, restrict deletions)`,
      kind: 'ruleset',
      required: false,
      usedBy: ['ledger-check.yml', 'manifest-ingest.yml', 'the witness (docs/trust.md)'],
      purpose: `recommended: the writers push plain fast-forward commits (record --via-pr rebases), so these rules block none of them and need no bypass actor, while nobody without bypass can rewrite the ledger's history: no force-push, no merge commit whose first parent is a rewritten line, no deleted branch. Missing: anyone with push access can rewrite it; ledger-check.yml audits a fresh clone with no witness of the last head it verified, so a history rewritten consistently (a run and its signed lines dropped) is caught only by ingest's database watermark`,
      command: `gh api -X POST repos/{owner}/{repo}/rulesets -f name=slsa-ledger-history -f target=branch -f enforcement=active -f "conditions[ref_name][include][]=refs/heads/${options.ledgerBranch}" -f "conditions[ref_name][exclude][]=" -f "rules[][type]=non_fast_forward" -f "rules[][type]=required_linear_history" -f "rules[][type]=deletion"`,
    },
    {
      name: 'SLACK_WEBHOOK_URL',
      kind: 'secret',
      required: false,
      usedBy: [
        'release.yml',
        'slsa-provenance.yml',
        'provenance-validate.yml',
        'notify-on-failure.yml',
        'ledger-check.yml',
      ],
      purpose:
        'Slack incoming webhook for alerts and release announcements. Missing: the Slack steps are skipped with a notice; failures still open a GitHub issue',
      command: 'gh secret set SLACK_WEBHOOK_URL',
    },
    {
      name: 'SUPABASE_URL',
      kind: 'variable',
      required: false,
      usedBy: ['manifest-ingest.yml'],
      purpose:
        'your Supabase project URL, e.g. https://abcd1234.supabase.co. Missing (or the key below missing): the hourly ingest is skipped with a notice; the git ledger stays the record',
      command: 'gh variable set SUPABASE_URL --body https://YOUR-PROJECT.supabase.co',
    },
    {
      name: 'SLSA_MANIFEST_SERVICE_KEY',
      kind: 'secret',
      required: false,
      usedBy: ['manifest-ingest.yml'],
      purpose:
        'Supabase key mapped to the slsa_manifest_ingest role (EXECUTE on the ingest function only). Missing: as SUPABASE_URL',
      command: 'gh secret set SLSA_MANIFEST_SERVICE_KEY',
    },
    {
      name: 'SLSA_LEDGER_DATABASE_URL',
      kind: 'secret',
      required: false,
      usedBy: ['manifest-ingest.yml'],
      purpose:
        'a postgres:// URL for the ingest (migrate, then ingest). Missing: the Postgres ingest is skipped with a notice',
      command: 'gh secret set SLSA_LEDGER_DATABASE_URL',
    },
    {
      name: 'PROVENANCE_DISPATCH_TOKEN',
      kind: 'secret',
      required: false,
      usedBy: ['release.yml (dispatch step, environment provenance-dispatch)'],
      purpose:
        'only where GITHUB_TOKEN cannot dispatch (another repository): a fine-grained PAT with Actions read and write, kept as a secret of the provenance-dispatch environment. Missing: GITHUB_TOKEN dispatches; expired: a dispatch-token-expired entry and issue',
      command: 'gh secret set PROVENANCE_DISPATCH_TOKEN --env provenance-dispatch',
    },
    {
      name: 'PROVENANCE_DISPATCH_TOKEN_ROTATED_AT',
      kind: 'variable',
      required: false,
      usedBy: ['release.yml', 'slsa-provenance.yml'],
      purpose:
        'only with a dispatch PAT (README, "a PAT only where needed"): when it was last rotated (RFC 3339 UTC). Lands in each entry as metrics.dispatch_token_rotated_at (the token-age audit). Missing: the age is unknown (kpi shows –)',
      command: 'gh variable set PROVENANCE_DISPATCH_TOKEN_ROTATED_AT --body "$(date -u +%Y-%m-%dT%H:%M:%SZ)"',
    },
    {
      name: 'SLSA_LEDGER_TRUSTED_ROOT',
      kind: 'variable',
      required: false,
      usedBy: ['provenance-validate.yml'],
      purpose:
        "path in the repository of a Sigstore trusted_root.json for validate (GitHub Enterprise Server, or GitHub's own Sigstore instance for private repositories: `gh attestation trusted-root > .github/trusted_root.json`). Missing: the public-good Sigstore root from TUF",
      command: 'gh variable set SLSA_LEDGER_TRUSTED_ROOT --body .github/trusted_root.json',
    },
  ];
  if (options.attestor === 'slsa-github-generator') {
    settings.push({
      name: 'SLSA_LEDGER_PUBLIC_LOG_OPT_IN',
      kind: 'variable',
      required: false,
      usedBy: ['slsa-provenance.yml'],
      purpose:
        "private repositories only: 'true' lets slsa-github-generator publish the repository name, workflow, commit and digests to the public Rekor log. Missing in a private repository: the generator refuses and the run records a failure entry (use `init --attestor attest-build-provenance` instead)",
      command: 'gh variable set SLSA_LEDGER_PUBLIC_LOG_OPT_IN --body true',
    });
  }
  if (options.signoff === 'environment') {
    settings.push({
      name: 'release',
      kind: 'environment',
      required: true,
      usedBy: ['slsa-provenance.yml (publish job)'],
      purpose:
        'the ops sign-off: add required reviewers (the release summarizers) and "Prevent self-review". Missing protection: GitHub creates the environment on first use without reviewers and publishing does not wait. A private repository has required reviewers on GitHub Enterprise Cloud only (elsewhere: init --signoff jira)',
      command: 'gh api -X PUT repos/{owner}/{repo}/environments/release --input reviewers.json',
    });
  } else {
    settings.push(
      {
        name: 'JIRA_BASE_URL',
        kind: 'variable',
        required: true,
        usedBy: ['slsa-provenance.yml (publish job)'],
        purpose:
          'e.g. https://acme.atlassian.net. Missing: the publish job fails (JIRA_CREDENTIALS_MISSING) and the release stays a draft',
        command: 'gh variable set JIRA_BASE_URL --body https://acme.atlassian.net',
      },
      {
        name: 'JIRA_EMAIL',
        kind: 'variable',
        required: true,
        usedBy: ['slsa-provenance.yml (publish job)'],
        purpose: 'the Jira account of the API token. Missing: as JIRA_BASE_URL',
        command: 'gh variable set JIRA_EMAIL --body release-bot@acme.example',
      },
      {
        name: 'JIRA_API_TOKEN',
        kind: 'secret',
        required: true,
        usedBy: ['slsa-provenance.yml (publish job)'],
        purpose: 'read access to the release project. Missing: as JIRA_BASE_URL',
        command: 'gh secret set JIRA_API_TOKEN',
      },
    );
  }
  settings.push(
    {
      name: 'Settings → General → Releases → Enable release immutability',
      kind: 'setting',
      required: false,
      usedBy: ['release.yml', 'slsa-provenance.yml'],
      purpose:
        'recommended: published releases can no longer change. The workflows upload to the draft and publish last, so they work either way',
      command: '(repository or organization settings)',
    },
    {
      name: 'tag ruleset on v* (restrict creations, updates, deletions)',
      kind: 'ruleset',
      required: false,
      usedBy: ['release.yml', 'slsa-provenance.yml', 'the trust: policy in .slsa-ledger.yml'],
      purpose:
        'recommended: the trust: policy trusts release.yml and slsa-provenance.yml on refs/tags/v*, so whoever can create a v* tag can sign ledger records with a workflow edited at that tag. Missing: anyone with push access can create a v* tag whose edited workflow signs ledger records the policy accepts',
      command:
        'gh api -X POST repos/{owner}/{repo}/rulesets -f name=release-tags -f target=tag -f enforcement=active -f "conditions[ref_name][include][]=refs/tags/v*" -f "conditions[ref_name][exclude][]=" -f "rules[][type]=creation"  # add update and deletion rules and your release managers as bypass actors',
    },
    {
      name: 'GitHub App (optional: a ruleset on the ledger branch)',
      kind: 'app-permission',
      required: false,
      usedBy: ['record/flush steps, when the ledger branch is under a ruleset'],
      purpose:
        'Contents: read and write, Metadata: read; installed on this repository and added to the ruleset as a bypass actor; its client ID in vars.SLSA_LEDGER_APP_CLIENT_ID (actions/create-github-app-token v3 deprecates app-id) and its key in secrets.SLSA_LEDGER_APP_PRIVATE_KEY (README: "Ledger writer and branch protection"). Missing: with such a ruleset, entries queue',
      command:
        'gh variable set SLSA_LEDGER_APP_CLIENT_ID --body Iv23liEXAMPLE && gh secret set SLSA_LEDGER_APP_PRIVATE_KEY < app.pem',
    },
  );
  return settings;
}

/**
 * The `trust:` policy for the shipped workflows (docs/trust.md "The trust policy"): each writer
 * workflow of `repository`, only on the refs GitHub runs it on, for the kinds of change it makes.
 * A `push`/`workflow_dispatch` on a branch a pusher made carries that branch's ref in the
 * certificate, so a workflow edited there is never trusted.
 */
export function trustPolicyText(o: {
  readonly repository: string | null;
  readonly defaultBranch: string;
}): string {
  const repo = o.repository ?? 'OWNER/NAME';
  const main = `refs/heads/${o.defaultBranch}`;
  const policy = `trust:
  signers:
    # release.yml: on a pushed v* tag, or dispatched on the default branch
    release-workflow:
      workflow: ${repo}/.github/workflows/release.yml
      ref: [refs/tags/v*, ${main}]
    # slsa-provenance.yml: dispatched by release.yml on the release tag
    provenance-workflow:
      workflow: ${repo}/.github/workflows/slsa-provenance.yml
      ref: [refs/tags/v*]
    # provenance-validate.yml: workflow_run and its dispatch run on the default branch
    validate-workflow:
      workflow: ${repo}/.github/workflows/provenance-validate.yml
      ref: ${main}
    # manifest-ingest.yml: the hourly flush of the queue, on the default branch
    ingest-workflow:
      workflow: ${repo}/.github/workflows/manifest-ingest.yml
      ref: ${main}
  # validate-workflow and ingest-workflow appear under record and update only because their flush
  # re-signs a queued change whose entry moved meanwhile (docs/trust.md "The authenticated queue");
  # remove them for a stricter policy (such a change is then a finding until it is re-recorded)
  record: [release-workflow, provenance-workflow, validate-workflow, ingest-workflow]
  update: [release-workflow, provenance-workflow, validate-workflow, ingest-workflow]
  verdict: [validate-workflow, ingest-workflow]
`;
  const head = `# who may write what in the ledger (docs/trust.md): check, flush and ingest verify every change's
# signature against this policy, read from this file on the default branch (never from the ledger
# branch). Keep the v* tags protected (a tag ruleset): whoever can create a v* tag can run release.yml
# with their own edits. Add keys (\`key: keys/ledger.pub\`) for writers outside GitHub Actions.
`;
  if (o.repository !== null) return head + policy;
  return `${head}# slsa-ledger init did not know this repository's OWNER/NAME (no GitHub origin remote): set it below
# and uncomment, or re-run \`slsa-ledger init --force --repository OWNER/NAME\`.
${policy
  .split('\n')
  .map((l) => (l === '' ? l : `# ${l}`))
  .join('\n')}`;
}

function configText(o: ResolvedInit): string {
  return `# slsa-ledger configuration, written by \`slsa-ledger init\` (flags given on the command line win).
# Secrets never go here: they come from the environment (GitHub secrets in the workflows).
# The workflows carry the same ledger branch and build settings in their \`env:\` (re-run
# \`slsa-ledger init --force\` with the new values to change them everywhere).

# where the ledger lives: a dedicated branch of this repository (its integrity comes from
# slsa-ledger's own checks, not from branch rules), so the default branch can stay protected
ledger:
  remote: origin
  branch: ${o.ledgerBranch}
  reports_dir: docs/reports

# what slsa-provenance.yml builds, and where the artifacts land
build:
  command: ${JSON.stringify(o.buildCommand)}
  artifacts: ${JSON.stringify(o.artifactsDir)}

provenance:
  attestor: ${o.attestor}
  signoff: ${o.signoff}

audit-workflows:
  format: text

${trustPolicyText(o)}`;
}

/** Finds the slsa-ledger package root above this module (dist/app, src/app or the action bundle). */
export function findPackageRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'slsa-ledger') return dir;
      } catch {
        // not our package.json; keep looking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new SlsaLedgerError('INIT_TEMPLATE_MISSING', `cannot find the slsa-ledger package above ${from}`);
    }
    dir = parent;
  }
}

interface PlannedFile {
  readonly target: string;
  readonly content: () => Promise<Buffer>;
}

async function listDir(dir: string, pattern: RegExp): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((n) => pattern.test(n)).sort();
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return [];
    throw error;
  }
}

/** Every file under `rel` (forward-slash paths relative to root), sorted. */
async function listTree(root: string, rel: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (sub: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(join(root, sub), { withFileTypes: true });
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') return;
      throw error;
    }
    for (const e of entries) {
      const child = `${sub}/${e.name}`;
      if (e.isDirectory()) await walk(child);
      else if (e.isFile()) out.push(child);
    }
  };
  await walk(rel);
  if (!out.includes(`${rel}/index.js`)) {
    throw new SlsaLedgerError(
      'INIT_TEMPLATE_MISSING',
      `the package has no ${rel}/index.js (the action bundle)`,
      {
        details: { file: `${rel}/index.js` },
      },
    );
  }
  return out.sort();
}

function copy(root: string, source: string, target: string): PlannedFile {
  const path = join(root, source);
  if (!existsSync(path)) {
    throw new SlsaLedgerError('INIT_TEMPLATE_MISSING', `the package has no ${source} (looked in ${root})`, {
      details: { file: source },
    });
  }
  return { target, content: () => readFile(path) };
}

interface ResolvedInit {
  readonly attestor: InitAttestor;
  readonly signoff: InitSignoff;
  readonly ledgerBranch: string;
  readonly buildCommand: string;
  readonly artifactsDir: string;
  readonly repository: string | null;
  readonly defaultBranch: string;
}

const BRANCH = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/;

/** `OWNER/NAME` of the GitHub repository `dir` is a clone of (its `origin` on a web host), if any. */
async function detectRepository(dir: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  const url = await runGit(['remote', 'get-url', 'origin'], { cwd: dir, allowFailure: true }).catch(
    () => undefined,
  );
  if (url !== undefined && url.code === 0) {
    const remote = repositoryFromRemoteUrl(url.stdout.toString('utf8').trim());
    if (remote !== undefined && remote.url !== null) return remote.repository;
  }
  const fromEnv = env.GITHUB_REPOSITORY;
  return fromEnv !== undefined && isRepositoryName(fromEnv) ? fromEnv : null;
}

/** The default branch: origin's HEAD as the clone knows it, else the checked-out branch, else `main`. */
async function detectDefaultBranch(dir: string): Promise<string> {
  for (const args of [
    ['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD'],
    ['symbolic-ref', '--quiet', '--short', 'HEAD'],
  ]) {
    const out = await runGit(args, { cwd: dir, allowFailure: true }).catch(() => undefined);
    if (out === undefined || out.code !== 0) continue;
    const name = out.stdout
      .toString('utf8')
      .trim()
      .replace(/^origin\//, '');
    if (BRANCH.test(name) && !name.includes('..')) return name;
  }
  return 'main';
}

function replaceOnce(text: string, from: string | RegExp, to: string, file: string): string {
  const found = typeof from === 'string' ? text.includes(from) : from.test(text);
  if (!found) {
    throw new SlsaLedgerError(
      'INIT_TEMPLATE_MISSING',
      `the template ${file} lacks its anchor ${String(from)}`,
      {
        details: { file },
      },
    );
  }
  return text.replace(from, () => to);
}

/** A single-quoted YAML scalar (the style the templates are formatted in): `'` doubles, nothing else escapes. */
function yamlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** The workflow templates with init's choices applied (ledger branch, build, attestor, sign-off). */
export function applyWorkflowChoices(
  name: string,
  text: string,
  o: ResolvedInit,
  variants: { readonly attest: string; readonly jira: string },
): string {
  let out = text.replace(/^( {2}SLSA_LEDGER_BRANCH: ).*$/m, `$1${o.ledgerBranch}`);
  if (name === 'slsa-provenance.yml') {
    out = replaceOnce(
      out,
      /^( {2}SLSA_LEDGER_BUILD_COMMAND: ).*$/m,
      `  SLSA_LEDGER_BUILD_COMMAND: ${yamlString(o.buildCommand)}`,
      name,
    );
    out = replaceOnce(
      out,
      /^( {2}SLSA_LEDGER_ARTIFACTS_DIR: ).*$/m,
      `  SLSA_LEDGER_ARTIFACTS_DIR: ${yamlString(o.artifactsDir)}`,
      name,
    );
    if (o.attestor === 'attest-build-provenance') {
      out = replaceOnce(out, /^ {2}provenance:\n[\s\S]*?(?=^ {2}upload:\n)/m, `${variants.attest}\n`, name);
      out = out.replace(
        /# Release Operator \(publish\)\. Provenance: [\s\S]*?build job\)\.\n/,
        "# Release Operator (publish). Provenance: actions/attest-build-provenance (SLSA Build L2; the\n# attestation also goes to GitHub's attestation store).\n",
      );
    }
    if (o.signoff === 'jira') {
      out = replaceOnce(out, /^ {2}# Publication waits for the ops sign-off[\s\S]*$/m, variants.jira, name);
    }
  }
  if (name === 'provenance-validate.yml' && o.attestor === 'attest-build-provenance') {
    // the builder is this repository's own slsa-provenance.yml at the tag: validate's default
    out = replaceOnce(
      out,
      /^ {2}# the builder the provenance must name[\s\S]*?SLSA_LEDGER_BUILDER_ID: .*\n/m,
      '',
      name,
    );
    out = replaceOnce(out, /^ {12}--builder-id \$\{\{ env\.SLSA_LEDGER_BUILDER_ID \}\}\n/m, '', name);
  }
  return out;
}

async function planFiles(root: string, choices: ResolvedInit): Promise<PlannedFile[]> {
  const workflows = await listDir(join(root, 'workflows'), /\.ya?ml$/);
  if (workflows.length === 0) {
    throw new SlsaLedgerError(
      'INIT_TEMPLATE_MISSING',
      `the package has no workflow templates in ${root}/workflows`,
    );
  }
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string })
    .version;
  const actionDir = '.github/actions/slsa-ledger';
  const migrations = await listDir(join(root, 'supabase', 'migrations'), /\.sql$/);
  // each variant is a whole workflow-shaped document (`jobs:` and one job): the job's text is
  // what follows `jobs:`, already indented as a job of the template
  const variant = (file: string): string => {
    const text = readFileSync(join(root, 'workflows/variants', file), 'utf8');
    const at = text.indexOf('\njobs:\n');
    if (at === -1) {
      throw new SlsaLedgerError('INIT_TEMPLATE_MISSING', `the variant ${file} has no jobs: section`, {
        details: { file },
      });
    }
    return text.slice(at + '\njobs:\n'.length);
  };
  const variants = {
    attest: variant('provenance-attest-build-provenance.yml'),
    jira: variant('publish-jira-signoff.yml'),
  };
  return [
    ...workflows.map((n) => {
      const source = copy(root, `workflows/${n}`, `.github/workflows/${n}`);
      return {
        target: source.target,
        content: async () =>
          Buffer.from(applyWorkflowChoices(n, (await source.content()).toString('utf8'), choices, variants)),
      };
    }),
    copy(root, 'action.yml', `${actionDir}/action.yml`),
    ...(await listTree(root, 'action/dist')).map((f) => copy(root, f, `${actionDir}/${f}`)),
    {
      target: `${actionDir}/package.json`,
      content: () =>
        Promise.resolve(
          Buffer.from(
            `${JSON.stringify({ name: 'slsa-ledger', version, private: true, type: 'module' }, null, 2)}\n`,
          ),
        ),
    },
    { target: '.slsa-ledger.yml', content: () => Promise.resolve(Buffer.from(configText(choices))) },
    ...migrations.map((n) => copy(root, `supabase/migrations/${n}`, `supabase/migrations/${n}`)),
    // the vendored action's `migrate` reads the migrations beside its package.json
    ...migrations.map((n) => copy(root, `supabase/migrations/${n}`, `${actionDir}/supabase/migrations/${n}`)),
    ...['docs/ops/workflows.mmd', 'docs/ops/workflow-summary.md', 'docs/ops/failure-recovery.md'].map((p) =>
      copy(root, p, p),
    ),
    copy(root, 'docs/governance/role-matrix.md', 'docs/governance/role-matrix.md'),
  ];
}

/** What is at `path` when it is not a real folder (a symbolic link, a file), else undefined. */
async function notAFolder(path: string): Promise<string | undefined> {
  const info = await lstat(path).catch(() => undefined);
  if (info === undefined || info.isDirectory()) return undefined;
  return info.isSymbolicLink() ? 'is a symbolic link' : `is ${fileKind(info)}, not a folder`;
}

/**
 * Why `dir` (the folder init writes into) cannot be used, or undefined. The nearest path that
 * exists, walking up from `dir`, must be a folder or a link that leads to one: a dangling link, a
 * link loop or a file on the way would make `mkdir` fail with ENOENT, ELOOP or ENOTDIR. One `lstat`
 * per component and one `stat` of a link, never a walk of what is inside (`/proc/self/fd`).
 */
async function initDirProblem(dir: string): Promise<string | undefined> {
  for (let path = dir; ; path = dirname(path)) {
    let info;
    try {
      info = await lstat(path);
    } catch (error) {
      const code = (error as { code?: string }).code;
      // not there yet (or under a file, found one step up): mkdir makes it
      if ((code === 'ENOENT' || code === 'ENOTDIR') && dirname(path) !== path) continue;
      return `${path} cannot be inspected (${code ?? (error as Error).message})`;
    }
    if (info.isDirectory()) return undefined;
    if (!info.isSymbolicLink()) {
      return path === dir
        ? undefined
        : `${path} is ${info.isFile() ? 'a file' : fileKind(info)}, not a folder`;
    }
    const target = await stat(path).catch((error: unknown) => error as { code?: string });
    if ('isDirectory' in target)
      return target.isDirectory() || path === dir
        ? undefined
        : `${path} is a symbolic link to ${fileKind(target)}, not a folder`;
    return target.code === 'ELOOP'
      ? `${path} is a symbolic link loop`
      : `${path} is a symbolic link that leads nowhere (${target.code ?? 'unknown'})`;
  }
}

/**
 * Every target below `dir` as it is before anything is written: the folders on its path must be
 * real folders (or not exist yet) and the target a regular file or a symbolic link (replaced by the
 * write, never followed) or absent. A linked folder (`.github` to somewhere outside the repository)
 * would send the write through it.
 */
async function inspectTargets(
  dir: string,
  targets: readonly string[],
): Promise<{ existing: string[]; unsafe: { path: string; reason: string }[] }> {
  const folders = new Map<string, string | undefined>();
  const existing: string[] = [];
  const unsafe: { path: string; reason: string }[] = [];
  for (const target of targets) {
    const parts = target.split('/');
    let reason: string | undefined;
    for (let i = 1; i < parts.length && reason === undefined; i += 1) {
      const folder = parts.slice(0, i).join('/');
      if (!folders.has(folder)) folders.set(folder, await notAFolder(join(dir, folder)));
      const problem = folders.get(folder);
      if (problem !== undefined) reason = `${folder} ${problem}`;
    }
    if (reason === undefined) {
      const info = await lstat(join(dir, target)).catch(() => undefined);
      if (info !== undefined) {
        existing.push(target);
        if (!info.isFile() && !info.isSymbolicLink()) reason = `${target} is ${fileKind(info)}`;
      }
    }
    if (reason !== undefined) unsafe.push({ path: target, reason });
  }
  return { existing, unsafe };
}

/**
 * Installs the workflows, the action, `.slsa-ledger.yml`, the migrations and the docs.
 * @throws INIT_FILE_EXISTS (exit 4, nothing written) when a target exists and `force` is not set;
 *   INIT_PATH_UNSAFE (exit 3, nothing written, even with `force`) when a folder on a target's path is
 *   a symbolic link or a file, or a target is a folder, a FIFO, …;
 *   INIT_TEMPLATE_MISSING when the package is incomplete; OUTPUT_WRITE_FAILED
 */
export async function initRepository(options: InitOptions = {}): Promise<InitResult> {
  const logger = options.logger ?? silentLogger;
  const dir = resolve(options.dir ?? process.cwd());
  const dirProblem = await initDirProblem(dir);
  if (dirProblem !== undefined) {
    throw new SlsaLedgerError(
      'INIT_PATH_UNSAFE',
      `${dir} cannot be written safely: ${dirProblem}; nothing was written`,
      { details: { dir, unsafe: [{ path: '.', reason: dirProblem }] } },
    );
  }
  const root = options.packageRoot ?? findPackageRoot();
  const dirExists = existsSync(dir);
  const repository =
    options.repository ?? (dirExists ? await detectRepository(dir, options.env ?? process.env) : null);
  if (repository !== null && !isRepositoryName(repository)) {
    throw new SlsaLedgerError('USAGE_INVALID_FLAG', `--repository '${repository}' is not OWNER/NAME`);
  }
  const defaultBranch = options.defaultBranch ?? (dirExists ? await detectDefaultBranch(dir) : 'main');
  if (!BRANCH.test(defaultBranch) || defaultBranch.includes('..')) {
    throw new SlsaLedgerError(
      'USAGE_INVALID_FLAG',
      `--default-branch '${defaultBranch}' is not a plain branch name`,
    );
  }
  const choices: ResolvedInit = {
    repository,
    defaultBranch,
    attestor:
      options.attestor ?? (options.isPrivate === true ? 'attest-build-provenance' : 'slsa-github-generator'),
    signoff: options.signoff ?? 'environment',
    ledgerBranch: options.ledgerBranch ?? 'slsa-ledger',
    buildCommand: options.buildCommand ?? 'make dist',
    artifactsDir: options.artifactsDir ?? 'dist',
  };
  if (!initAttestors.includes(choices.attestor)) {
    throw new SlsaLedgerError('USAGE_INVALID_FLAG', `--attestor takes ${initAttestors.join(' or ')}`);
  }
  if (!initSignoffs.includes(choices.signoff)) {
    throw new SlsaLedgerError('USAGE_INVALID_FLAG', `--signoff takes ${initSignoffs.join(' or ')}`);
  }
  if (
    !/^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/.test(choices.ledgerBranch) ||
    choices.ledgerBranch.includes('..')
  ) {
    throw new SlsaLedgerError(
      'USAGE_INVALID_FLAG',
      `--ledger-branch '${choices.ledgerBranch}' is not a plain branch name`,
    );
  }
  if (/[\r\n]/.test(choices.buildCommand) || choices.buildCommand.trim() === '') {
    throw new SlsaLedgerError('USAGE_INVALID_FLAG', '--build-command must be one non-empty line');
  }
  if (
    !/^[A-Za-z0-9._][A-Za-z0-9._/-]{0,199}$/.test(choices.artifactsDir) ||
    choices.artifactsDir.includes('..')
  ) {
    throw new SlsaLedgerError(
      'USAGE_INVALID_FLAG',
      `--artifacts-dir '${choices.artifactsDir}' must be a relative path inside the repository`,
    );
  }
  const plan = await planFiles(root, choices);
  const { existing, unsafe } = await inspectTargets(
    dir,
    plan.map((f) => f.target),
  );
  if (unsafe.length > 0) {
    throw new SlsaLedgerError(
      'INIT_PATH_UNSAFE',
      `${unsafe.length} file(s) cannot be written safely in ${dir}: ${unsafe
        .slice(0, 3)
        .map((u) => u.reason)
        .join(
          '; ',
        )}${unsafe.length > 3 ? '; …' : ''}; nothing was written (--force does not write through a symbolic link)`,
      { details: { dir, unsafe } },
    );
  }
  if (existing.length > 0 && options.force !== true) {
    throw new SlsaLedgerError(
      'INIT_FILE_EXISTS',
      `${existing.length} file(s) exist in ${dir} (${existing.slice(0, 3).join(', ')}${existing.length > 3 ? ', …' : ''}); nothing was written; use --force to overwrite`,
      { details: { dir, existing } },
    );
  }
  const info = await stat(dir).catch(() => undefined);
  if (info !== undefined && !info.isDirectory()) {
    throw new SlsaLedgerError('INPUT_INVALID', `${dir} is not a directory`, { details: { dir } });
  }
  // what the files will say, once nothing refuses them (a refusal warned first, then wrote nothing)
  if (options.isPrivate === true && choices.attestor === 'slsa-github-generator') {
    logger.warn(
      'a private repository with slsa-github-generator: its provenance goes to the public Rekor log only when vars.SLSA_LEDGER_PUBLIC_LOG_OPT_IN is true; otherwise the generator refuses',
    );
  }
  if (repository === null) {
    logger.warn(
      'the trust: policy in .slsa-ledger.yml is written commented out: init found no GitHub repository (origin remote or GITHUB_REPOSITORY); pass --repository OWNER/NAME. Until it is set, flush lands no queued entry (FLUSH_NO_TRUST_POLICY)',
    );
  }
  // read every source before the first write, so a read failure writes nothing
  const contents = await Promise.all(plan.map((f) => f.content()));
  await makeFolders(dir).catch((error: unknown) => {
    throw new SlsaLedgerError('OUTPUT_WRITE_FAILED', `cannot make ${dir}: ${(error as Error).message}`, {
      cause: error,
      details: { path: dir },
    });
  });
  const files: { path: string; action: 'created' | 'overwritten' }[] = [];
  try {
    for (const [i, f] of plan.entries()) {
      // a symbolic link here was vetted above (--force replaces the link, never what it names)
      await writeFileAtomic(join(dir, f.target), contents[i]!, 0o644, { replaceSymlink: true });
      files.push({ path: f.target, action: existing.includes(f.target) ? 'overwritten' : 'created' });
      logger.info(`${existing.includes(f.target) ? 'overwrote' : 'created'} ${f.target}`);
    }
  } catch (error) {
    // no half install: the files this run created are removed again (each write is atomic, so an
    // overwritten file holds either its old bytes or the new ones)
    await Promise.all(
      files.filter((f) => f.action === 'created').map((f) => rm(join(dir, f.path), { force: true })),
    );
    throw error;
  }
  return {
    dir,
    attestor: choices.attestor,
    signoff: choices.signoff,
    ledger_branch: choices.ledgerBranch,
    trust_repository: choices.repository,
    default_branch: choices.defaultBranch,
    files,
    settings: initSettings(choices),
  };
}
