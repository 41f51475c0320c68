// The sixteenth session's ingest audit: a signed or tokenised artifact url (`?X-Amz-Signature=…`,
// `?sig=…`, `?token=…`, `https://user:pass@…`) passed the entry schema, so `record` published the
// credential in the ledger (and, on a refused push, on the queue branch). `record` refuses it now
// (LEDGER_URL_CREDENTIAL, exit 3), names the parameter, never its value, and writes or queues
// nothing. A ledger that already holds such a url stays readable: `check` takes it, a record of
// another run into the same day lands, and `validate --record` carries the url back as it is.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordEntry } from '../../../src/app/record.js';
import { runCliCaptured } from '../../support/cli.js';
import {
  cloneRemote,
  createRemote,
  git,
  installFreezeHook,
  makeTempDir,
  showFile,
} from '../../support/git.js';
import { makeEntry } from '../../support/ledger.js';

const secret = 'AUDITSIGNATURE0123456789abcdef';
const signed = [
  `https://bucket.s3.amazonaws.com/app.tgz?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA${secret}&X-Amz-Signature=${secret}`,
  `https://acct.blob.core.windows.net/c/app.tgz?sv=2024-01-01&se=2026-01-01&sig=${secret}`,
  `https://example.com/app.tgz?token=${secret}`,
  `https://objects.githubusercontent.com/a/b?jwt=${secret}`,
  `https://example.com/app.tgz#access_token=${secret}`,
  `https://deploy:${secret}@example.com/app.tgz`,
];

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
beforeEach(async () => {
  tmp = await makeTempDir();
});
afterEach(() => tmp.cleanup());

describe('an artifact url that carries a credential', () => {
  it('is refused by record with LEDGER_URL_CREDENTIAL: nothing pushed or queued, the value never echoed', async () => {
    const remote = await createRemote(tmp.path);
    const clone = await cloneRemote(remote, join(tmp.path, 'clone'));
    // a refused push would queue the entry (file and branch): the refusal must come first
    await installFreezeHook(remote);
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      SLSA_LEDGER_LOCK_DIR: join(tmp.path, 'locks'),
    };
    for (const [i, url] of signed.entries()) {
      const run = await runCliCaptured(['record', '--no-sign', '--json', '--repo', clone, '--entry', '-'], {
        env,
        stdin: JSON.stringify(makeEntry({ run_id: 100 + i, artifact_url: url })),
      });
      expect(run.code, url).toBe(3);
      const error = (JSON.parse(run.stdout) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe('LEDGER_URL_CREDENTIAL');
      expect(error.message).toMatch(/artifact_url must not carry (a credential|credentials)/);
      expect(run.stdout + run.stderr).not.toContain(secret);
    }
    // the field flag and release_url too
    const flag = await runCliCaptured(
      [
        'record',
        '--no-sign',
        '--json',
        '--repo',
        clone,
        '--tag',
        'v1.0.0',
        '--run-id',
        '7',
        '--sha',
        'a'.repeat(40),
      ]
        .concat(['--actor', 'me', '--artifact-url', 'https://example.com/a.tgz'])
        .concat(['--release-url', `https://example.com/r?X-Goog-Signature=${secret}`]),
      { env },
    );
    expect(flag.code).toBe(3);
    expect(flag.stdout).toContain(
      "release_url must not carry a credential: its parameter 'X-Goog-Signature'",
    );
    expect(flag.stdout + flag.stderr).not.toContain(secret);
    expect(existsSync(join(clone, 'out/provenance/queued-manifest.json'))).toBe(false);
    expect(await git(remote, ['branch', '--list', 'provenance-queue'])).toBe('');
    expect(await git(remote, ['rev-list', '--all', '--count'])).toBe('1');
  });

  it('an ordinary query (a version, a file name) is not a credential', async () => {
    const remote = await createRemote(tmp.path);
    const clone = await cloneRemote(remote, join(tmp.path, 'clone'));
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      SLSA_LEDGER_LOCK_DIR: join(tmp.path, 'locks'),
    };
    const run = await runCliCaptured(['record', '--no-sign', '--json', '--repo', clone, '--entry', '-'], {
      env,
      stdin: JSON.stringify(
        makeEntry({ run_id: 5, artifact_url: 'https://example.com/dl?file=app.tgz&version=1.2&tokenizer=x' }),
      ),
    });
    expect(run.code, run.stdout).toBe(0);
  });

  it('already in an older ledger: still readable by check and the writers', async () => {
    const remote = await createRemote(tmp.path);
    const clone = await cloneRemote(remote, join(tmp.path, 'clone'));
    const lockDir = join(tmp.path, 'locks');
    const old = `https://example.com/app.tgz?X-Amz-Signature=${secret}`;
    // as an older version wrote it (and as validate --record carries it back)
    const planted = await recordEntry({
      entry: makeEntry({ run_id: 1, artifact_url: old }),
      repoDir: clone,
      lockDir,
      urlsFromLedger: true,
    });
    expect(planted.outcome).toBe('committed');
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, SLSA_LEDGER_LOCK_DIR: lockDir };
    const other = await runCliCaptured(['record', '--no-sign', '--json', '--repo', clone, '--entry', '-'], {
      env,
      stdin: JSON.stringify(makeEntry({ run_id: 2 })),
    });
    expect(other.code, other.stdout).toBe(0);
    const manifest = await showFile(remote, 'main', 'docs/reports/2025-11-24/manifest.json');
    expect(manifest).toContain('"run_id": 2');
    expect(manifest).toContain(old);
    const check = await runCliCaptured(['check', '--json', '--repo', clone], { env });
    expect(check.code, check.stdout).toBe(0);
  });
});
