// `flush` output agrees with its exit code, and `--json` never carries a raw bidi or invisible
// character from the queue or the ledger to the terminal (the JSON writer escapes them).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../support/cli.js';
import { cloneRemote, createRemote, makeTempDir } from '../../support/git.js';
import { makeEntry } from '../../support/ledger.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let clone: string;
let env: Record<string, string | undefined>;

// a tag a pusher could plant: U+202E flips "exe.gpj" on screen, U+200B and U+FEFF are invisible
const TAG = 'v1.0\u202egpj.exe\u200b\ufeff';
const RAW = /[\u202e\u200b\ufeff\u2066-\u2069\u00ad]/u;

beforeEach(async () => {
  tmp = await makeTempDir();
  const remote = await createRemote(tmp.path);
  clone = await cloneRemote(remote, join(tmp.path, 'clone'));
  env = { PATH: process.env.PATH, HOME: process.env.HOME, SLSA_LEDGER_LOCK_DIR: join(tmp.path, 'locks') };
  // the queue holds only an invalid item (its tag is no valid tag)
  await mkdir(join(clone, 'out/provenance'), { recursive: true });
  await writeFile(
    join(clone, 'out/provenance/queued-manifest.json'),
    JSON.stringify([
      {
        entry: { ...makeEntry({ run_id: 2 }), tag: TAG },
        reason: 'refused',
        queued_at: '2025-11-24T10:00:00Z',
        attempts: 1,
      },
    ]),
  );
});
afterEach(() => tmp.cleanup());

describe('flush with only invalid items left (exit 3)', () => {
  it('--json says ok false with the code of the exit and the whole result', async () => {
    const r = await runCliCaptured(['flush', '--no-sign', '--json', '--repo', clone], { env });
    expect(r.code).toBe(3);
    const out = r.json();
    expect(out.ok).toBe(false);
    expect(out.error?.code).toBe('LEDGER_QUEUE_INVALID');
    expect(out.error?.details.result).toMatchObject({
      outcome: 'queued',
      landed: 0,
      remaining: 1,
      invalid: 1,
    });
  });

  it('the human summary lists the item and ends in the error, never "ok"', async () => {
    const r = await runCliCaptured(['flush', '--no-sign', '--repo', clone], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/0 landed, 1 remaining/);
    expect(r.stderr).toMatch(/slsa-ledger: LEDGER_QUEUE_INVALID: 1 queued item\(s\) are not valid entries/);
    expect(RAW.test(r.stderr)).toBe(false);
    expect(r.stderr).toContain('v1.0\\u202egpj.exe\\u200b\\ufeff');
  });
});

describe('--json escapes bidi and invisible characters (issue: raw U+202E on the terminal)', () => {
  it('the parsed value keeps the tag exactly; the printed bytes hold no such code point', async () => {
    const r = await runCliCaptured(['flush', '--no-sign', '--json', '--repo', clone], { env });
    const items = (r.json().error?.details.result as { items: { tag: string }[] }).items;
    expect(items.map((i) => i.tag)).toEqual([TAG]);
    expect(RAW.test(r.stdout)).toBe(false);
    expect(r.stdout).toContain('v1.0\\u202egpj.exe\\u200b\\ufeff');
  });
});
