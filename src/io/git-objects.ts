// Git's object format, for a writer that builds a small commit without starting a process
// (issue 14 performance: `git fast-import` and the `unpack-objects` it starts cost two processes
// per record). Objects are written as git writes loose objects: zlib of "<type> <size>\0<body>",
// named by its SHA-1, into a temporary file linked into place (an existing object is never
// rewritten). Only SHA-1 repositories; the caller falls back to fast-import for anything else.
import { createHash } from 'node:crypto';
import { linkSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

/** A change to one name of a tree: a new or replaced entry (`oid` in hex). */
export interface TreeChange {
  readonly mode: string;
  readonly oid: string;
}

/** Compares the sort key of the entry named `body[start, end)` (a tree's name ends in `/`) with `key`. */
function compareKey(body: Buffer, start: number, end: number, isTree: boolean, key: Buffer): number {
  const n = end - start + (isTree ? 1 : 0);
  const m = Math.min(n, key.length);
  for (let i = 0; i < m; i++) {
    const c = start + i < end ? body[start + i]! : 0x2f;
    const d = key[i]!;
    if (c !== d) return c < d ? -1 : 1;
  }
  return n === key.length ? 0 : n < key.length ? -1 : 1;
}

/**
 * The body of the tree `body` with `changes` applied (names added or replaced, whatever they were
 * before): one pass over the raw entries, nothing parsed but the names that sort near a change,
 * so a folder of thousands of day folders costs one copy. Undefined when `body` is malformed.
 */
export function editTreeBody(
  body: Buffer,
  oidBytes: number,
  changes: ReadonlyMap<string, TreeChange>,
): Buffer | undefined {
  const pending = [...changes].map(([name, c]) => ({
    name: Buffer.from(name, 'utf8'),
    key: Buffer.from(c.mode === '40000' ? `${name}/` : name, 'utf8'),
    entry: Buffer.concat([Buffer.from(`${c.mode} ${name}\0`, 'utf8'), Buffer.from(c.oid, 'hex')]),
  }));
  pending.sort((a, b) => Buffer.compare(a.key, b.key));
  const parts: Buffer[] = [];
  let next = 0;
  let at = 0;
  let kept = 0; // the untouched run of entries since `kept` is copied as one slice
  const n = body.length;
  while (at < n) {
    // plain byte loops: a folder of thousands of entries, read once, mostly by cold code
    let space = at;
    while (space < n && body[space] !== 0x20) space++;
    let nul = space + 1;
    while (nul < n && body[nul] !== 0) nul++;
    const end = nul + 1 + oidBytes;
    if (space >= n || nul >= n || end > n) return undefined;
    // `40000` is the one five-digit mode (files, links and submodules have six)
    const isTree = space - at === 5;
    while (next < pending.length && compareKey(body, space + 1, nul, isTree, pending[next]!.key) > 0) {
      parts.push(body.subarray(kept, at), pending[next]!.entry);
      kept = at;
      next += 1;
    }
    // an entry a change names (as a file or as a folder) is replaced
    const length = nul - space - 1;
    for (const p of pending) {
      if (p.name.length === length && compareKey(body, space + 1, nul, false, p.name) === 0) {
        parts.push(body.subarray(kept, at));
        kept = end;
        break;
      }
    }
    at = end;
  }
  parts.push(body.subarray(kept, n));
  for (; next < pending.length; next++) parts.push(pending[next]!.entry);
  return Buffer.concat(parts);
}

/** The entry `name` of a tree object's body, or undefined (also when the body is malformed). */
export function findInTree(
  body: Buffer,
  oidBytes: number,
  name: string,
): { mode: string; oid: string } | undefined {
  const wanted = Buffer.from(name, 'utf8');
  const n = body.length;
  let at = 0;
  while (at < n) {
    let space = at;
    while (space < n && body[space] !== 0x20) space++;
    let nul = space + 1;
    while (nul < n && body[nul] !== 0) nul++;
    if (space >= n || nul >= n || nul + 1 + oidBytes > n) return undefined;
    if (nul - space - 1 === wanted.length && compareKey(body, space + 1, nul, false, wanted) === 0) {
      return {
        mode: body.toString('latin1', at, space),
        oid: body.toString('hex', nul + 1, nul + 1 + oidBytes),
      };
    }
    at = nul + 1 + oidBytes;
  }
  return undefined;
}

/** The entries of a tree object's body (names, modes, ids), or undefined when it is malformed. */
export function listTree(
  body: Buffer,
  oidBytes: number,
): { mode: string; name: string; oid: string }[] | undefined {
  const out: { mode: string; name: string; oid: string }[] = [];
  const n = body.length;
  let at = 0;
  while (at < n) {
    const space = body.indexOf(0x20, at);
    const nul = space === -1 ? -1 : body.indexOf(0, space + 1);
    if (space === -1 || nul === -1 || nul + 1 + oidBytes > n) return undefined;
    out.push({
      mode: body.toString('latin1', at, space),
      name: body.toString('utf8', space + 1, nul),
      oid: body.toString('hex', nul + 1, nul + 1 + oidBytes),
    });
    at = nul + 1 + oidBytes;
  }
  return out;
}

/** An object as stored: its id and the uncompressed "<type> <size>\0<body>". */
export function gitObject(type: 'blob' | 'tree' | 'commit', body: Uint8Array): { oid: string; raw: Buffer } {
  const raw = Buffer.concat([Buffer.from(`${type} ${body.length}\0`, 'latin1'), body]);
  return { oid: createHash('sha1').update(raw).digest('hex'), raw };
}

/**
 * Writes a loose object into `objectsDir` (as `git hash-object -w` does) and returns its id. An
 * object already there is left as it is. `level` is the zlib level (`core.looseCompression`).
 * Synchronous on purpose: a commit is a dozen small objects, and each asynchronous open, write,
 * close, link and unlink is a trip through libuv's thread pool (~40 ms a record in a clone of five
 * years of day files against ~3 ms done in line; issue 14 performance).
 */
export function writeLooseObject(
  objectsDir: string,
  type: 'blob' | 'tree' | 'commit',
  body: Uint8Array,
  level: number,
): string {
  const { oid, raw } = gitObject(type, body);
  const dir = join(objectsDir, oid.slice(0, 2));
  const path = join(dir, oid.slice(2));
  const tmp = join(dir, `tmp_obj_slsa_${process.pid}_${Math.random().toString(36).slice(2)}`);
  const data = deflateSync(raw, { level });
  try {
    writeFileSync(tmp, data, { flag: 'wx', mode: 0o444 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, data, { flag: 'wx', mode: 0o444 });
  }
  try {
    linkSync(tmp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      rmSync(tmp, { force: true });
      throw error;
    }
  }
  rmSync(tmp, { force: true });
  return oid;
}
