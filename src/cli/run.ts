import { readFileSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { isSlsaLedgerError, SlsaLedgerError } from '../errors.js';
import { parseCommandArgs, renderHelp } from './args.js';
import type { CommandContext, CommandResult } from './command.js';
import type { CommandEntry } from './commands/index.js';
import { loadConfigDefaults } from './config.js';
import { createStderrLogger } from './logger.js';
import { publicLogRefusal } from './public-log.js';
import { limits } from '../core/input/limits.js';
import { readJsonFile } from '../io/files.js';
import { withSecrets } from '../io/redaction.js';
import { collectSecrets, redact } from './redact.js';
import {
  escapeUnprintable,
  escapeUnprintableLines,
  stringifyJsonPrintable,
} from '../core/text/unprintable.js';

export interface CliIo {
  readonly stdout?: Writable;
  readonly stderr?: Writable;
  readonly stdin?: Readable;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  /** draw progress bars (default: stderr is a TTY) */
  readonly isTty?: boolean;
}

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** The commands a runner knows: every one (main.ts) or a writer's own (writers.ts). */
export type CommandTable = Readonly<Record<string, CommandEntry>>;

function topLevelHelp(commands: CommandTable): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length)) + 2;
  const rows = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}${c.summary}`);
  return [
    'usage: slsa-ledger <command> [options]',
    '',
    'Bind every release tag to verifiable SLSA provenance and keep an auditable ledger of it.',
    '',
    'commands:',
    ...rows,
    '',
    'Every command takes --help, --json and --verbose. Exit codes: 0 ok, 1 negative verdict, 2 usage,',
    '3 invalid input, 4 conflict, 5 unavailable (retry), 75 queued, 70 internal error.',
    '',
  ].join('\n');
}

/**
 * GitHub's event payload (GITHUB_EVENT_PATH, at most 16 MiB), or undefined when absent or
 * unreadable. Read as every outside file is (docs/limits.md): a regular file only, bounded before
 * and while reading, so a FIFO there cannot hang every command nor `/dev/zero` fill the memory.
 * The Action's entry point (src/action/main.ts) reads it here too.
 */
export async function readGithubEvent(path: string | undefined): Promise<unknown> {
  if (path === undefined || path === '') return undefined;
  try {
    return await readJsonFile(path, 'GITHUB_EVENT_PATH', githubEventLimits);
  } catch {
    return undefined;
  }
}

const githubEventLimits = { ...limits.apiResponse, maxBytes: 16 * 1024 * 1024 };

/**
 * Runs the CLI in-process over a table of commands and returns the exit code. The sole owner of
 * stdout, stderr and the exit code; the one top-level catch maps SlsaLedgerError codes to exit codes
 * and anything else to 70. `runCli` (main.ts) passes every command.
 */
export async function runCliWith(
  commands: CommandTable,
  argv: readonly string[],
  io: CliIo = {},
): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const env = io.env ?? process.env;
  const secrets = collectSecrets(env);
  const hide = (s: string): string => redact(s, secrets);
  const out = (s: string): void => void stdout.write(hide(s));
  const err = (s: string): void => void stderr.write(hide(s));
  // human text quotes what inputs say: never a raw terminal control (the logger escapes its lines
  // too). Redacted once, before it is escaped: a secret holding a character the escape rewrites (a
  // line break, a no-break space) is still found; the escaped text is then written as it is.
  const errHidden = (s: string): void => void stderr.write(s);
  const errText = (s: string): void => errHidden(escapeUnprintableLines(hide(s)));
  const json = argv.includes('--json');
  const verbose = argv.includes('--verbose');

  const first = argv.findIndex((a) => !a.startsWith('-'));
  const name = first === -1 ? undefined : argv[first];
  const rest = first === -1 ? [] : [...argv.slice(0, first), ...argv.slice(first + 1)];
  try {
    if (name === undefined) {
      if (argv.includes('--version') || argv.includes('-V')) {
        const version = packageVersion();
        if (json) out(`${stringifyJsonPrintable({ ok: true, result: { version } })}\n`);
        else out(`${version}\n`);
        return 0;
      }
      const other = argv.find((a) => a !== '--help' && a !== '-h' && a !== '--json' && a !== '--verbose');
      if (other !== undefined) {
        throw new SlsaLedgerError(
          'USAGE_UNKNOWN_FLAG',
          `unknown option '${other}'; run 'slsa-ledger --help' for usage`,
        );
      }
      err(topLevelHelp(commands));
      if (argv.includes('--help') || argv.includes('-h')) return 0;
      // no command (`slsa-ledger`, `slsa-ledger --json`, `slsa-ledger --verbose`): one usage error,
      // exit 2, an error envelope with --json
      throw new SlsaLedgerError(
        'USAGE_MISSING_ARGUMENT',
        "missing command; run 'slsa-ledger --help' for usage",
      );
    }
    const entry = commands[name];
    if (entry === undefined) {
      throw new SlsaLedgerError(
        'USAGE_UNKNOWN_COMMAND',
        `unknown command '${name}'; run 'slsa-ledger --help' for the list`,
      );
    }
    const { command } = await entry.load();
    if (rest.includes('--help') || rest.includes('-h')) {
      err(renderHelp(command.spec));
      return 0;
    }
    const cwd = io.cwd ?? process.cwd();
    const defaults = await loadConfigDefaults(cwd, command.spec);
    // in a private repository's workflow, keyless signing never reaches the public log unopted,
    // whether the command runs through the action or as `npx slsa-ledger` in a `run:` step. The
    // config's defaults are flags too (`attest: {sigstore: true}`, `validate: {record: true}` sign
    // keyless as the flags do); a Rekor of one's own counts only from the command line or the
    // environment, never from the file (which a pusher may write)
    if (env.GITHUB_ACTIONS === 'true') {
      const fromConfig = Object.entries(defaults)
        .filter(([flag, value]) => flag !== 'rekor-url' && value !== false)
        .map(([flag]) => `--${flag}`);
      const refusal = publicLogRefusal(
        [name, ...rest, ...fromConfig],
        await readGithubEvent(env.GITHUB_EVENT_PATH),
        env,
      );
      if (refusal !== undefined) throw new SlsaLedgerError('PUBLIC_LOG_REFUSED', refusal);
    }
    const args = parseCommandArgs(command.spec, rest, defaults);
    const isTty = io.isTty ?? (stderr as { isTTY?: boolean }).isTTY === true;
    const ctx: CommandContext = {
      stdout,
      stderr,
      stdin: io.stdin ?? process.stdin,
      env,
      cwd,
      json,
      verbose,
      isTty,
      logger: createStderrLogger({ isTty, verbose, quiet: json, write: errHidden, redact: hide }),
    };
    // files the command writes are redacted with the same secrets as its output
    // a secret learnt while running (an OIDC token fetched for keyless signing) is added to
    // `secrets`, and in GitHub Actions the runner is asked to mask it in the job's log (its
    // `add-mask` command, read on stderr as on stdout; the value is a JWT: no line break)
    const mask =
      env.GITHUB_ACTIONS === 'true'
        ? (value: string): void => void stderr.write(`::add-mask::${value}\n`)
        : undefined;
    const result: CommandResult = await withSecrets(secrets, () => command.run(args, ctx), mask);
    if (result.stdout !== undefined) out(result.stdout.endsWith('\n') ? result.stdout : `${result.stdout}\n`);
    if (json) out(`${stringifyJsonPrintable({ ok: true, result: result.result ?? null })}\n`);
    else if (result.human !== undefined && result.human !== '') {
      errText(result.human.endsWith('\n') ? result.human : `${result.human}\n`);
    }
    return result.exitCode ?? 0;
  } catch (error) {
    if (isSlsaLedgerError(error)) {
      if (json) {
        out(
          `${stringifyJsonPrintable({ ok: false, error: { code: error.code, message: error.message, details: error.details ?? {} } })}\n`,
        );
      } else {
        // one line, whatever the message quotes (a source a provenance claims once held
        // "\nPASSED widget": a forged verdict line under the real one); then the error's own lines
        errHidden(`slsa-ledger: ${error.code}: ${escapeUnprintable(hide(error.message))}\n`);
        for (const line of error.lines) errHidden(`${escapeUnprintable(hide(line))}\n`);
        if (verbose && error.details !== undefined) err(`${stringifyJsonPrintable(error.details, 2)}\n`);
        if (verbose && error.cause instanceof Error)
          errText(`cause: ${error.cause.stack ?? error.cause.message}\n`);
      }
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    if (json) {
      out(
        `${stringifyJsonPrintable({ ok: false, error: { code: 'INTERNAL', message: `internal error: ${message}`, details: {} } })}\n`,
      );
    }
    errText(`slsa-ledger: internal error, please report: ${message}\n`);
    errText(`${error instanceof Error ? (error.stack ?? '') : ''}\n`);
    return 70;
  }
}
