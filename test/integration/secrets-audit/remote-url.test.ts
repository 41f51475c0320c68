// A remote URL whose password was pasted with a raw `@` in it (`user:p@ss@host`, not `p%40ss`):
// the URL parser splits userinfo at the last `@`, so the scrub must too, or the part of the
// password after its `@` reaches the message, the --json output and the queue file.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../support/cli.js';
import { cloneRemote, createRemote, git, makeTempDir } from '../../support/git.js';
import { makeEntry } from '../../support/ledger.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
beforeEach(async () => {
  tmp = await makeTempDir();
});
afterEach(() => tmp.cleanup());

describe('a remote URL with a raw @ in its password', () => {
  it('is shown without any of the password when the remote is unreachable', async () => {
    const remote = await createRemote(tmp.path);
    const clone = await cloneRemote(remote, join(tmp.path, 'clone'));
    // nothing listens on port 9 (discard): the fetch fails at once
    await git(clone, [
      'remote',
      'set-url',
      'origin',
      'http://release:Pa@ssw0rd-Tail9@127.0.0.1:9/acme/ledger.git',
    ]);
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      SLSA_LEDGER_LOCK_DIR: join(tmp.path, 'locks'),
    };
    const entry = JSON.stringify(makeEntry({ run_id: 21 }));
    const json = await runCliCaptured(
      ['record', '--no-sign', '--json', '--repo', clone, '--branch', 'main', '--entry', '-'],
      { env, stdin: entry },
    );
    expect(json.code).toBe(75);
    expect(json.json().result.queue.reason).toContain('http://***@127.0.0.1:9/acme/ledger.git');
    const human = await runCliCaptured(
      ['record', '--no-sign', '--verbose', '--repo', clone, '--branch', 'main', '--entry', '-'],
      { env, stdin: entry },
    );
    expect(human.code).toBe(75);
    const queue = await readFile(join(clone, 'out/provenance/queued-manifest.json'), 'utf8');
    for (const text of [json.stdout, json.stderr, human.stdout, human.stderr, queue]) {
      expect(text).not.toContain('ssw0rd');
    }
  });
});

describe('a remote URL with a raw space in its password, or a token in its query', () => {
  it.each([
    ['http://x:SECRET TOKEN123456@127.0.0.1:9/acme/ledger.git', 'http://***@127.0.0.1:9/acme/ledger.git'],
    [
      'http://127.0.0.1:9/acme/ledger.git?access_token=SECRETTOKEN123456',
      'http://127.0.0.1:9/acme/ledger.git?access_token=***',
    ],
  ])('%s is shown as %s on stdout, stderr and in the queue file', async (url, shown) => {
    const remote = await createRemote(tmp.path);
    const clone = await cloneRemote(remote, join(tmp.path, 'clone'));
    await git(clone, ['remote', 'set-url', 'origin', url]);
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      SLSA_LEDGER_LOCK_DIR: join(tmp.path, 'locks'),
    };
    const entry = JSON.stringify(makeEntry({ run_id: 22 }));
    const json = await runCliCaptured(
      ['record', '--no-sign', '--json', '--verbose', '--repo', clone, '--branch', 'main', '--entry', '-'],
      { env, stdin: entry },
    );
    expect(json.code).toBe(75);
    expect(json.json().result.queue.reason).toContain(shown);
    const queue = await readFile(join(clone, 'out/provenance/queued-manifest.json'), 'utf8');
    for (const text of [json.stdout, json.stderr, queue]) {
      expect(text).not.toContain('TOKEN123456');
    }
  });
});
