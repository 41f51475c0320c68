import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { SlsaLedgerError } from '../errors.js';
import type { CommandSpec, FlagValue, OptionSpec } from './command.js';

export const configFileName = '.slsa-ledger.yml';

/** Finds `.slsa-ledger.yml` at the repository root (the nearest directory with `.git`), else in cwd. */
export function findConfigFile(cwd: string): string | undefined {
  let dir = cwd;
  for (;;) {
    const candidate = join(dir, configFileName);
    if (existsSync(candidate)) return candidate;
    if (existsSync(join(dir, '.git'))) return undefined;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * Reads the flag defaults for one command from the config file: a mapping of command name to a
 * mapping of flag name to value. Secrets are never read from it (there are no secret flags).
 */
export async function loadConfigDefaults(cwd: string, spec: CommandSpec): Promise<Record<string, FlagValue>> {
  const file = findConfigFile(cwd);
  if (file === undefined) return {};
  const { parse } = await import('yaml');
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new SlsaLedgerError(
      'CONFIG_INVALID',
      `${file}: not valid YAML: ${(error as Error).message.split('\n')[0]}`,
      {
        cause: error,
        details: { file },
      },
    );
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new SlsaLedgerError('CONFIG_INVALID', `${file}: expected a mapping of command names to flags`, {
      details: { file },
    });
  }
  const section = (doc as Record<string, unknown>)[spec.name];
  if (section === undefined || section === null) return {};
  if (typeof section !== 'object' || Array.isArray(section)) {
    throw new SlsaLedgerError('CONFIG_INVALID', `${file}: '${spec.name}' must be a mapping of flags`, {
      details: { file, command: spec.name },
    });
  }
  const out: Record<string, FlagValue> = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(section as Record<string, unknown>)) {
    const o = spec.options[key];
    if (o === undefined) {
      problems.push(`${spec.name}.${key}: unknown flag`);
      continue;
    }
    if (o.type === 'boolean') {
      if (typeof value !== 'boolean') problems.push(`${spec.name}.${key}: expected true or false`);
      else out[key] = value;
    } else if (
      key === 'ledger' &&
      o.multiple === true &&
      (Array.isArray(value) || typeof value === 'string')
    ) {
      // a ledger's clone is relative to the file, which is found from any folder below it
      out[key] = (Array.isArray(value) ? value : [value]).map((v) =>
        ledgerRelativeTo(dirname(file), String(v)),
      );
    } else if (
      o.multiple === true &&
      (Array.isArray(value) || (isConfigPath(o) && typeof value === 'string'))
    ) {
      // a path is relative to the file, as the ledger list is, not to the folder the command runs in
      const list = (Array.isArray(value) ? value : [value]).map(String);
      out[key] = isConfigPath(o) ? list.map((v) => pathRelativeTo(dirname(file), v)) : list;
    } else if (typeof value === 'string' || typeof value === 'number') {
      out[key] = isConfigPath(o) ? pathRelativeTo(dirname(file), String(value)) : String(value);
    } else {
      problems.push(`${spec.name}.${key}: expected a string`);
    }
  }
  if (problems.length > 0) {
    throw new SlsaLedgerError('CONFIG_INVALID', `${file}: ${problems.join('; ')}`, {
      details: { file, problems },
    });
  }
  return out;
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
