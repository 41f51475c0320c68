// Tree bodies read and edited in-process (src/io/git-objects.ts), held to git itself: `git mktree`
// builds the expected tree (git's own entry order, a folder sorting as if its name ended in `/`)
// and `git ls-tree` lists what a body holds.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inflateSync } from 'node:zlib';
import { editTreeBody, findInTree, listTree, writeLooseObject, type TreeChange } from './git-objects.js';

let repo: string;
beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), 'git-objects-'));
  execFileSync('git', ['init', '-q', repo]);
});
afterAll(() => rmSync(repo, { recursive: true, force: true }));

interface Item {
  readonly mode: string;
  readonly name: string;
  readonly oid: string;
}

const git = (args: string[], input?: string | Buffer): Buffer =>
  execFileSync('git', args, { cwd: repo, ...(input === undefined ? {} : { input }), maxBuffer: 1 << 26 });

const line = (i: Item): string => `${i.mode} ${i.mode === '40000' ? 'tree' : 'blob'} ${i.oid}\t${i.name}\n`;

/** The ids of the trees `git mktree --batch` writes for each list of `trees` (objects need not exist). */
function treesOf(trees: readonly (readonly Item[])[]): string[] {
  const ids = git(['mktree', '--missing', '--batch'], trees.map((t) => t.map(line).join('')).join('\n'));
  return ids.toString().trim().split('\n');
}

/** The bodies of the trees git builds from each list of `trees`, one `cat-file --batch` for all. */
function bodiesOf(trees: readonly (readonly Item[])[]): Buffer[] {
  const ids = treesOf(trees);
  const out = git(['cat-file', '--batch'], ids.map((id) => `${id}\n`).join(''));
  const bodies: Buffer[] = [];
  let at = 0;
  for (const id of ids) {
    const nl = out.indexOf(0x0a, at);
    const [got, , size] = out.toString('latin1', at, nl).split(' ');
    expect(got).toBe(id);
    bodies.push(out.subarray(nl + 1, nl + 1 + Number(size)));
    at = nl + 1 + Number(size) + 1;
  }
  return bodies;
}

const mktree = (items: readonly Item[]): Buffer => bodiesOf([items])[0]!;

// names around the folder's `/` (0x2f): `-` 0x2d, `.` 0x2e, `0` 0x30, prefixes of each other, bytes above 0x7f
const nameArb = fc.stringMatching(/^[a-cé][-.0a-cé~]{0,3}$/); // é: UTF-8 bytes above 0x7f
const oidArb = fc.stringMatching(/^[0-9a-f]{40}$/);
const modeArb = fc.constantFrom('40000', '100644', '100755', '120000');
const itemsArb = fc.uniqueArray(fc.record({ mode: modeArb, name: nameArb, oid: oidArb }), {
  selector: (i) => i.name,
  maxLength: 12,
});
// a fixed seed: the same cases in every run, all sent to git in one process
const sample = <T>(arb: fc.Arbitrary<T>, n: number): T[] => fc.sample(arb, { numRuns: n, seed: 14 });

