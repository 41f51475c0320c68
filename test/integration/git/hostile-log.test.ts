// A signed ledger log planted by someone with push access (issue 13's bounded reads, applied to the
// writer's append to the day's log): a segment over its limit (docs/limits.md; 256 MiB, a few
// hundred KiB in git) is never read into the writer's memory. Planted as segment 1, the writer goes
// on in segment 2 (test/integration/trust/log-segments.test.ts); planted as the last segment a log
// may have, nothing can be appended: the signed entry is queued, not lost, and the planted log is
// left as it was.
import { generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { otherLimits } from '../../../src/core/input/limits.js';
import { runCliCaptured } from '../../support/cli.js';
import { cloneRemote, createRemote, git, makeTempDir } from '../../support/git.js';
import { commitBlobs, writeWhitespaceBlob } from '../../support/hostile-git.js';
import { makeEntry } from '../../support/ledger.js';

const LOG = `docs/reports/2025-11-24/transitions.${otherLimits.ledgerLogSegments}.jsonl`;

describe('a planted last log segment over its limit', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let remote: string;
  let clone: string;
  let planted: string;

  beforeAll(async () => {
    tmp = await makeTempDir('slsa-ledger-hostile-log-');
    remote = await createRemote(tmp.path);
    clone = await cloneRemote(remote, join(tmp.path, 'clone'));
    const other = await cloneRemote(remote, join(tmp.path, 'other'));
    await git(other, ['commit', '-q', '--allow-empty', '-m', 'start']);
    planted = await writeWhitespaceBlob(join(other, '.git'), otherLimits.ledgerLogBytes + 1);
    await commitBlobs(other, { [LOG]: { oid: planted } }, 'plant a log');
    await git(other, ['push', '-q', 'origin', 'HEAD:main']);
    const { privateKey } = generateKeyPairSync('ed25519');
    await writeFile(join(tmp.path, 'writer.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await writeFile(join(tmp.path, 'entry.json'), JSON.stringify(makeEntry()));
  }, 60_000);
  afterAll(async () => tmp?.cleanup());

  it('record --sign-key queues the entry (exit 75), never reads the log, leaves it as it was', async () => {
    const r = await runCliCaptured(
      [
        'record',
        '--json',
        '--sign-key',
        join(tmp.path, 'writer.pem'),
        '--repo',
        clone,
        '--entry',
        join(tmp.path, 'entry.json'),
      ],
      {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          SLSA_LEDGER_LOCK_DIR: join(tmp.path, 'locks'),
        },
      },
    );
    expect(r.code, r.stdout + r.stderr).toBe(75);
    expect(r.stdout + r.stderr).toContain('INPUT_TOO_LARGE');
    expect(r.stdout + r.stderr).toContain(`${otherLimits.ledgerLogSegments} segments`);
    // the entry is kept in the queue, not lost
    const queued = JSON.parse(await readFile(join(clone, 'out/provenance/queued-manifest.json'), 'utf8'));
    expect(JSON.stringify(queued)).toContain(makeEntry().tag);
    // the remote's log is the planted one, untouched
    expect((await git(remote, ['rev-parse', `main:${LOG}`])).trim()).toBe(planted);
  });
});
