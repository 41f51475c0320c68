import { defaultHost, defaultPort, serveDashboard } from '../../app/serve.js';
import { integerFlag, stringFlag } from '../args.js';
import type { CommandModule } from '../command.js';
import { databaseOptions, databaseTarget } from '../database-flags.js';

/** Resolves on SIGINT or SIGTERM (Ctrl-C, `kill`), then stops listening for them. */
function untilStopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export const command: CommandModule = {
  spec: {
    name: 'serve',
    summary: 'KPI dashboard and read-only JSON API',
    usage: 'serve [--port N] [--host ADDR] [--database-url URL | --data-dir DIR]',
    description:
      'Serves the KPI dashboard page and a read-only JSON API (/api/kpi, /api/runs, /api/runs/:tag/:run_id, /healthz) until Ctrl-C or SIGTERM. Reads as the database role slsa_kpi_reader (SELECT on the views only). Prints the URL on stderr. Database from --database-url, else DATABASE_URL, else the embedded database.',
    options: {
      port: {
        type: 'string',
        valueName: 'N',
        default: String(defaultPort),
        description: 'port to listen on (0: a free one)',
      },
      host: {
        type: 'string',
        valueName: 'ADDR',
        default: defaultHost,
        description: 'address to listen on (loopback by default; the API has no authentication)',
      },
      ...databaseOptions,
    },
    examples: [
      'slsa-ledger serve                       # http://127.0.0.1:8080/ on .slsa-ledger/db',
      'slsa-ledger serve --port 0 --database-url postgres://postgres@127.0.0.1:5432/ledger',
    ],
  },
  async run(args, ctx) {
    const port = integerFlag(args, 'port', { min: 0, max: 65_535 }) ?? defaultPort;
    const server = await serveDashboard({
      ...databaseTarget(args, ctx.env),
      cwd: ctx.cwd,
      host: stringFlag(args, 'host') ?? defaultHost,
      port,
      logger: ctx.logger,
    });
    // stderr in every mode (also --json): the URL is what the user needs first
    ctx.stderr.write(`slsa-ledger serve: dashboard at ${server.url} (${server.engine}; Ctrl-C to stop)\n`);
    const signal = await untilStopSignal();
    await server.close();
    return {
      result: { url: server.url, engine: server.engine, stopped_by: signal },
      human: `stopped (${signal})`,
    };
  },
};
