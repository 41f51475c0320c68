// `.slsa-ledger.yml` as hostile input (issue 14, sixteenth session). Every reader of it (a command's
// flag defaults, the `ledger:` section, the `trust:` policy) reads it through one bounded reader
// (src/io/config-file.ts): before, the flag defaults were read with readFileSync, so a FIFO named
// .slsa-ledger.yml hung every command (even `kpi`), a symlink to /etc/passwd was read, there was no
// byte limit; `constructor:` or `toString:` passed as flags (the options' prototype); and a config
// in a folder above a working directory outside any repository (/tmp/.slsa-ledger.yml, which any
// local user can create) set the flags and the trust policy of commands run below it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { otherLimits } from '../../../src/core/input/limits.js';
import { commands } from '../../../src/cli/commands/index.js';
import { findConfigFile, loadConfigDefaults } from '../../../src/cli/config.js';
import { loadCheckerTrust } from '../../../src/app/check-trust.js';
import { readLedgerConfigFile, findLedgerConfigFile } from '../../../src/io/ledger-location.js';
import { readTrustPolicyFile } from '../../../src/io/trust-policy-file.js';
import { BIN } from '../../support/git.js';
import { runCliCaptured } from '../../support/cli.js';
import { runNodeBounded } from '../../support/spawn-bounded.js';

