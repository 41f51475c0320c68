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

// A tree object's body is read as latin1 text: one code unit a byte, so string order is git's byte
// order, and V8's own string builtins (`indexOf`, `startsWith`, `<`) find and compare entries. An
// entry is `<mode> <name>\0<id>`: its mode ends at the first space, its name at the next NUL.
// Each loop below does a few builtin calls an entry and nothing else: in a five-year ledger the
// `docs/reports` tree has ~1,800 entries, and a byte loop in JavaScript (or `Buffer` methods, whose
// argument checks are JavaScript) ran long enough there for V8 to optimise these functions in
// every record, ~200 M instructions of compiling that Node waits for at exit (issue 14,
// docs/ledger.md "Twenty-first session").

/** `name` as latin1 text of its UTF-8 bytes, the form the loops below compare. */
const latin1Of = (name: string): string => Buffer.from(name, 'utf8').toString('latin1');

/** A tree's body after `editTreeBody`, and the entries it replaced (the first of a name). */
export interface EditedTree {
  readonly body: Buffer;
  readonly replaced: ReadonlyMap<string, TreeChange>;
}

/**
 * The body of the tree `body` with `changes` applied (names added or replaced, whatever they were
 * before), and what each replaced name was: one pass over the raw entries, nothing parsed but the
 * names that sort near a change, so a folder of thousands of day folders costs one copy.
 * Undefined when `body` is malformed.
 */
export function editTreeBody(
  body: Buffer,
  oidBytes: number,
  changes: ReadonlyMap<string, TreeChange>,
): EditedTree | undefined {
  // git's order: a folder's name sorts as if it ended in `/`
  const pending = [...changes].map(([name, c]) => ({
    key: latin1Of(c.mode === '40000' ? `${name}/` : name),
    entry: Buffer.concat([Buffer.from(`${c.mode} ${name}\0`, 'utf8'), Buffer.from(c.oid, 'hex')]),
  }));
  pending.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const text = body.toString('latin1');
  // where an entry a change names (as a file or as a folder) may start its name: the next place
  // its ` <name>\0` occurs; only a place that is an entry's own space counts
  // (a name holding a NUL names no entry)
  const names = [...changes.keys()].filter((n) => !n.includes('\0')).map((n) => ` ${latin1Of(n)}\0`);
  const nextAt = (from: number): number =>
    names.reduce((min, n) => {
      const i = text.indexOf(n, from);
      return i !== -1 && (min === -1 || i < min) ? i : min;
    }, -1);
  let hit = nextAt(0);
  const replaced = new Map<string, TreeChange>();
  const parts: Buffer[] = [];
  let next = 0;
  let at = 0;
  let kept = 0; // the untouched run of entries since `kept` is copied as one slice
  while (at < text.length) {
    const space = text.indexOf(' ', at);
    const nul = space === -1 ? -1 : text.indexOf('\0', space + 1);
    const end = nul + 1 + oidBytes;
    if (nul === -1 || end > text.length) return undefined;
    if (next < pending.length) {
      // `40000` is the one five-digit mode (files, links and submodules have six)
      const name = space - at === 5 ? `${text.slice(space + 1, nul)}/` : text.slice(space + 1, nul);
      while (next < pending.length && name > pending[next]!.key) {
        parts.push(body.subarray(kept, at), pending[next]!.entry);
        kept = at;
        next += 1;
      }
    }
    if (hit !== -1 && hit < end) {
      // a changed name: the entry is replaced
      if (hit === space) {
        parts.push(body.subarray(kept, at));
        kept = end;
        const name = body.toString('utf8', space + 1, nul);
        if (!replaced.has(name))
          replaced.set(name, { mode: text.slice(at, space), oid: body.toString('hex', nul + 1, end) });
      }
      hit = nextAt(end);
    }
    at = end;
  }
  parts.push(body.subarray(kept));
  for (; next < pending.length; next++) parts.push(pending[next]!.entry);
  return { body: Buffer.concat(parts), replaced };
}

/** The entry `name` of a tree object's body, or undefined (also when the body is malformed). */
export function findInTree(
  body: Buffer,
  oidBytes: number,
  name: string,
): { mode: string; oid: string } | undefined {
  if (name.includes('\0')) return undefined; // no entry's name holds one
  const text = body.toString('latin1');
  const wanted = ` ${latin1Of(name)}\0`;
  // the entry starts its name where ` <name>\0` occurs at an entry's own space: none, no entry
  let hit = text.indexOf(wanted);
  let at = 0;
  while (hit !== -1 && at < text.length) {
    const space = text.indexOf(' ', at);
    const nul = space === -1 ? -1 : text.indexOf('\0', space + 1);
    const end = nul + 1 + oidBytes;
    if (nul === -1 || end > text.length) return undefined;
    if (hit === space) return { mode: text.slice(at, space), oid: body.toString('hex', nul + 1, end) };
    if (hit < end) hit = text.indexOf(wanted, end);
    at = end;
  }
  return undefined;
}

/** The entries of a tree object's body (names, modes, ids), or undefined when it is malformed. */
export function listTree(
  body: Buffer,
  oidBytes: number,
): { mode: string; name: string; oid: string }[] | undefined {
  const out: { mode: string; name: string; oid: string }[] = [];
  const text = body.toString('latin1');
  let at = 0;
  while (at < text.length) {
    const space = text.indexOf(' ', at);
    const nul = space === -1 ? -1 : text.indexOf('\0', space + 1);
    const end = nul + 1 + oidBytes;
    if (nul === -1 || end > text.length) return undefined;
    out.push({
      mode: text.slice(at, space),
      name: body.toString('utf8', space + 1, nul),
      oid: body.toString('hex', nul + 1, end),
    });
    at = end;
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
