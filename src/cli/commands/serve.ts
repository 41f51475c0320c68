import {
  defaultHost,
  defaultPort,
  parseInterval,
  serveDashboard,
  statementTimeoutBounds,
} from '../../app/serve.js';
import { parseLedgerSpecs } from '../../core/ingest/repository.js';
import { booleanFlag, integerFlag, listFlag, stringFlag } from '../args.js';
import type { CommandModule } from '../command.js';
import { databaseOptions, databaseTarget } from '../database-flags.js';
import { ingestAlertOf } from '../ingest-alert.js';
import { loadConfigDefaults } from '../config.js';
import type { FlagValue } from '../command.js';
import { command as ingestCommand } from './ingest.js';

function configuredLedgers(defaults: Record<string, FlagValue>): string[] {
  const value = defaults.ledger;
  return Array.isArray(value) ? value.map(String) : typeof value === 'string' ? [value] : [];
}
import type { IngestAlert } from '../../app/ingest.js';

function alertOption(alert: ((a: IngestAlert) => Promise<void>) | undefined): {
  alert?: (a: IngestAlert) => Promise<void>;
} {
  return alert === undefined ? {} : { alert };
}

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
    usage:
      'serve [--port N] [--host ADDR [--allow-remote]] [--allowed-host NAME]… [--trusted-proxy ADDR|CIDR]… [--rate-limit N] [--statement-timeout DURATION] [--ingest-every DURATION [--repo DIR] [--ledger OWNER/NAME=DIR]…] [--database-url URL | --data-dir DIR]',
    description:
      'Serves the KPI dashboard page and a read-only JSON API (/api/kpi, /api/runs, /api/runs/:tag/:run_id, /healthz) until Ctrl-C or SIGTERM. Reads as the database role slsa_kpi_reader (SELECT on the views only). Prints the URL on stderr. The API has no authentication: a --host that is not loopback is refused unless --allow-remote is given (and then warned about). Requests addressed to a name other than a loopback name, an IP literal (beyond loopback) or a --allowed-host name are refused (421, DNS rebinding). Beyond loopback each client address may make --rate-limit requests a minute (default 300; 429 past it). Behind a reverse proxy, --trusted-proxy names it: from that peer the client is the address X-Forwarded-For gives (read from the right, trusted proxies skipped); from anyone else the header is ignored. On PostgreSQL every statement is cancelled after --statement-timeout (default 10s; 503 DB_QUERY_TIMEOUT). With --ingest-every (e.g. 5m) the server also ingests the ledgers (--repo, --ledger as ingest takes them) in this process, now and then on that schedule, so an embedded database is never opened by a second process. On PostgreSQL the server also listens for ingests by other processes and reads the windows of the page ahead after them; give it the direct or session-mode URL (a pooler in transaction mode, such as port 6543 on Supabase, delivers no notifications: serve warns, and stays correct but slower after each ingest). Database from --database-url, else DATABASE_URL, else the embedded database, which must exist (a mistyped --data-dir is an error, exit 3) unless --ingest-every creates it.',
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
      'allow-remote': {
        type: 'boolean',
        description: 'allow a --host that is not loopback (anyone who reaches it reads every run)',
      },
      'allowed-host': {
        type: 'string',
        multiple: true,
        valueName: 'NAME',
        description:
          'a host name clients reach the server by (repeatable); any other name in Host is refused (421). Default: loopback names, and beyond loopback IP addresses',
      },
      'trusted-proxy': {
        type: 'string',
        multiple: true,
        valueName: 'ADDR|CIDR',
        description:
          'a reverse proxy in front of the server (repeatable): from it, the client is the rightmost untrusted X-Forwarded-For address; the rate limit then applies also on loopback (default 300)',
      },
      'rate-limit': {
        type: 'string',
        valueName: 'N',
        description:
          'requests a minute per client address, bursts of N/5 (0: no limit; default 300 beyond loopback or with --trusted-proxy, none on loopback)',
      },
      'statement-timeout': {
        type: 'string',
        valueName: 'DURATION',
        default: '10s',
        description:
          'PostgreSQL: cancel any dashboard statement after DURATION (100ms to 60s); 503 DB_QUERY_TIMEOUT',
      },
      'ingest-every': {
        type: 'string',
        valueName: 'DURATION',
        description: 'ingest in this process now and then every DURATION (30s, 5m, 1h; 10s to 7d)',
      },
      repo: {
        type: 'string',
        valueName: 'DIR',
        description: 'with --ingest-every: the ledger clone',
        default: '.',
      },
      ledger: {
        type: 'string',
        multiple: true,
        valueName: 'OWNER/NAME[=DIR]',
        description: 'with --ingest-every: the ledgers to ingest, as ingest takes them',
      },
      'reports-dir': {
        isRepositoryPath: true,
        type: 'string',
        valueName: 'DIR',
        description: 'with --ingest-every: ledger folder in the repository',
        default: 'docs/reports',
      },
      ...databaseOptions,
    },
    examples: [
      'slsa-ledger serve                       # http://127.0.0.1:8080/ on .slsa-ledger/db',
      'slsa-ledger serve --ingest-every 5m --repo ../ledger',
      'slsa-ledger serve --port 0 --database-url postgres://postgres@127.0.0.1:5432/ledger',
      'slsa-ledger serve --host 0.0.0.0 --allow-remote --allowed-host dash.internal   # behind your own authenticating proxy',
      'slsa-ledger serve --allowed-host dash.example.com --trusted-proxy 127.0.0.1   # nginx on this machine in front',
    ],
  },
  async run(args, ctx) {
    const port = integerFlag(args, 'port', { min: 0, max: 65_535 }) ?? defaultPort;
    const every = stringFlag(args, 'ingest-every');
    const rateLimit = integerFlag(args, 'rate-limit', { min: 0, max: 1_000_000 });
    // the organisation's list is written once, for ingest: serve's own ingest takes it too
    const ledgers =
      listFlag(args, 'ledger').length > 0 || every === undefined
        ? listFlag(args, 'ledger')
        : configuredLedgers(await loadConfigDefaults(ctx.cwd, ingestCommand.spec));
    const server = await serveDashboard({
      ...databaseTarget(args, ctx.env),
      cwd: ctx.cwd,
      host: stringFlag(args, 'host') ?? defaultHost,
      port,
      allowRemote: booleanFlag(args, 'allow-remote'),
      allowedHosts: listFlag(args, 'allowed-host'),
      trustedProxies: listFlag(args, 'trusted-proxy'),
      ...(rateLimit === undefined ? {} : { rateLimitPerMinute: rateLimit }),
      statementTimeoutMs: parseInterval(
        stringFlag(args, 'statement-timeout') ?? '10s',
        'statement-timeout',
        statementTimeoutBounds,
      ),
      ...(every === undefined
        ? {}
        : {
            ingestEveryMs: parseInterval(every),
            ingest: {
              repo: stringFlag(args, 'repo') ?? '.',
              reportsDir: stringFlag(args, 'reports-dir') ?? 'docs/reports',
              ...(ledgers.length === 0 ? {} : { ledgers: parseLedgerSpecs(ledgers) }),
              ...alertOption(ingestAlertOf(ctx, { repeatAfterMs: 60 * 60 * 1000 })),
            },
          }),
      logger: ctx.logger,
    });
    // stderr in every mode (also --json): the URL is what the user needs first
    ctx.stderr.write(
      `slsa-ledger serve: dashboard at ${server.url} (${server.engine}${every === undefined ? '' : `, ingesting every ${every}`}; Ctrl-C to stop)\n`,
    );
    const signal = await untilStopSignal();
    await server.close();
    return {
      result: { url: server.url, engine: server.engine, stopped_by: signal },
      human: `stopped (${signal})`,
    };
  },
};
