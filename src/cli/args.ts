import { parseArgs } from 'node:util';
import { SlsaLedgerError } from '../errors.js';
import type { CommandSpec, FlagValue, OptionSpec, ParsedArgs } from './command.js';

/** Flags every command takes. */
export const globalOptions = {
  json: {
    type: 'boolean',
    description: 'machine output on stdout: {"ok":true,"result":…} or {"ok":false,"error":…}',
  },
  verbose: { type: 'boolean', description: 'more detail on stderr, and error details' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
} as const;

function hint(spec: CommandSpec): string {
  return `run 'slsa-ledger ${spec.name} --help' for usage`;
}

/**
 * An empty value given on the command line (`--source-uri=`, `--data-dir ''`) is a usage error: an
 * expected value of '' would fail a check (or pass one) that the caller never meant, and a folder
 * of '' is the working directory. Flags whose empty value means something say so (`allowEmpty`).
 * The config file's defaults are not checked here (an empty one there reads as absent where the
 * command says so).
 */
function refuseEmptyValues(spec: CommandSpec, values: Readonly<Record<string, FlagValue>>): void {
  for (const [name, o] of Object.entries(spec.options)) {
    if (o.type !== 'string' || o.allowEmpty === true) continue;
    const given = values[name];
    if (given === '' || (Array.isArray(given) && given.includes(''))) {
      throw new SlsaLedgerError(
        'USAGE_INVALID_FLAG',
        `--${name} takes a value, got an empty one; ${hint(spec)}`,
        {
          details: { flag: name },
        },
      );
    }
  }
}

/**
 * Parses argv strictly against the command's flags. `defaults` come from the config file and are
 * overridden by flags. Unknown or missing flags are usage errors (exit 2) with a one-line hint.
 */
export function parseCommandArgs(
  spec: CommandSpec,
  argv: readonly string[],
  defaults: Readonly<Record<string, FlagValue>> = {},
): ParsedArgs {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const [name, o] of Object.entries({ ...spec.options, ...globalOptions })) {
    options[name] = {
      type: o.type,
      ...('multiple' in o && o.multiple ? { multiple: true } : {}),
      ...('short' in o && o.short ? { short: o.short } : {}),
    };
  }
  let parsed: { values: Record<string, FlagValue>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (error) {
    const code = (error as { code?: string }).code;
    // node's own words ("Unknown option '--x'", "Option '--key <value>' argument missing"), lower-cased
    // at the start as every other message of the CLI
    const first = (error as Error).message.split('\n')[0] || 'invalid arguments';
    const message = first.charAt(0).toLowerCase() + first.slice(1);
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      throw new SlsaLedgerError(
        'USAGE_UNKNOWN_FLAG',
        `${message.replace(/\. To specify.*$/, '')}; ${hint(spec)}`,
        {
          cause: error,
        },
      );
    }
    throw new SlsaLedgerError('USAGE_INVALID_FLAG', `${message}; ${hint(spec)}`, { cause: error });
  }
  if (parsed.values.help === true) return { values: parsed.values, positionals: parsed.positionals };
  refuseEmptyValues(spec, parsed.values);

  const values: Record<string, FlagValue> = {};
  for (const [name, o] of Object.entries(spec.options)) {
    const given = parsed.values[name];
    const fallback = defaults[name] ?? o.default;
    values[name] = given ?? fallback;
    if (o.required === true && values[name] === undefined) {
      throw new SlsaLedgerError('USAGE_MISSING_FLAG', `missing required flag --${name}; ${hint(spec)}`, {
        details: { flag: name },
      });
    }
    if (o.isOutputPath === true && values[name] === '') {
      throw new SlsaLedgerError(
        'USAGE_INVALID_FLAG',
        `--${name} takes a file name, got an empty value; ${hint(spec)}`,
        { details: { flag: name, value: '' } },
      );
    }
  }
  for (const name of Object.keys(globalOptions)) values[name] = parsed.values[name];

  const p = spec.positionals;
  if (p === undefined && parsed.positionals.length > 0) {
    throw new SlsaLedgerError(
      'USAGE_INVALID_FLAG',
      `unexpected argument '${parsed.positionals[0] ?? ''}'; ${hint(spec)}`,
    );
  }
  if (p !== undefined && parsed.positionals.length < (p.min ?? 0)) {
    throw new SlsaLedgerError('USAGE_MISSING_ARGUMENT', `missing ${p.name}; ${hint(spec)}`);
  }
  if (p?.max !== undefined && parsed.positionals.length > p.max) {
    throw new SlsaLedgerError(
      'USAGE_INVALID_FLAG',
      `too many arguments (at most ${p.max} ${p.name}); ${hint(spec)}`,
    );
  }
  return { values, positionals: parsed.positionals, given: new Set(Object.keys(parsed.values)) };
}

