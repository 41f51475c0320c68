// Paths a user hands the CLI that are not what they seem: an output flag naming a FIFO, a symbolic
// link or a path under a file; audit-workflows given a FIFO or a device; init --dir through a
// dangling link; an endless stdin; invalid UTF-8 in an entry; a FIFO as GITHUB_EVENT_PATH. Each is
// a coded error (never exit 70, a hang or a replaced device node), on real files in a temp dir.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import {
  lstatSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runCliCaptured } from '../../support/cli.js';

const env = { PATH: process.env.PATH, HOME: process.env.HOME };
const context = [
  '--repository',
  'https://github.com/o/r',
  '--ref',
  'refs/tags/v1.0.0',
  '--sha',
  'a'.repeat(40),
  '--workflow-path',
  '.github/workflows/release.yml',
  '--run-id',
  '1',
  '--event-name',
  'push',
];
const workflows = join(import.meta.dirname, '..', '..', '..', 'workflows');

function setup(): string {
  const dir = mkdtempSync(join(tmpdir(), 'slsa-ledger-paths-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const key = generateKeyPairSync('ed25519');
  writeFileSync(join(dir, 'key.pem'), key.privateKey.export({ format: 'pem', type: 'pkcs8' }));
  writeFileSync(join(dir, 'app.txt'), 'app\n');
  writeFileSync(join(dir, 'file'), 'x');
  execFileSync('mkfifo', [join(dir, 'fifo')]);
  symlinkSync('/proc/self/fd/1', join(dir, 'stdout'));
  return dir;
}

function endless(): Readable {
  return Readable.from(
    (function* () {
      for (;;) yield Buffer.alloc(64 * 1024);
    })(),
  );
}

describe('output flags', () => {
  it('attest --out and audit-workflows --out refuse a FIFO or a symbolic link, leaving it as it is', async () => {
    const dir = setup();
    for (const out of ['fifo', 'stdout']) {
      const attest = await runCliCaptured(
        ['attest', 'app.txt', '--key', 'key.pem', '--out', out, ...context, '--json'],
        {
          env,
          cwd: dir,
        },
      );
      expect(attest.code, out).toBe(3);
      expect(attest.json().error?.code).toBe('INPUT_FILE_NOT_REGULAR');
      const audit = await runCliCaptured(
        ['audit-workflows', workflows, '--format', 'json', '--out', join(dir, out), '--json'],
        { env, cwd: dir },
      );
      expect(audit.json().error?.code, out).toBe('INPUT_FILE_NOT_REGULAR');
    }
    expect(lstatSync(join(dir, 'fifo')).isFIFO()).toBe(true);
    expect(readlinkSync(join(dir, 'stdout'))).toBe('/proc/self/fd/1');
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('an output path under a regular file is OUTPUT_WRITE_FAILED, not exit 70', async () => {
    const dir = setup();
    const attest = await runCliCaptured(
      ['attest', 'app.txt', '--key', 'key.pem', '--out', 'file/sub', ...context, '--json'],
      {
        env,
        cwd: dir,
      },
    );
    expect(attest.code).toBe(5);
    expect(attest.json().error).toMatchObject({
      code: 'OUTPUT_WRITE_FAILED',
      details: { path: join(dir, 'file', 'sub') },
    });
    const audit = await runCliCaptured(
      ['audit-workflows', workflows, '--format', 'json', '--out', 'file/sub', '--json'],
      {
        env,
        cwd: dir,
      },
    );
    expect(audit.json().error?.code).toBe('OUTPUT_WRITE_FAILED');
  });

  it('an empty --out, --vsa-out or --public-out is a usage error before anything is done', async () => {
    const dir = setup();
    const runs = [
      ['attest', 'app.txt', '--key', 'key.pem', '--out=', ...context, '--json'],
      ['audit-workflows', workflows, '--format', 'json', '--out=', '--json'],
      ['validate', '--tag', 'v1', '--record', '--repo', dir, '--vsa-out=', '--json'],
      ['keygen', '--out=', '--json'],
    ];
    for (const argv of runs) {
      const run = await runCliCaptured(argv, { env, cwd: join(dir) });
      expect(run.code, argv[0]).toBe(2);
      expect(run.json().error?.code, argv[0]).toBe('USAGE_INVALID_FLAG');
    }
    expect(readdirSync(join(dir, '..')).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});

describe('audit-workflows input', () => {
  it('a FIFO, a device or a link to a device is INPUT_FILE_NOT_REGULAR', async () => {
    const dir = setup();
    symlinkSync('/dev/zero', join(dir, 'zero-link'));
    for (const path of [join(dir, 'fifo'), '/dev/zero', join(dir, 'zero-link')]) {
      const run = await runCliCaptured(['audit-workflows', path, '--json'], { env, cwd: dir });
      expect(run.code, path).toBe(3);
      expect(run.json().error?.code, path).toBe('INPUT_FILE_NOT_REGULAR');
    }
  });
});

describe('init --dir', () => {
  it('a dangling link, a link loop or a path under a file is INIT_PATH_UNSAFE, nothing written', async () => {
    const dir = setup();
    symlinkSync('/nonexistent/zzz', join(dir, 'dangling'));
    symlinkSync('l2', join(dir, 'l1'));
    symlinkSync('l1', join(dir, 'l2'));
    for (const target of ['dangling', 'l1', 'file/sub']) {
      const run = await runCliCaptured(['init', '--dir', join(dir, target), '--json'], { env, cwd: dir });
      expect(run.code, target).toBe(3);
      expect(run.json().error?.code, target).toBe('INIT_PATH_UNSAFE');
    }
  });

  it.runIf(process.platform === 'linux')('/proc/self/fd ends at once with a coded error', async () => {
    const dir = setup();
    const started = Date.now();
    const run = await runCliCaptured(['init', '--dir', '/proc/self/fd', '--json'], { env, cwd: dir });
    expect(run.json().error?.code).toBe('OUTPUT_WRITE_FAILED');
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});

describe('--entry', () => {
  it('record and notify --entry - refuse an endless stdin once past 1 MiB', async () => {
    const dir = setup();
    for (const argv of [
      ['record', '--entry', '-', '--repo', dir, '--no-sign', '--json'],
      ['notify', '--event', 'provenance-failure', '--entry', '-', '--json'],
    ]) {
      const run = await runCliCaptured(argv, { env, cwd: dir, stdin: endless() });
      expect(run.code, argv[0]).toBe(3);
      expect(run.json().error, argv[0]).toMatchObject({
        code: 'INPUT_TOO_LARGE',
        details: { max: 1024 * 1024 },
      });
    }
  });

  it('record --entry FILE refuses invalid UTF-8 as notify does', async () => {
    const dir = setup();
    const entry = Buffer.concat([
      Buffer.from('{"run_id":7001,"tag":"v7.0.0","actor":"bot'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('","status":"success"}'),
    ]);
    writeFileSync(join(dir, 'entry.json'), entry);
    for (const argv of [
      ['record', '--entry', join(dir, 'entry.json'), '--repo', dir, '--no-sign', '--json'],
      ['notify', '--event', 'provenance-failure', '--entry', join(dir, 'entry.json'), '--json'],
    ]) {
      const run = await runCliCaptured(argv, { env, cwd: dir });
      expect(run.code, argv[0]).toBe(3);
      expect(run.json().error?.code, argv[0]).toBe('INPUT_JSON_MALFORMED');
    }
  });
});

describe('GITHUB_EVENT_PATH', () => {
  it('a FIFO or /dev/zero there neither hangs nor is read', async () => {
    const dir = setup();
    for (const path of [join(dir, 'fifo'), '/dev/zero']) {
      const run = await runCliCaptured(['kpi', '--data-dir', join(dir, 'nodb'), '--json'], {
        env: { ...env, GITHUB_ACTIONS: 'true', GITHUB_EVENT_PATH: path },
        cwd: dir,
      });
      expect(run.json().error?.code, path).toBe('DB_NOT_FOUND');
    }
  });
});
