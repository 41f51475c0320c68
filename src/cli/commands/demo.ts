import { runDemo } from '../../app/demo.js';
import { booleanFlag, stringFlag } from '../args.js';
import type { CommandModule } from '../command.js';

export const command: CommandModule = {
  spec: {
    name: 'demo',
    summary: 'run the whole chain locally on embedded defaults',
    usage: 'demo [--dir DIR] [--serve]',
    description:
      'Creates artifacts and a throwaway key in a temporary directory, then attests, verifies, records into a local bare remote, validates, ingests into the embedded database and prints the KPIs, printing each step.',
    options: {
      dir: {
        type: 'string',
        valueName: 'DIR',
        description:
          "work directory (default: a new temporary directory); created when missing, must be empty or an earlier demo's directory (whose contents are replaced)",
      },
      serve: {
        type: 'boolean',
        description: 'leave the KPI dashboard up on the demo data and print its URL',
      },
    },
  },
  async run(args, ctx) {
    const dir = stringFlag(args, 'dir');
    const result = await runDemo({
      ...(dir === undefined ? {} : { dir }),
      serve: booleanFlag(args, 'serve'),
      env: ctx.env,
      logger: ctx.logger,
    });
    return { result, human: `\ndemo finished: ${result.steps.length} steps, files in ${result.workDir}` };
  },
};
