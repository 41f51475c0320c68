import { dirname, isAbsolute, resolve } from 'node:path';
import { SlsaLedgerError } from '../errors.js';
import { CONFIG_FILE_NAME, configSection, findConfigFileFrom, readConfigFile } from '../io/config-file.js';
import type { CommandSpec, FlagValue, OptionSpec } from './command.js';

export const configFileName = CONFIG_FILE_NAME;

/**
 * Finds `.slsa-ledger.yml`: the nearest from `cwd` up to the repository root (the nearest directory
 * with `.git`), else (outside a repository) in `cwd` only.
 */
export function findConfigFile(cwd: string): string | undefined {
  return findConfigFileFrom(cwd);
}

/**
 * Reads the flag defaults for one command from the config file: a mapping of command name to a
 * mapping of flag name to value. Secrets are never read from it (there are no secret flags).
 */
export async function loadConfigDefaults(cwd: string, spec: CommandSpec): Promise<Record<string, FlagValue>> {
  const file = findConfigFile(cwd);
  if (file === undefined) return {};
  const doc = await readConfigFile(file);
  if (doc === undefined) return {};
  const section = configSection(doc, spec.name);
  if (section === undefined || section === null) return {};
  if (typeof section !== 'object' || Array.isArray(section)) {
    throw new SlsaLedgerError('CONFIG_INVALID', `${file}: '${spec.name}' must be a mapping of flags`, {
      details: { file, command: spec.name },
    });
  }
  const out: Record<string, FlagValue> = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(section as Record<string, unknown>)) {
    // an own flag only: `constructor`, `toString` or `__proto__` name no flag
    const o = Object.hasOwn(spec.options, key) ? spec.options[key] : undefined;
    if (o === undefined) {
      problems.push(`${spec.name}.${key}: unknown flag`);
      continue;
    }
    if (o.receivesCredential !== undefined) {
      // a pusher's `record: {fulcio-url: https://evil}` would otherwise send them the credential
      problems.push(
        `${spec.name}.${key}: not read from ${CONFIG_FILE_NAME} (it receives ${o.receivesCredential}); pass --${key}`,
      );
      continue;
    }
    if (o.type === 'boolean') {
      if (typeof value !== 'boolean') problems.push(`${spec.name}.${key}: expected true or false`);
      else out[key] = value;
      continue;
    }
    const many = o.multiple === true && (Array.isArray(value) || isConfigPath(o) || key === 'ledger');
    const list = many && Array.isArray(value) ? (value as unknown[]) : [value];
    const texts = list.map(configText);
    const bad = texts.findIndex((t) => t === undefined || typeof t !== 'string');
    if (bad !== -1) {
      const t = texts[bad];
      problems.push(
        `${spec.name}.${key}: ${typeof t === 'object' ? 'holds a control character' : many ? 'expected a string or a list of strings' : 'expected a string'}`,
      );
      continue;
    }
    const strings = texts as string[];
    if (key === 'ledger' && many) {
      // a ledger's clone is relative to the file, which is found from any folder below it
      out[key] = strings.map((v) => ledgerRelativeTo(dirname(file), v));
    } else if (many) {
      // a path is relative to the file, as the ledger list is, not to the folder the command runs in
      out[key] = isConfigPath(o) ? strings.map((v) => pathRelativeTo(dirname(file), v)) : strings;
    } else {
      out[key] = isConfigPath(o) ? pathRelativeTo(dirname(file), strings[0]!) : strings[0]!;
    }
  }
  if (problems.length > 0) {
    throw new SlsaLedgerError('CONFIG_INVALID', `${file}: ${problems.join('; ')}`, {
      details: { file, problems },
    });
  }
  return out;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * A flag's value as the command line would hold it: a string or a finite number; a string with a
 * control character (`"a\0b"`, a line break) is `{ control: true }`; anything else undefined.
 */
function configText(value: unknown): string | { control: true } | undefined {
  const text =
    typeof value === 'string'
      ? value
      : typeof value === 'number' && Number.isFinite(value)
        ? String(value)
        : undefined;
  if (text === undefined) return undefined;
  return CONTROL.test(text) ? { control: true } : text;
}

/** `OWNER/NAME=DIR` with a relative DIR made absolute against `base`; anything else as it is. */
export function ledgerRelativeTo(base: string, value: string): string {
  const eq = value.indexOf('=');
  if (eq === -1) return value;
  const dir = value.slice(eq + 1).trim();
  return dir === '' || isAbsolute(dir) ? value : `${value.slice(0, eq)}=${resolve(base, dir)}`;
}

/** A value naming a file or folder on this machine (FILE, DIR, a public key file), not a repository path. */
export function isConfigPath(option: OptionSpec): boolean {
  if (option.type !== 'string' || option.isRepositoryPath === true) return false;
  return ['FILE', 'DIR', 'FILE|-', 'PUB'].includes(option.valueName ?? '');
}

/** A relative path made absolute against `base`; `-` (stdin) and absolute paths as they are. */
export function pathRelativeTo(base: string, value: string): string {
  return value === '-' || value === '' || isAbsolute(value) ? value : resolve(base, value);
}
