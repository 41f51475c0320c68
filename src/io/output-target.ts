// An output file the command writes only at its end, checked before the command changes anything
// (`validate --record --vsa-out`: the VSA is written after the ledger took the verdict, so a target
// that cannot take a file must be refused before anything is verified or pushed).
import { lstat, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { UsageError } from '../errors.js';
import { fileKind } from './files.js';

/**
 * Refuses an output file path whose folder is missing or not a folder, or that names an existing
 * directory, FIFO, device, socket or symbolic link: what the one writer (`writeFileAtomic`) would
 * refuse once the ledger moved (a regular file there is replaced, as the writer does).
 * @throws UsageError `USAGE_INVALID_FLAG` (exit 2), `details: { flag, path }`
 */
export async function checkOutputFileTarget(path: string, flag: string): Promise<void> {
  const refuse = (why: string): never => {
    throw new UsageError('USAGE_INVALID_FLAG', `--${flag} must name a file in an existing folder: ${why}`, {
      details: { flag, path },
    });
  };
  const parent = await stat(dirname(path)).catch(() => undefined);
  if (parent === undefined) refuse(`the folder ${dirname(path)} does not exist`);
  else if (!parent.isDirectory()) refuse(`${dirname(path)} is not a folder`);
  const target = await lstat(path).catch(() => undefined);
  if (target !== undefined && !target.isFile()) {
    refuse(`${path} is ${fileKind(target)}`);
  }
}
