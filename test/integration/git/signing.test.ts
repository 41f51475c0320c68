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
  // the commit is local: --ref HEAD audits the clone as it is (the default reads the remote's branch)
  const codes = (await checkLedger({ repoDir: clone, ref: 'HEAD', requireSigned: true })).findings.map(
    (f) => f.code,
  );
  expect(codes).toContain('CHECK_UNSIGNED_COMMIT');
});