describe('tree bodies against git', () => {
  it('editTreeBody gives the tree git builds from the entries with the changes applied', () => {
    const cases = sample(fc.tuple(itemsArb, itemsArb), 300);
    const bodies = bodiesOf(
      cases.flatMap(([before, changed]) => {
        const names = new Set(changed.map((c) => c.name));
        return [before, [...before.filter((i) => !names.has(i.name)), ...changed]];
      }),
    );
    cases.forEach(([before, changed], k) => {
      const changes = new Map<string, TreeChange>(changed.map((c) => [c.name, { mode: c.mode, oid: c.oid }]));
      const edited = editTreeBody(bodies[2 * k]!, 20, changes);
      expect(edited?.body).toEqual(bodies[2 * k + 1]);
      // what each changed name was before (git writes a folder's mode as 40000)
      const was = before
        .filter((i) => changes.has(i.name))
        .map((i) => [i.name, { mode: i.mode, oid: i.oid }]);
      expect(edited?.replaced).toEqual(new Map(was as [string, TreeChange][]));
    });
  });

  it('findInTree and listTree read what git ls-tree lists', () => {
    const cases = sample(fc.tuple(itemsArb, nameArb), 60); // one ls-tree a case
    const ids = treesOf(cases.map(([items]) => items));
    const bodies = bodiesOf(cases.map(([items]) => items));
    cases.forEach(([, probe], k) => {
      const lsTree = git(['ls-tree', '-z', '--full-tree', ids[k]!])
        .toString()
        .split('\0')
        .filter((l) => l !== '')
        .map((l) => {
          const [meta, name] = l.split('\t') as [string, string];
          const [mode, , oid] = meta.split(' ') as [string, string, string];
          return { mode: mode.replace(/^0/, ''), name, oid };
        });
      expect(listTree(bodies[k]!, 20)).toEqual(lsTree);
      const hit = lsTree.find((i) => i.name === probe);
      expect(findInTree(bodies[k]!, 20, probe)).toEqual(
        hit === undefined ? undefined : { mode: hit.mode, oid: hit.oid },
      );
    });
  });
});

describe('tree bodies: boundaries', () => {
  const oid = 'ab'.repeat(20);
  it('a folder sorts as if its name ended in "/": "a-" < "a" (folder) < "a0", and "a." < "a/" ', () => {
    const body = mktree([
      { mode: '100644', name: 'a0', oid },
      { mode: '100644', name: 'a-', oid },
      { mode: '40000', name: 'a', oid },
    ]);
    expect(listTree(body, 20)?.map((i) => i.name)).toEqual(['a-', 'a', 'a0']);
    const edited = editTreeBody(body, 20, new Map([['a.', { mode: '100644', oid }]]));
    expect(listTree(edited!.body, 20)?.map((i) => i.name)).toEqual(['a-', 'a.', 'a', 'a0']);
    // a file "a" sorts before "a-" (shorter first), a folder "a" after "a." ("a/" > "a.")
    const asFile = editTreeBody(body, 20, new Map([['a', { mode: '100644', oid }]]));
    expect(listTree(asFile!.body, 20)?.map((i) => `${i.mode} ${i.name}`)).toEqual([
      '100644 a',
      '100644 a-',
      '100644 a0',
    ]);
  });

  it('finds a name only whole: neither a prefix nor a longer name', () => {
    const body = mktree([
      { mode: '40000', name: '2025-12-01', oid },
      { mode: '40000', name: '2025-12-011', oid: 'cd'.repeat(20) },
    ]);
    expect(findInTree(body, 20, '2025-12-0')).toBeUndefined();
    expect(findInTree(body, 20, '2025-12-01')).toEqual({ mode: '40000', oid });
    expect(findInTree(body, 20, '2025-12-011')).toEqual({ mode: '40000', oid: 'cd'.repeat(20) });
    expect(findInTree(body, 20, '2025-12-0111')).toBeUndefined();
  });

  it("a name is found only at an entry's own space: not inside a longer name, an id, or with a NUL", () => {
    // the bytes " 2025-12-01\0" also end the name "x 2025-12-01"; an id may hold any bytes
    const inId = Buffer.from(' b\0', 'latin1').toString('hex').padEnd(40, '0');
    const body = mktree([
      { mode: '100644', name: 'x 2025-12-01', oid },
      { mode: '100644', name: 'a', oid: inId },
      { mode: '40000', name: 'z', oid },
    ]);
    expect(findInTree(body, 20, '2025-12-01')).toBeUndefined();
    expect(findInTree(body, 20, 'x 2025-12-01')).toEqual({ mode: '100644', oid });
    expect(findInTree(body, 20, 'b')).toBeUndefined();
    expect(findInTree(body, 20, 'a\0 b')).toBeUndefined(); // " a\0" and the id's " b\0"
    expect(findInTree(body, 20, 'z')).toEqual({ mode: '40000', oid });
    const edited = editTreeBody(
      body,
      20,
      new Map([
        ['2025-12-01', { mode: '40000', oid }],
        ['b', { mode: '100644', oid }],
      ]),
    );
    expect(listTree(edited!.body, 20)?.map((i) => i.name)).toEqual([
      '2025-12-01',
      'a',
      'b',
      'x 2025-12-01',
      'z',
    ]);
  });

  it('a change whose name holds a NUL replaces no entry', () => {
    const inId = Buffer.from(' b\0', 'latin1').toString('hex').padEnd(40, '0');
    const body = mktree([{ mode: '100644', name: 'a', oid: inId }]);
    const edited = editTreeBody(body, 20, new Map([['a\0 b', { mode: '100644', oid }]]));
    expect(edited?.body.subarray(0, body.length)).toEqual(body);
    expect(edited?.replaced.size).toBe(0);
  });

  it('an entry with an empty mode is still an entry, as the scan before this one took it', () => {
    const id = Buffer.from(oid, 'hex');
    // the first id holds " b\0" too: the search goes on right where the next entry starts
    const inId = Buffer.from(' b\0'.padEnd(20, '\0'), 'latin1');
    const body = Buffer.concat([Buffer.from('100644 a\0'), inId, Buffer.from(' b\0'), id]);
    expect(findInTree(body, 20, 'b')).toEqual({ mode: '', oid });
    expect(listTree(body, 20)?.map((i) => i.mode)).toEqual(['100644', '']);
  });

  it('a malformed body gives undefined: no space, no NUL, a cut id', () => {
    const good = mktree([{ mode: '100644', name: 'x', oid }]);
    const cases = [Buffer.from('100644'), Buffer.from('100644 x'), good.subarray(0, good.length - 1)];
    for (const body of [...cases, Buffer.concat([good, Buffer.from('40000 y\0')])]) {
      expect(listTree(body, 20)).toBeUndefined();
      expect(findInTree(body, 20, 'zz')).toBeUndefined();
      expect(editTreeBody(body, 20, new Map([['zz', { mode: '100644', oid }]]))).toBeUndefined();
    }
    expect(editTreeBody(Buffer.alloc(0), 20, new Map([['x', { mode: '100644', oid }]]))?.body).toEqual(good);
  });
});

