import { resolve } from 'node:path';
import { initRepository, type InitResult } from '../../app/init.js';
import { booleanFlag, stringFlag } from '../args.js';
import type { CommandModule } from '../command.js';

function renderNextSteps(result: InitResult): string {
  const lines = [
    `installed ${result.files.length} files into ${result.dir}`,
    '',
    'next: create these in the repository settings (or with the GitHub CLI):',
  ];
  for (const s of result.settings) {
    lines.push(`  ${s.kind} ${s.name}${s.required ? ' (required)' : ''}: ${s.purpose}`, `      ${s.command}`);
  }
  lines.push(
    '',
    'then commit .github/, .slsa-ledger.yml, supabase/ and docs/, and check the workflows:',
    '  npx slsa-ledger audit-workflows',
  );
  return lines.join('\n');
}

export const command: CommandModule = {
  spec: {
    name: 'init',
    summary: 'install the workflows, config, migrations and docs into a repository',
    usage: 'init [--dir DIR] [--force]',
    description:
      'Writes .github/workflows/{release,slsa-provenance,provenance-validate,manifest-ingest,notify-on-failure}.yml, the slsa-ledger action (.github/actions/slsa-ledger), .slsa-ledger.yml, supabase/migrations/*.sql and docs/ops + docs/governance, then prints the secrets and variables to create. Refuses (exit 4, nothing written) when any of these files exists, unless --force.',
    options: {
      dir: { type: 'string', valueName: 'DIR', description: 'the repository to install into (default: .)' },
      force: { type: 'boolean', description: 'overwrite files that exist' },
    },
    examples: ['slsa-ledger init', 'slsa-ledger init --dir ../my-repo --force'],
  },
  async run(args, ctx) {
    const dir = stringFlag(args, 'dir');
    const result = await initRepository({
      dir: dir === undefined ? ctx.cwd : resolve(ctx.cwd, dir),
      force: booleanFlag(args, 'force'),
      logger: ctx.logger,
    });
    return { result, human: renderNextSteps(result) };
  },
};
