// The queue branch (`provenance-queue`) is pushed to the ledger's remote: every clone reads it. A
// `record --via-pr` whose pull request GitHub refuses with a message quoting the token must queue
// the entry there with the token redacted, as the local queue file and the output are.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../support/cli.js';
import { cloneRemote, createRemote, git, installFreezeHook, makeTempDir } from '../../support/git.js';
import { mountFake } from '../../support/http-fake.js';
import { makeEntry } from '../../support/ledger.js';

const token = 'ghs_QUEUEBRANCHLEAK0123456789abcdefgh';
// a credential of no known shape: only the environment says it is secret
const plainToken = 'QueueBranchPlainToken-0123456789';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
beforeEach(async () => {
  tmp = await makeTempDir();
});
afterEach(() => tmp.cleanup());

describe('record --via-pr refused by an API that quotes the token', () => {
  it.each([
    ['a GitHub token', token],
    ['a token of no known shape', plainToken],
  ])('queues %s on the pushed queue branch redacted', async (_, secret) => {
    const remote = await createRemote(tmp.path);
    await installFreezeHook(remote, 'main');
    const clone = await cloneRemote(remote, join(tmp.path, 'clone'));
    const github = await mountFake((r) => ({
      status: 401,
      body: { message: `Bad credentials: ${(r.headers.authorization ?? '').replace(/^\S+ /, '')}` },
    }));
    const r = await runCliCaptured(
      ['record', '--no-sign', '--json', '--via-pr', '--repo', clone, '--entry', '-'],
      {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          GITHUB_TOKEN: secret,
          GITHUB_API_URL: github.url,
          GITHUB_REPOSITORY: 'acme/app',
          SLSA_LEDGER_LOCK_DIR: join(tmp.path, 'locks'),
        },
        stdin: JSON.stringify(makeEntry({ run_id: 31 })),
      },
    );
    expect(r.code).toBe(75);
    expect(r.json().result.queue.branch_pushed).toBe(true);
    const branch = await git(remote, ['log', '-p', '--format=%B', 'provenance-queue']);
    // the refusal was queued with its reason (the test is live) …
    expect(branch).toContain('Bad credentials: ***');
    // … and the token is nowhere on the remote
    const everything = await git(remote, ['log', '-p', '--all', '--format=%B']);
    expect(everything).not.toContain(secret);
  });
});
