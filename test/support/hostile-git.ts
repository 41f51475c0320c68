// Hostile commits for the readers' tests: any blob at any mode under any path, with or without
// trailers, made with plumbing (no checkout, so a 540 MB blob never reaches a work tree), and a
// 540 MB whitespace blob written straight into the object store, streaming (it compresses to
// about 0.5 MB, as a pusher would send it).
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDeflate } from 'node:zlib';
import { fixedGitEnv, git } from './git.js';

/** `git args` with `input` on stdin; stdout without the final newline. */
export function gitInput(cwd: string, args: readonly string[], input: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', [...args], { cwd, env: fixedGitEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(Buffer.concat(out).toString('utf8').replace(/\n$/, ''))
        : reject(new Error(`git ${args.join(' ')}: ${Buffer.concat(err).toString('utf8')}`)),
    );
    child.stdin.end(input);
  });
}

export const sha256 = (bytes: string | Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** Writes a blob; returns its id. */
export function writeBlob(repo: string, bytes: string | Buffer): Promise<string> {
  return gitInput(repo, ['hash-object', '-w', '--stdin'], bytes);
}

/** The provenance trailers `record` writes. */
export function trailers(tag: string, runId: number | string, path: string, fileSha256: string): string {
  return `Provenance-Run-Id: ${runId}\nProvenance-Tag: ${tag}\nManifest-Path: ${path}\nManifest-Sha256: ${fileSha256}`;
}

/**
 * Commits `files` (path -> {oid, mode}, or null to delete) on top of the clone's HEAD with a
 * temporary index, moves HEAD's branch to it, and returns the commit. The work tree is not touched.
 */
export async function commitBlobs(
  clone: string,
  files: Readonly<Record<string, { oid: string; mode?: string } | null>>,
  message: string,
): Promise<string> {
  const env = {
    ...fixedGitEnv(),
    GIT_INDEX_FILE: join(tmpdir(), `readers-index-${randomBytes(6).toString('hex')}`),
  };
  await git(clone, ['read-tree', 'HEAD'], env);
  for (const [path, blob] of Object.entries(files)) {
    if (blob === null) await git(clone, ['update-index', '--force-remove', '--', path], env);
    else
      await git(
        clone,
        ['update-index', '--add', '--cacheinfo', `${blob.mode ?? '100644'},${blob.oid},${path}`],
        env,
      );
  }
  const tree = await git(clone, ['write-tree'], env);
  const commit = await gitInput(clone, ['commit-tree', tree, '-p', 'HEAD', '-F', '-'], message);
  await git(clone, ['update-ref', 'HEAD', commit]);
  return commit;
}

/** Commits text files with the trailers naming `tag`/`runId` and the first file's hash. */
export async function commitText(
  clone: string,
  path: string,
  text: string | Buffer,
  who: { tag: string; runId: number | string } | undefined,
  extra: Readonly<Record<string, string>> = {},
): Promise<string> {
  const oid = await writeBlob(clone, text);
  const files: Record<string, { oid: string }> = { [path]: { oid } };
  for (const [p, t] of Object.entries(extra)) files[p] = { oid: await writeBlob(clone, t) };
  const subject = `provenance: record ${who?.tag ?? 'x'} (run ${who?.runId ?? 0}, success)`;
  return commitBlobs(
    clone,
    files,
    who === undefined ? subject : `${subject}\n\n${trailers(who.tag, who.runId, path, sha256(text))}`,
  );
}

/** Writes `size` bytes of spaces as a loose blob into `gitDir`, streaming (zlib level 9); returns its id. */
export async function writeWhitespaceBlob(gitDir: string, size: number): Promise<string> {
  const header = Buffer.from(`blob ${size}\0`);
  const chunk = Buffer.alloc(1 << 20, 0x20);
  const hash = createHash('sha1');
  const tmp = join(gitDir, 'objects', `tmp-readers-${randomBytes(6).toString('hex')}`);
  const out = createWriteStream(tmp);
  const z = createDeflate({ level: 9, memLevel: 9 });
  z.pipe(out);
  hash.update(header);
  z.write(header);
  let left = size;
  await new Promise<void>((resolve, reject) => {
    out.on('close', resolve);
    out.on('error', reject);
    const write = (): void => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        const c = chunk.subarray(0, n);
        hash.update(c);
        if (!z.write(c)) {
          z.once('drain', write);
          return;
        }
      }
      z.end();
    };
    write();
  });
  const oid = hash.digest('hex');
  mkdirSync(join(gitDir, 'objects', oid.slice(0, 2)), { recursive: true });
  renameSync(tmp, join(gitDir, 'objects', oid.slice(0, 2), oid.slice(2)));
  return oid;
}