const root = mkdtempSync(join(tmpdir(), 'slsa-hostile-config-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const recordSpec = (await commands.record!.load()).command.spec;
const kpiSpec = (await commands.kpi!.load()).command.spec;

let n = 0;
/** A fresh repository (a folder with `.git`) holding `.slsa-ledger.yml` as `make` leaves it. */
function repo(make: (file: string) => void): string {
  const dir = join(root, `r${++n}`);
  mkdirSync(join(dir, '.git'), { recursive: true });
  make(join(dir, '.slsa-ledger.yml'));
  return dir;
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => (e as { code?: string }).code,
  );
}

/** The three readers of the file, each refusing it the same way. */
async function everyReader(dir: string): Promise<(string | undefined)[]> {
  const file = join(dir, '.slsa-ledger.yml');
  return [
    await codeOf(loadConfigDefaults(dir, recordSpec)),
    await codeOf(readLedgerConfigFile(file)),
    await codeOf(readTrustPolicyFile(file)),
  ];
}

describe('.slsa-ledger.yml that is not a regular file, or too large', () => {
  it('a FIFO is refused at once by every command, never waited on (the built CLI, under a time limit)', async () => {
    const dir = repo((f) => execFileSync('mkfifo', [f]));
    const run = await runNodeBounded([BIN, 'kpi', '--json', '--data-dir', join(dir, 'db')], {
      cwd: dir,
      timeoutMs: 20_000,
      heapMb: 256,
    });
    expect(run.timedOut, 'kpi waited on the FIFO').toBe(false);
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toMatchObject({
      error: { code: 'INPUT_FILE_NOT_REGULAR', details: { kind: 'a FIFO' } },
    });
    expect(await everyReader(dir)).toEqual(Array(3).fill('INPUT_FILE_NOT_REGULAR'));
  });

  it('a symlink (to /etc/passwd, or to a config elsewhere) is refused without reading what it points to', async () => {
    const elsewhere = join(root, 'elsewhere.yml');
    writeFileSync(elsewhere, 'record:\n  no-sign: true\n');
    for (const target of ['/etc/passwd', elsewhere, join(root, 'dangling')]) {
      const dir = repo((f) => symlinkSync(target, f));
      expect(await everyReader(dir), target).toEqual(Array(3).fill('INPUT_FILE_NOT_REGULAR'));
    }
  });

  it('a directory is refused; a file over 1 MiB is INPUT_TOO_LARGE before it is read', async () => {
    expect(await everyReader(repo((f) => mkdirSync(f)))).toEqual(Array(3).fill('INPUT_FILE_NOT_REGULAR'));
    const big = repo((f) =>
      writeFileSync(f, `record:\n  remote: origin\n${'#'.repeat(otherLimits.yamlBytes)}\n`),
    );
    expect(await everyReader(big)).toEqual(Array(3).fill('INPUT_TOO_LARGE'));
  });
});

describe('.slsa-ledger.yml with hostile YAML', () => {
  it.each([
    [
      'an alias bomb under a command',
      `a: &a [x,x,x,x,x,x,x,x,x,x]\n${Array.from(
        { length: 12 },
        (_, i) =>
          `b${i}: &b${i} [${Array(10)
            .fill(i === 0 ? '*a' : `*b${i - 1}`)
            .join(',')}]`,
      ).join('\n')}\nrecord: {remote: *b11}\n`,
    ],
    ['a flow mapping nested 200,000 deep', `record: ${'{a: '.repeat(200_000)}1${'}'.repeat(200_000)}\n`],
    ['duplicate keys', 'record:\n  remote: a\n  remote: b\n'],
    ['two documents', 'record:\n  remote: a\n---\nrecord:\n  remote: b\n'],
    ['bytes that are not UTF-8', Buffer.from([...Buffer.from('record:\n  remote: caf'), 0xe9, 0x0a])],
    ['a raw NUL', 'record:\n  remote: or\0igin\n'],
  ])('%s: CONFIG_INVALID from every reader', async (_name, text) => {
    const started = performance.now();
    const dir = repo((f) => writeFileSync(f, text));
    expect(await everyReader(dir)).toEqual(Array(3).fill('CONFIG_INVALID'));
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('constructor, toString, __proto__ and hasOwnProperty are unknown flags, not the options’ prototype', async () => {
    for (const key of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      const dir = repo((f) => writeFileSync(f, `kpi:\n  ${key}: x\n`));
      const error = await loadConfigDefaults(dir, kpiSpec).catch((e: unknown) => e);
      expect(error, key).toMatchObject({
        code: 'CONFIG_INVALID',
        details: { problems: [`kpi.${key}: unknown flag`] },
      });
    }
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('a flag value with a control character (an escaped NUL, a line break) or a list of mappings is CONFIG_INVALID', async () => {
    for (const value of ['"or\\0igin"', '"a\\nb"', '[{a: 1}]', '{a: 1}', '.nan']) {
      const dir = repo((f) => writeFileSync(f, `record:\n  remote: ${value}\n  queue: ${value}\n`));
      expect(await codeOf(loadConfigDefaults(dir, recordSpec)), value).toBe('CONFIG_INVALID');
    }
    const ok = repo((f) => writeFileSync(f, '\ufeffrecord:\n  remote: upstream\n  max-attempts: 3\n'));
    expect(await loadConfigDefaults(ok, recordSpec)).toEqual({ remote: 'upstream', 'max-attempts': '3' });
  });
});

describe('a .slsa-ledger.yml above the working directory', () => {
  let shared: string;
  let outside: string;
  beforeAll(() => {
    // a shared folder (as /tmp) where someone else left a config, and a trust policy in it
    shared = join(root, 'shared');
    outside = join(shared, 'work', 'sub');
    mkdirSync(outside, { recursive: true });
    writeFileSync(
      join(shared, '.slsa-ledger.yml'),
      'record:\n  no-sign: true\nkpi:\n  database-url: postgres://attacker.invalid/db\nledger:\n  branch: decoy\ntrust:\n  signers:\n    them: {identity: "https://github.com/attacker/x/.github/workflows/w.yml@refs/heads/main"}\n  record: [them]\n',
    );
  });

  it('outside any repository, only the working directory’s own file is read, never a parent’s', async () => {
    expect(findConfigFile(outside)).toBeUndefined();
    expect(await loadConfigDefaults(outside, recordSpec)).toEqual({});
    expect(findLedgerConfigFile(outside, outside)).toBeUndefined();
    expect(await loadCheckerTrust({ cwd: outside })).toBeUndefined();
    writeFileSync(join(outside, '.slsa-ledger.yml'), 'record:\n  remote: mine\n');
    expect(await loadConfigDefaults(outside, recordSpec)).toEqual({ remote: 'mine' });
    rmSync(join(outside, '.slsa-ledger.yml'));
  });

  it('inside a repository, the nearest file up to its root, never above the root', async () => {
    const clone = join(shared, 'clone');
    mkdirSync(join(clone, '.git'), { recursive: true });
    mkdirSync(join(clone, 'a', 'b'), { recursive: true });
    expect(findConfigFile(join(clone, 'a', 'b'))).toBeUndefined();
    writeFileSync(join(clone, '.slsa-ledger.yml'), 'record:\n  remote: root\n');
    expect(findConfigFile(join(clone, 'a', 'b'))).toBe(join(clone, '.slsa-ledger.yml'));
    writeFileSync(join(clone, 'a', '.slsa-ledger.yml'), 'record:\n  remote: nearer\n');
    expect(await loadConfigDefaults(join(clone, 'a', 'b'), recordSpec)).toEqual({ remote: 'nearer' });
  });
});

describe('the public-log guard reads the config’s defaults as flags', () => {
  function privateRun(config: string): { dir: string; env: Record<string, string> } {
    const dir = repo((f) => writeFileSync(f, config));
    writeFileSync(join(dir, 'app.txt'), 'app\n');
    const event = join(dir, 'event.json');
    writeFileSync(event, JSON.stringify({ repository: { full_name: 'acme/app', private: true } }));
    return { dir, env: { PATH: process.env.PATH ?? '', GITHUB_ACTIONS: 'true', GITHUB_EVENT_PATH: event } };
  }

  it.each([
    ['attest: {sigstore: true}', ['attest', 'app.txt']],
    ['validate: {record: true}', ['validate', '--tag', 'v1']],
    ['record: {rekor-url: "https://rekor.sigstore.dev"}', ['record', '--entry', 'e.json']],
  ])('%s in a private repository: PUBLIC_LOG_REFUSED before anything is signed', async (config, argv) => {
    const { dir, env } = privateRun(`${config}\n`);
    const run = await runCliCaptured([...argv, '--json'], { env, cwd: dir });
    expect(run.json().error?.code, config).toBe('PUBLIC_LOG_REFUSED');
  });

  it('record: {sign-key: …} or {no-sign: true} in the config logs nothing and is not refused', async () => {
    for (const config of ['record: {sign-key: k.pem}', 'record: {no-sign: true}']) {
      const { dir, env } = privateRun(`${config}\n`);
      const run = await runCliCaptured(['record', '--entry', 'e.json', '--json'], { env, cwd: dir });
      expect(run.json().error?.code, config).not.toBe('PUBLIC_LOG_REFUSED');
    }
  });
});

describe('a URL that receives a credential is never read from .slsa-ledger.yml', () => {
  it.each([
    ['record', 'fulcio-url', 'the OIDC identity token'],
    ['flush', 'fulcio-url', 'the OIDC identity token'],
    ['validate', 'fulcio-url', 'the OIDC identity token'],
    ['attest', 'fulcio-url', 'the OIDC identity token'],
    ['ingest', 'supabase-url', 'SLSA_MANIFEST_SERVICE_KEY'],
    ['ingest', 'database-url', 'the database password (PGPASSWORD, ~/.pgpass)'],
    ['migrate', 'database-url', 'the database password (PGPASSWORD, ~/.pgpass)'],
    ['kpi', 'database-url', 'the database password (PGPASSWORD, ~/.pgpass)'],
    ['serve', 'database-url', 'the database password (PGPASSWORD, ~/.pgpass)'],
  ])(
    '%s: {%s: https://attacker.invalid}: CONFIG_INVALID, naming what it would receive',
    async (command, key, what) => {
      const spec = (await commands[command]!.load()).command.spec;
      const dir = repo((f) => writeFileSync(f, `${command}:\n  ${key}: https://attacker.invalid/\n`));
      const error = await loadConfigDefaults(dir, spec).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
      expect((error as Error).message).toContain(
        `${command}.${key}: not read from .slsa-ledger.yml (it receives ${what})`,
      );
      // on the command line it is the user's own choice
      expect(spec.options[key]!.receivesCredential).toBe(what);
    },
  );
});
