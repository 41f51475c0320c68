// `.slsa-ledger.yml`: where it is found and how it is read, for every reader of it (the flag defaults
// of `src/cli/config.ts`, the `ledger:` section, the `trust:` policy). One bounded reader: a regular
// file (a symlink, a FIFO, a device or a directory is refused without following or blocking), at
// most `otherLimits.yamlBytes`, valid UTF-8, bounded YAML (src/core/input/bounded-yaml.ts).
import { lstatSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { otherLimits } from '../core/input/limits.js';
import { SlsaLedgerError } from '../errors.js';
import { readInputFile } from './files.js';

export const CONFIG_FILE_NAME = '.slsa-ledger.yml';

/**
 * `.slsa-ledger.yml` of the repository `dir` is in: the nearest one from `dir` up to the repository
 * root (the nearest folder holding `.git`), never above it. Outside any repository, only `dir`'s
 * own: a folder above (`/tmp`, a shared home) may belong to someone else, and its file would set
 * the trust policy and the flags of every command run below it.
 */
export function findConfigFileFrom(dir: string): string | undefined {
  const start = resolve(dir);
  let root: string | undefined;
  for (let at = start; root === undefined;) {
    if (present(join(at, '.git'))) root = at;
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (let at = start; ; at = dirname(at)) {
    const candidate = join(at, CONFIG_FILE_NAME);
    if (present(candidate)) return candidate;
    if (root === undefined || at === root || dirname(at) === at) return undefined;
  }
}

// anything at the path, a dangling symbolic link included (read, and refused, as what it is)
function present(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads a config file as a mapping; undefined when it is empty (or only comments).
 * @throws `CONFIG_INVALID` (not YAML, not UTF-8, over a YAML limit, not a mapping), the INPUT_FILE_*
 *   codes and `INPUT_TOO_LARGE` (exit 3)
 */
export async function readConfigFile(path: string): Promise<Record<string, unknown> | undefined> {
  const bytes = await readInputFile(path, 'config', { maxBytes: otherLimits.yamlBytes });
  // loaded only when there is a file to parse: the YAML library is ~10 ms of every command's start
  // (a `record` without a config file never loads it; docs/ledger.md "Sixteenth session")
  const { parseBoundedYamlValue } = await import('../core/input/bounded-yaml.js');
  const doc = parseBoundedYamlValue(bytes, path, 'CONFIG_INVALID');
  if (doc === null || doc === undefined) return undefined;
  if (typeof doc !== 'object' || Array.isArray(doc) || doc instanceof Uint8Array || doc instanceof Map) {
    throw new SlsaLedgerError('CONFIG_INVALID', `${path}: expected a mapping`, { details: { file: path } });
  }
  return doc as Record<string, unknown>;
}

/** A section of the config (`ledger`, `trust`, a command's name): an own key only, never an inherited one. */
export function configSection(doc: Record<string, unknown> | undefined, name: string): unknown {
  return doc !== undefined && Object.hasOwn(doc, name) ? doc[name] : undefined;
}