describe('writeLooseObject', () => {
  it('git reads objects of every size back byte for byte, and fsck finds nothing', () => {
    const own = mkdtempSync(join(tmpdir(), 'git-objects-loose-'));
    const inOwn = (args: string[], input?: Buffer): Buffer =>
      execFileSync('git', args, { cwd: own, ...(input === undefined ? {} : { input }), maxBuffer: 1 << 26 });
    inOwn(['init', '-q']);
    const objects = join(own, '.git', 'objects');
    // repetitive text (a day file's keys) and bytes that do not compress
    const bodies = [0, 1, 511, 512, 513, 4_000, 16_384, 16_385, 70_000, 300_000].map((n, k) =>
      k % 2 === 0
        ? Buffer.from('{"tag":"v1.2.3","run_id":12345,"status":"success"}\n'.repeat(n).slice(0, n))
        : Buffer.from(Array.from({ length: n }, (_, i) => (i * 7919 + k) % 251)),
    );
    for (const body of bodies) {
      const oid = writeLooseObject(objects, 'blob', body, 1);
      expect(inOwn(['hash-object', '--stdin'], body).toString().trim()).toBe(oid);
      expect(inOwn(['cat-file', 'blob', oid]).equals(body)).toBe(true);
      const stored = readFileSync(join(objects, oid.slice(0, 2), oid.slice(2)));
      expect(inflateSync(stored).equals(Buffer.concat([Buffer.from(`blob ${body.length}\0`), body]))).toBe(
        true,
      );
    }
    inOwn(['fsck', '--strict', '--no-dangling']);
    rmSync(own, { recursive: true, force: true });
  });
});
