// Git's object format, for a writer that builds a small commit without starting a process
// (issue 14 performance: `git fast-import` and the `unpack-objects` it starts cost two processes
// per record). Objects are written as git writes loose objects: zlib of "<type> <size>\0<body>",
// named by its SHA-1, into a temporary file linked into place (an existing object is never
// rewritten). Only SHA-1 repositories; the caller falls back to fast-import for anything else.
import { createHash } from 'node:crypto';
import { link, mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

/** One entry of a tree object; `oid` in hex. */
export interface TreeEntry {
  /** `100644`, `100755`, `120000`, `160000`, or `40000` for a tree (as git writes it) */
  readonly mode: string;
  readonly name: string;
  readonly oid: string;
}

/** The body of a tree object: entries in git's order (a tree's name sorts as if it ended in `/`). */
export function treeBody(entries: readonly TreeEntry[]): Buffer {
  const key = (e: TreeEntry): Buffer => Buffer.from(e.mode === '40000' ? `${e.name}/` : e.name, 'utf8');
  const sorted = [...entries].sort((a, b) => Buffer.compare(key(a), key(b)));
  return Buffer.concat(
    sorted.flatMap((e) => [Buffer.from(`${e.mode} ${e.name}\0`, 'utf8'), Buffer.from(e.oid, 'hex')]),
  );
}

/** The entries of a tree object's body (`<mode> <name>\0<raw id>`, repeated); undefined when malformed. */
export function parseTreeBody(bytes: Buffer, oidBytes: number): TreeEntry[] | undefined {
  const entries: TreeEntry[] = [];
  let at = 0;
  while (at < bytes.length) {
    const space = bytes.indexOf(0x20, at);
    const nul = space === -1 ? -1 : bytes.indexOf(0, space + 1);
    if (space === -1 || nul === -1 || nul + 1 + oidBytes > bytes.length) return undefined;
    entries.push({
      mode: bytes.subarray(at, space).toString('latin1'),
      name: bytes.subarray(space + 1, nul).toString('utf8'),
      oid: bytes.subarray(nul + 1, nul + 1 + oidBytes).toString('hex'),
    });
    at = nul + 1 + oidBytes;
  }
  return entries;
}

/** An object as stored: its id and the uncompressed "<type> <size>\0<body>". */
export function gitObject(type: 'blob' | 'tree' | 'commit', body: Uint8Array): { oid: string; raw: Buffer } {
  const raw = Buffer.concat([Buffer.from(`${type} ${body.length}\0`, 'latin1'), body]);
  return { oid: createHash('sha1').update(raw).digest('hex'), raw };
}

/**
 * Writes a loose object into `objectsDir` (as `git hash-object -w` does) and returns its id. An
 * object already there is left as it is. `level` is the zlib level (`core.looseCompression`).
 */
export async function writeLooseObject(
  objectsDir: string,
  type: 'blob' | 'tree' | 'commit',
  body: Uint8Array,
  level: number,
): Promise<string> {
  const { oid, raw } = gitObject(type, body);
  const dir = join(objectsDir, oid.slice(0, 2));
  const path = join(dir, oid.slice(2));
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `tmp_obj_slsa_${process.pid}_${Math.random().toString(36).slice(2)}`);
  const handle = await open(tmp, 'wx', 0o444);
  try {
    await handle.writeFile(deflateSync(raw, { level }));
  } finally {
    await handle.close();
  }
  try {
    await link(tmp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      await rm(tmp, { force: true });
      throw error;
    }
  }
  await rm(tmp, { force: true });
  return oid;
}
