import type { Readable, Writable } from 'node:stream';
import type { Logger } from '../core/ports.js';

/** One flag of a command. Flag names are the kebab-case of the app function's option fields. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly description: string;
  readonly multiple?: boolean;
  readonly short?: string;
  readonly required?: boolean;
  /**
   * an empty value (`--flag=`) means something here; otherwise it is a usage error
   * (`USAGE_INVALID_FLAG`, args.ts `refuseEmptyValues`)
   */
  readonly allowEmpty?: boolean;
  /** shown in --help, e.g. FILE, URL, N */
  readonly valueName?: string;
  readonly default?: string | boolean;
  /**
   * a FILE/DIR option that is not a path on this machine but inside the repository (`reports-dir`,
   * `artifacts-dir`) or a name (`dispatch --workflow`): taken from `.slsa-ledger.yml` as written;
   * every other FILE/DIR value there is relative to the file (`isConfigPath`)
   */
  readonly isRepositoryPath?: boolean;
  /**
   * the credential from the environment this URL receives (`fulcio-url`: the OIDC identity token;
   * `supabase-url`: SLSA_MANIFEST_SERVICE_KEY): never taken from `.slsa-ledger.yml`, which anyone
   * who can push may write, only from the command line (or the option's environment variable)
   */
  readonly receivesCredential?: string;
  /**
   * a file the command writes (`--out`, `--vsa-out`): an empty value is a usage error before
   * anything is done (resolved, '' would name the working directory)
   */
  readonly isOutputPath?: boolean;
}

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  /** e.g. `attest FILE… [options]` */
  readonly usage: string;
  readonly description?: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** positional arguments are accepted; `min` of them required */
  readonly positionals?: { readonly name: string; readonly min?: number; readonly max?: number };
  readonly examples?: readonly string[];
}

export type FlagValue = string | boolean | string[] | undefined;

export interface ParsedArgs {
  readonly values: Readonly<Record<string, FlagValue>>;
  readonly positionals: readonly string[];
  /** the flags given on the command line (not the config file's defaults) */
  readonly given?: ReadonlySet<string>;
}

/** What a command gets from the shell: streams, environment, working directory. */
export interface CommandContext {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly stdin: Readable;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly json: boolean;
  readonly verbose: boolean;
  /** stderr is a terminal: progress bars are drawn */
  readonly isTty: boolean;
  readonly logger: Logger;
}

export interface CommandResult {
  /** JSON-serialisable result, printed as `{"ok":true,"result":…}` with --json */
  readonly result: unknown;
  /** human rendering, printed on stderr without --json */
  readonly human?: string;
  /** data the user asked for on stdout (e.g. --print-provenance); printed in both modes */
  readonly stdout?: string;
  /** non-zero for a result that is not a plain success (e.g. 75 queued, 1 for a batch with failures) */
  readonly exitCode?: number;
}

export interface CommandModule {
  readonly spec: CommandSpec;
  run(args: ParsedArgs, ctx: CommandContext): Promise<CommandResult>;
}
