import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { checkLedger } from '../../../src/app/check.js';
import { recordEntry } from '../../../src/app/record.js';
import { cloneRemote, commitFiles, createRemote, git, makeTempDir } from '../../support/git.js';
import { makeEntry } from '../../support/ledger.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
beforeAll(async () => {
  tmp = await makeTempDir();
});
afterAll(() => tmp?.cleanup());

it('record signs when commit.gpgsign is set; check --require-signed verifies every ledger commit', async () => {
  const remote = await createRemote(tmp.path);
  const clone = await cloneRemote(remote, join(tmp.path, 'clone'));
  const key = join(tmp.path, 'signing-key');
  await promisify(execFile)('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'test', '-f', key]);
  const pub = (await readFile(`${key}.pub`, 'utf8')).trim();
  await writeFile(join(tmp.path, 'allowed_signers'), `author@example.test ${pub}\n`);
  for (const [k, v] of [
    ['gpg.format', 'ssh'],
    ['user.signingkey', key],
    ['commit.gpgsign', 'true'],
    ['gpg.ssh.allowedSignersFile', join(tmp.path, 'allowed_signers')],
  ] as const) {
    await git(clone, ['config', k, v]);
  }
  const r = await recordEntry({ repoDir: clone, entry: makeEntry(), lockDir: join(tmp.path, 'locks') });
  expect(r.outcome).toBe('committed');
  await git(clone, ['pull', '-q', '--ff-only', 'origin', 'main']);
  await git(clone, ['verify-commit', r.commit!]);
  expect((await checkLedger({ repoDir: clone, requireSigned: true })).findings).toEqual([]);

  // an unsigned commit touching the ledger is found
  await git(clone, ['config', 'commit.gpgsign', 'false']);
  await commitFiles(
    clone,
    { 'docs/reports/2025-11-24/manifest.json': (await readFile(join(clone, r.path), 'utf8')) + ' ' },
    'touch',
  );
  // the commit is local: check reads the remote's ledger branch by default, the clone with ref HEAD
  const codes = (await checkLedger({ repoDir: clone, ref: 'HEAD', requireSigned: true })).findings.map(
    (f) => f.code,
  );
  expect(codes).toContain('CHECK_UNSIGNED_COMMIT');
});

it("attack: an unsigned commit whose subject holds the log's separators and a signed commit's id is still CHECK_UNSIGNED_COMMIT", async () => {
  const remote = await createRemote(tmp.path, 'separators.git');
  const clone = await cloneRemote(remote, join(tmp.path, 'separators'));
  const key = join(tmp.path, 'separators-key');
  await promisify(execFile)('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'test', '-f', key]);
  const pub = (await readFile(`${key}.pub`, 'utf8')).trim();
  await writeFile(join(tmp.path, 'separators-signers'), `author@example.test ${pub}\n`);
  for (const [k, v] of [
    ['gpg.format', 'ssh'],
    ['user.signingkey', key],
    ['commit.gpgsign', 'true'],
    ['gpg.ssh.allowedSignersFile', join(tmp.path, 'separators-signers')],
  ] as const) {
    await git(clone, ['config', k, v]);
  }
  const failed = makeEntry({ status: 'failure', artifact_url: null, failure_reason: 'tests failed' });
  const r = await recordEntry({ repoDir: clone, entry: failed, lockDir: join(tmp.path, 'locks') });
  expect(r.outcome).toBe('committed');
  await git(clone, ['pull', '-q', '--ff-only', 'origin', 'main']);
  expect((await checkLedger({ repoDir: clone, requireSigned: true })).findings).toEqual([]);

  // the pusher has no signing key: an unsigned commit with a change the merge rule allows and
  // trailers that match it, whose subject starts a fake record naming the signed commit
  await git(clone, ['config', 'commit.gpgsign', 'false']);
  const { createHash } = await import('node:crypto');
  const { serializeManifest } = await import('../../../src/core/ledger/entry.js');
  const [was] = JSON.parse(await readFile(join(clone, r.path), 'utf8')) as Record<string, unknown>[];
  const { failure_reason: _dropped, ...rest } = was!;
  const text = serializeManifest([
    makeEntry({
      ...rest,
      status: 'success',
      timestamp: '2025-11-24T10:30:00Z',
      artifact_url: 'https://evil.example/app.tgz',
    }),
  ]);
  const subject = 'provenance: record v1.2.3 (run 101, success)';
  await commitFiles(
    clone,
    { [r.path]: text },
    `${subject}\x1e${r.commit!}\x1f${subject}\n\nProvenance-Run-Id: 101\nProvenance-Tag: v1.2.3\nManifest-Path: ${r.path}\nManifest-Sha256: ${createHash('sha256').update(text).digest('hex')}`,
    { push: true },
  );
  const found = await checkLedger({ repoDir: clone, requireSigned: true });
  const head = await git(clone, ['rev-parse', 'HEAD']);
  expect(found.findings).toEqual([expect.objectContaining({ code: 'CHECK_UNSIGNED_COMMIT', commit: head })]);
});