/** A string flag, or undefined. */
export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  if (Array.isArray(v)) return v[v.length - 1];
  return typeof v === 'string' ? v : undefined;
}

/** A repeated string flag (empty when absent). */
export function listFlag(args: ParsedArgs, name: string): string[] {
  const v = args.values[name];
  if (Array.isArray(v)) return v;
  return typeof v === 'string' ? [v] : [];
}

export function booleanFlag(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true;
}

/** An integer flag within [min, max], or undefined; anything else is a usage error. */
export function integerFlag(
  args: ParsedArgs,
  name: string,
  range: { min?: number; max?: number } = {},
): number | undefined {
  const raw = stringFlag(args, name);
  if (raw === undefined) return undefined;
  const min = range.min ?? Number.MIN_SAFE_INTEGER;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(Number(raw)) || Number(raw) < min || Number(raw) > max) {
    throw new SlsaLedgerError(
      'USAGE_INVALID_FLAG',
      `--${name} takes a whole number from ${min} to ${max}, got '${raw}'`,
      {
        details: { flag: name, value: raw },
      },
    );
  }
  return Number(raw);
}

/** `k=v` pairs from a repeated flag, e.g. `--input a=1 --input b=2`. */
export function keyValueFlag(args: ParsedArgs, name: string): Record<string, string> | undefined {
  const list = listFlag(args, name);
  if (list.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0) {
      throw new SlsaLedgerError('USAGE_INVALID_FLAG', `--${name} takes key=value, got '${item}'`, {
        details: { flag: name, value: item },
      });
    }
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** Renders `--help` for a command from its spec. */
export function renderHelp(spec: CommandSpec): string {
  const lines = [`usage: slsa-ledger ${spec.usage}`, '', spec.summary];
  if (spec.description) lines.push('', spec.description);
  const all: Record<string, OptionSpec> = { ...spec.options, ...globalOptions };
  const rows = Object.entries(all).map(([name, o]) => {
    const short = o.short ? `-${o.short}, ` : '';
    const value = o.type === 'string' ? ` ${o.valueName ?? 'VALUE'}` : '';
    const extra = [
      o.required ? 'required' : '',
      // a description that already says how it repeats is not told twice
      o.multiple && !/\brepeatable\b/.test(o.description) ? 'repeatable' : '',
      o.default !== undefined ? `default: ${String(o.default)}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    return [`  ${short}--${name}${value}`, `${o.description}${extra ? ` (${extra})` : ''}`] as const;
  });
  const width = Math.min(36, Math.max(...rows.map(([l]) => l.length)) + 2);
  lines.push('', 'options:');
  for (const [left, right] of rows) {
    lines.push(
      left.length >= width ? `${left}\n${' '.repeat(width)}${right}` : `${left.padEnd(width)}${right}`,
    );
  }
  if (spec.examples?.length) lines.push('', 'examples:', ...spec.examples.map((e) => `  ${e}`));
  return `${lines.join('\n')}\n`;
}
