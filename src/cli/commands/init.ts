import { resolve } from 'node:path';
import { initRepository, type InitAttestor, type InitResult, type InitSignoff } from '../../app/init.js';
import { booleanFlag, stringFlag } from '../args.js';
import type { CommandModule } from '../command.js';

function renderNextSteps(result: InitResult): string {
  const lines = [
    `installed ${result.files.length} files into ${result.dir} (provenance: ${result.attestor}; sign-off: ${result.signoff}; ledger branch: ${result.ledger_branch})`,
    result.trust_repository === null
      ? 'trust policy: written commented out in .slsa-ledger.yml (no GitHub repository known): re-run with --repository OWNER/NAME; until then flush lands no queued entry (FLUSH_NO_TRUST_POLICY)'
      : `trust policy: ${result.trust_repository}'s release, slsa-provenance, provenance-validate and manifest-ingest workflows (default branch ${result.default_branch}, tags v*), in .slsa-ledger.yml`,
    '',
    'next: set these up on GitHub (README, "GitHub set-up", says what happens when each is missing):',
  ];
  for (const s of result.settings) {
    lines.push(`  ${s.kind} ${s.name}${s.required ? ' (required)' : ''}: ${s.purpose}`, `      ${s.command}`);
  }
  lines.push(
    '',
    'then commit .github/, .slsa-ledger.yml, supabase/ and docs/, and check the workflows:',
    '  slsa-ledger audit-workflows',
  );
  return lines.join('\n');
}

export const command: CommandModule = {
  spec: {
    name: 'init',
    summary: 'install the workflows, config, migrations and docs into a repository',
    usage:
      'init [--dir DIR] [--attestor slsa-github-generator|attest-build-provenance] [--signoff environment|jira] [--ledger-branch NAME] [--build-command CMD] [--artifacts-dir DIR] [--repository OWNER/NAME] [--default-branch NAME] [--private] [--force]',
    description:
      'Writes .github/workflows/{release,slsa-provenance,provenance-validate,manifest-ingest,notify-on-failure,ledger-check}.yml, the slsa-ledger action (.github/actions/slsa-ledger), .slsa-ledger.yml, supabase/migrations/*.sql and docs/ops + docs/governance, then prints the secrets and variables to create. The trust: policy in the config names the writer workflows of this repository, each on the refs GitHub runs it on (docs/trust.md). Refuses (exit 4, nothing written) when any of these files exists, unless --force.',
    options: {
      dir: { type: 'string', valueName: 'DIR', description: 'the repository to install into (default: .)' },
      force: { type: 'boolean', description: 'overwrite files that exist' },
      attestor: {
        type: 'string',
        valueName: 'NAME',
        description:
          'slsa-github-generator (default: SLSA Build L3) or attest-build-provenance (GitHub attestation store; default with --private)',
      },
      signoff: {
        type: 'string',
        valueName: 'MODE',
        description:
          "what publishing waits for: environment (default: the 'release' environment's reviewers) or jira",
      },
      'ledger-branch': {
        type: 'string',
        valueName: 'NAME',
        description: 'the dedicated ledger branch (default: slsa-ledger)',
      },
      'build-command': {
        type: 'string',
        valueName: 'CMD',
        description: 'the build the provenance workflow runs (default: make dist)',
      },
      'artifacts-dir': {
        isRepositoryPath: true,
        type: 'string',
        valueName: 'DIR',
        description: 'where the build leaves the release artifacts (default: dist)',
      },
      repository: {
        type: 'string',
        valueName: 'OWNER/NAME',
        description:
          "the GitHub repository the trust: policy names (default: the origin remote's, else GITHUB_REPOSITORY; without one the policy is written commented out)",
      },
      'default-branch': {
        type: 'string',
        valueName: 'NAME',
        description:
          "the default branch the validate and ingest workflows run on (default: origin's HEAD, else the current branch, else main)",
      },
      private: {
        type: 'boolean',
        description: 'a private repository: nothing goes to the public log unless opted in',
      },
    },
    examples: ['slsa-ledger init', 'slsa-ledger init --dir ../my-repo --force'],
  },
  async run(args, ctx) {
    const dir = stringFlag(args, 'dir');
    const opt = (name: string): string | undefined => stringFlag(args, name);
    const attestor = opt('attestor');
    const signoff = opt('signoff');
    const ledgerBranch = opt('ledger-branch');
    const buildCommand = opt('build-command');
    const artifactsDir = opt('artifacts-dir');
    const repository = opt('repository');
    const defaultBranch = opt('default-branch');
    const result = await initRepository({
      dir: dir === undefined ? ctx.cwd : resolve(ctx.cwd, dir),
      force: booleanFlag(args, 'force'),
      isPrivate: booleanFlag(args, 'private'),
      ...(attestor === undefined ? {} : { attestor: attestor as InitAttestor }),
      ...(signoff === undefined ? {} : { signoff: signoff as InitSignoff }),
      ...(ledgerBranch === undefined ? {} : { ledgerBranch }),
      ...(buildCommand === undefined ? {} : { buildCommand }),
      ...(artifactsDir === undefined ? {} : { artifactsDir }),
      ...(repository === undefined ? {} : { repository }),
      ...(defaultBranch === undefined ? {} : { defaultBranch }),
      env: ctx.env,
      logger: ctx.logger,
    });
    return { result, human: renderNextSteps(result) };
  },
};
