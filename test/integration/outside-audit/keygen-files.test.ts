// keygen's files under attack or failure: a failed write leaves every path as it was (with --force
// too: the old pair survives), a symlink at a path is never followed and never removed without
// --force, and the private key is 0600.
import {
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readlink,
  readdir,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../support/cli.js';

const env = { PATH: process.env.PATH, HOME: process.env.HOME };
const keygen = (cwd: string, ...args: string[]) =>
  runCliCaptured(['keygen', '--json', ...args], { env, cwd });

async function withOldPair() {
  const dir = await mkdtemp(join(tmpdir(), 'outside-keygen-'));
  const first = await keygen(dir, '--out', 'old.key');
  expect(first.code, first.stderr).toBe(0);
  return {
    dir,
    privateKey: await readFile(join(dir, 'old.key'), 'utf8'),
    publicKey: await readFile(join(dir, 'old.pub'), 'utf8'),
  };
}

describe('keygen leaves every file as it was when it fails', () => {
  it('--force with a public key path that cannot be written keeps the old private key', async () => {
    const s = await withOldPair();
    const r = await keygen(
      s.dir,
      '--out',
      'old.key',
      '--public-out',
      join(s.dir, 'missing-dir', 'x.pub'),
      '--force',
    );
    expect(r.code).toBe(5);
    expect(r.json().error!.code).toBe('OUTPUT_WRITE_FAILED');
    expect(await readFile(join(s.dir, 'old.key'), 'utf8')).toBe(s.privateKey);
    expect(await readFile(join(s.dir, 'old.pub'), 'utf8')).toBe(s.publicKey);
    expect((await readdir(s.dir)).sort()).toEqual(['old.key', 'old.pub']);
  });

  it('--force with a directory at the public key path keeps the old private key', async () => {
    const s = await withOldPair();
    await mkdir(join(s.dir, 'pubdir'));
    const r = await keygen(s.dir, '--out', 'old.key', '--public-out', 'pubdir', '--force');
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBe(70);
    expect(await readFile(join(s.dir, 'old.key'), 'utf8')).toBe(s.privateKey);
    expect((await readdir(s.dir)).sort()).toEqual(['old.key', 'old.pub', 'pubdir']);
  });

  it('without --force, a dangling symlink at --out is an existing file: refused and left in place', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outside-keygen-'));
    await symlink(join(dir, 'not-there'), join(dir, 'release.key'));
    const r = await keygen(dir, '--out', 'release.key');
    expect(r.code).toBe(2);
    expect(r.json().error!.code).toBe('OUTPUT_EXISTS');
    expect(await readlink(join(dir, 'release.key'))).toBe(join(dir, 'not-there'));
    expect((await readdir(dir)).sort()).toEqual(['release.key']);
  });

  it('without --force, a dangling symlink at the public key path: refused, no private key left behind', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outside-keygen-'));
    await symlink(join(dir, 'not-there'), join(dir, 'release.pub'));
    const r = await keygen(dir, '--out', 'release.key');
    expect(r.json().error!.code).toBe('OUTPUT_EXISTS');
    expect((await readdir(dir)).sort()).toEqual(['release.pub']);
    expect((await lstat(join(dir, 'release.pub'))).isSymbolicLink()).toBe(true);
  });

  it('--force replaces a symlink at --out with a 0600 file and never writes to its target', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outside-keygen-'));
    const target = join(dir, 'authorized_keys');
    await writeFile(target, 'ssh-ed25519 AAAA victim\n', { mode: 0o644 });
    await symlink(target, join(dir, 'release.key'));
    const r = await keygen(dir, '--out', 'release.key', '--force');
    expect(r.code, r.stderr).toBe(0);
    expect(await readFile(target, 'utf8')).toBe('ssh-ed25519 AAAA victim\n');
    const info = await lstat(join(dir, 'release.key'));
    expect(info.isFile()).toBe(true);
    expect(info.mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'release.pub'))).isFile()).toBe(true);
    expect((await readdir(dir)).sort()).toEqual(['authorized_keys', 'release.key', 'release.pub']);
  });
});
