import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildProvenanceStatement } from '../../../src/core/provenance/statement.js';
import { runCli } from '../../../src/cli/main.js';
import { runCliCaptured } from '../../support/cli.js';
import { generate, type FixtureCase } from '../../fixtures/provenance/generate.js';

const fixtures = fileURLToPath(new URL('../../fixtures/provenance/', import.meta.url));
const SHA = '0123456789abcdef0123456789abcdef01234567';

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'slsa-ledger-av-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const baseEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
/** the variables a GitHub Actions runner sets for a tag push */
const githubEnv = {
  ...baseEnv,
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'octo-org/octo-repo',
  GITHUB_REF: 'refs/tags/v2.0.1',
  GITHUB_SHA: SHA,
  GITHUB_WORKFLOW_REF: 'octo-org/octo-repo/.github/workflows/release.yml@refs/tags/v2.0.1',
  GITHUB_RUN_ID: '987654',
  GITHUB_RUN_ATTEMPT: '3',
  GITHUB_EVENT_NAME: 'push',
  GITHUB_REPOSITORY_ID: '111',
  GITHUB_REPOSITORY_OWNER_ID: '222',
  RUNNER_ENVIRONMENT: 'github-hosted',
};
const contextFlags = [
  '--repository',
  'https://github.com/o/r',
  '--ref',
  'refs/tags/v1.0.0',
  '--sha',
  SHA,
  '--workflow-path',
  '.github/workflows/release.yml',
  '--run-id',
  '42',
  '--event-name',
  'push',
];

let keyCache: Record<string, string> | undefined;
/** keys of every kind the tests need, generated once per file (RSA generation is slow) */
function keyFiles(): Record<string, string> {
  if (keyCache !== undefined) return keyCache;
  const files: Record<string, string> = {};
  const pem = (k: KeyObject, o: Record<string, string>): string => k.export(o as never).toString();
  const ed = generateKeyPairSync('ed25519');
  const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  files['ed.pem'] = pem(ed.privateKey, { type: 'pkcs8', format: 'pem' });
  files['ed.pub'] = pem(ed.publicKey, { type: 'spki', format: 'pem' });
  files['p256.pem'] = pem(p256.privateKey, { type: 'sec1', format: 'pem' });
  files['p256.pub'] = pem(p256.publicKey, { type: 'spki', format: 'pem' });
  files['enc.pem'] = pem(p256.privateKey, {
    type: 'pkcs8',
    format: 'pem',
    cipher: 'aes-256-cbc',
    passphrase: 'correct horse battery',
  });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  files['rsa.pem'] = pem(rsa.privateKey, { type: 'pkcs8', format: 'pem' });
  files['rsa.pub'] = pem(rsa.publicKey, { type: 'spki', format: 'pem' });
  files['p384.pem'] = pem(p384.privateKey, { type: 'pkcs8', format: 'pem' });
  keyCache = files;
  return files;
}

/** a work dir with artifacts and keys of every kind the tests need */
function workspace() {
  const dir = tempDir();
  writeFileSync(join(dir, 'app-linux.tar.gz'), 'linux build\n');
  writeFileSync(join(dir, 'app-darwin.tar.gz'), 'darwin build\n');
  writeFileSync(join(dir, 'notes.txt'), 'not an artifact\n');
  for (const [name, text] of Object.entries(keyFiles())) writeFileSync(join(dir, name), text);
  writeFileSync(
    join(dir, 'garbage.pem'),
    '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n',
  );
  return dir;
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

describe('fixtures', () => {
  it('regenerate byte for byte from test/fixtures/provenance/generate.ts', () => {
    const dir = tempDir();
    generate(dir);
    const list = (root: string, rel = ''): string[] =>
      readdirSync(join(root, rel), { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? list(root, join(rel, e.name)) : [join(rel, e.name)],
      );
    const generated = list(dir).sort();
    expect(generated.length).toBeGreaterThan(10);
    for (const file of generated) {
      expect(readFileSync(join(dir, file), 'utf8'), file).toBe(readFileSync(join(fixtures, file), 'utf8'));
    }
  });

  const cases = JSON.parse(readFileSync(join(fixtures, 'cases.json'), 'utf8')) as FixtureCase[];
  it.each(cases.map((c) => [c.file, c] as const))('verify %s', async (_file, c) => {
    const run = await runCliCaptured(
      ['verify', 'artifact.txt', '--provenance', c.file, '--key', 'key.pub.pem', ...c.args, '--json'],
      { cwd: fixtures, env: baseEnv },
    );
    expect(run.code, run.stdout + run.stderr).toBe(c.exit);
    const out = run.json();
    if (c.code === null) {
      expect(out.ok).toBe(true);
      expect(out.result.verdicts).toMatchObject([{ artifact: 'artifact.txt', ok: true }]);
    } else {
      expect(out.error?.code).toBe(c.code);
      // bad input names the file; a negative verdict says which check failed
      if (c.exit === 3) expect(out.error?.message).toContain(c.file.split('/').pop());
    }
  });
});

describe('attest then verify', () => {
  it('builds the statement from the GitHub Actions environment and verifies it (ed25519, bundle)', async () => {
    const dir = workspace();
    const attest = await runCliCaptured(['attest', 'app-*.tar.gz', '--key', 'ed.pem', '--json'], {
      cwd: dir,
      env: githubEnv,
    });
    expect(attest.code, attest.stderr).toBe(0);
    const { result } = attest.json();
    expect(Object.keys(result).sort()).toStrictEqual(
      ['builderId', 'format', 'out', 'predicateType', 'signer', 'statementDigest', 'subjects'].sort(),
    );
    expect(result).toMatchObject({
      out: join(dir, 'provenance.sigstore.json'),
      format: 'bundle',
      predicateType: 'https://slsa.dev/provenance/v1',
      builderId: 'https://github.com/octo-org/octo-repo/.github/workflows/release.yml@refs/tags/v2.0.1',
      signer: { kind: 'key' },
      subjects: [
        { name: 'app-darwin.tar.gz', sha256: sha256('darwin build\n') },
        { name: 'app-linux.tar.gz', sha256: sha256('linux build\n') },
      ],
    });
    const bundle = JSON.parse(readFileSync(result.out, 'utf8'));
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(bundle.verificationMaterial.publicKey.hint).toBe(result.signer.keyId);
    const payload = Buffer.from(bundle.dsseEnvelope.payload, 'base64');
    expect(sha256(payload)).toBe(result.statementDigest);
    expect(JSON.parse(payload.toString())).toStrictEqual(
      JSON.parse(
        JSON.stringify(
          buildProvenanceStatement(result.subjects, {
            serverUrl: 'https://github.com',
            repository: 'octo-org/octo-repo',
            ref: 'refs/tags/v2.0.1',
            sha: SHA,
            workflowPath: '.github/workflows/release.yml',
            workflowRef: 'refs/tags/v2.0.1',
            runId: '987654',
            runAttempt: '3',
            eventName: 'push',
            builderId: result.builderId,
            repositoryId: '111',
            repositoryOwnerId: '222',
            runnerEnvironment: 'github-hosted',
          }),
        ),
      ),
    );

    const verify = await runCliCaptured(
      [
        'verify',
        'app-linux.tar.gz',
        'app-darwin.tar.gz',
        '--provenance',
        'provenance.sigstore.json',
        '--key',
        'ed.pub',
        '--source-uri',
        'github.com/octo-org/octo-repo',
        '--source-tag',
        'v2.0.1',
        '--source-versioned-tag',
        'v2.0',
        '--commit',
        SHA,
        '--builder-id',
        'https://github.com/octo-org/octo-repo/.github/workflows/release.yml',
        '--print-provenance',
      ],
      { cwd: dir, env: baseEnv },
    );
    expect(verify.code, verify.stderr).toBe(0);
    expect(sha256(verify.stdout.trimEnd())).toBe(result.statementDigest);
    expect(verify.stderr).toMatch(
      /PASSED app-linux\.tar\.gz[\s\S]*PASSED app-darwin\.tar\.gz[\s\S]*verified 2 artifact/,
    );
  });

  it('signs with ecdsa p-256 as dsse lines, with --subjects-from and explicit context flags', async () => {
    const dir = workspace();
    writeFileSync(join(dir, 'SHA256SUMS'), `${sha256('elsewhere\n')}  remote.bin\n`);
    const attest = await runCliCaptured(
      [
        'attest',
        'app-linux.tar.gz',
        '--subjects-from',
        'SHA256SUMS',
        '--key',
        'p256.pem',
        '--format',
        'dsse',
        '--out',
        'out/prov.intoto.jsonl',
        ...contextFlags,
        '--json',
      ],
      { cwd: dir, env: baseEnv },
    );
    expect(attest.code, attest.stderr).toBe(0);
    expect(attest.json().result.subjects.map((s: { name: string }) => s.name)).toStrictEqual([
      'app-linux.tar.gz',
      'remote.bin',
    ]);
    const lines = readFileSync(join(dir, 'out/prov.intoto.jsonl'), 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!).payloadType).toBe('application/vnd.in-toto+json');
    writeFileSync(join(dir, 'remote.bin'), 'elsewhere\n');
    const verify = await runCliCaptured(
      [
        'verify',
        'remote.bin',
        '--provenance',
        'out/prov.intoto.jsonl',
        '--key',
        'p256.pub',
        '--source-uri',
        'github.com/o/r',
        '--source-tag',
        'v1.0.0',
        '--json',
      ],
      { cwd: dir, env: baseEnv },
    );
    expect(verify.code, verify.stdout).toBe(0);
    expect(verify.json().result).toMatchObject({
      ok: true,
      batch: false,
      verdicts: [{ artifact: 'remote.bin', ok: true, subject: 'remote.bin' }],
    });
  });

  it('decrypts a key with SLSA_LEDGER_KEY_PASSPHRASE and never prints the passphrase', async () => {
    const dir = workspace();
    const ok = await runCliCaptured(['attest', 'notes.txt', '--key', 'enc.pem', ...contextFlags], {
      cwd: dir,
      env: { ...baseEnv, SLSA_LEDGER_KEY_PASSPHRASE: 'correct horse battery' },
    });
    expect(ok.code, ok.stderr).toBe(0);
    for (const env of [{ SLSA_LEDGER_KEY_PASSPHRASE: 'wrong horse battery' }, {}]) {
      const bad = await runCliCaptured(
        ['attest', 'notes.txt', '--key', 'enc.pem', '--out', 'x.json', ...contextFlags, '--verbose'],
        {
          cwd: dir,
          env: { ...baseEnv, ...env },
        },
      );
      expect(bad.code).toBe(3);
      expect(bad.stderr).toContain('INPUT_KEY_INVALID');
      expect(bad.stderr + bad.stdout).not.toContain('horse');
      expect(existsSync(join(dir, 'x.json'))).toBe(false);
    }
  });
});

describe('attest refuses bad input, leaving no output behind', () => {
  it.each<[string, string[], number, string]>([
    ['a missing artifact', ['missing.bin', '--key', 'ed.pem'], 3, 'INPUT_FILE_MISSING'],
    ['a directory as artifact', ['.', '--key', 'ed.pem'], 3, 'INPUT_FILE_UNREADABLE'],
    ['a glob matching nothing', ['*.nothing', '--key', 'ed.pem'], 3, 'INPUT_FILE_MISSING'],
    // issue 13: an unbalanced brace built an invalid RegExp (exit 70); as bash, it is literal text
    ['an unbalanced brace, no such file', ['sub/{a,b', '--key', 'ed.pem'], 3, 'INPUT_FILE_MISSING'],
    ['a symlink as artifact', ['link.txt', '--key', 'ed.pem'], 3, 'INPUT_FILE_NOT_REGULAR'],
    ['a malformed pem', ['notes.txt', '--key', 'garbage.pem'], 3, 'INPUT_KEY_INVALID'],
    ['a file that is not pem', ['notes.txt', '--key', 'notes.txt'], 3, 'INPUT_KEY_INVALID'],
    ['an rsa key', ['notes.txt', '--key', 'rsa.pem'], 3, 'INPUT_KEY_INVALID'],
    ['a p-384 key', ['notes.txt', '--key', 'p384.pem'], 3, 'INPUT_KEY_INVALID'],
    ['a public key', ['notes.txt', '--key', 'ed.pub'], 3, 'INPUT_KEY_INVALID'],
    ['a missing key file', ['notes.txt', '--key', 'nope.pem'], 3, 'INPUT_FILE_MISSING'],
    ['a malformed subjects file', ['--subjects-from', 'notes.txt', '--key', 'ed.pem'], 3, 'INPUT_INVALID'],
    ['two artifacts with one name', ['notes.txt', 'sub/notes.txt', '--key', 'ed.pem'], 3, 'INPUT_INVALID'],
    ['no artifacts', ['--key', 'ed.pem'], 2, 'USAGE_MISSING_ARGUMENT'],
    ['no signing method', ['notes.txt'], 2, 'USAGE_MISSING_FLAG'],
    ['both signing methods', ['notes.txt', '--key', 'ed.pem', '--sigstore'], 2, 'USAGE_MISSING_FLAG'],
    ['an unknown format', ['notes.txt', '--key', 'ed.pem', '--format', 'xml'], 2, 'USAGE_INVALID_FLAG'],
    ['a short sha', ['notes.txt', '--key', 'ed.pem', '--sha', 'abc'], 2, 'USAGE_INVALID_FLAG'],
    ['an unknown flag', ['notes.txt', '--key', 'ed.pem', '--frobnicate'], 2, 'USAGE_UNKNOWN_FLAG'],
    ['keyless signing without an identity token', ['notes.txt', '--sigstore'], 5, 'OIDC_TOKEN_UNAVAILABLE'],
  ])('%s', async (_name, args, exit, code) => {
    const dir = workspace();
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub/notes.txt'), 'another\n');
    symlinkSync('/etc/passwd', join(dir, 'link.txt'));
    writeFileSync(join(dir, 'keep.json'), 'previous\n');
    const run = await runCliCaptured(['attest', ...contextFlags, ...args, '--out', 'keep.json', '--json'], {
      cwd: dir,
      env: baseEnv,
    });
    expect(run.code, run.stdout).toBe(exit);
    expect(run.json().error?.code).toBe(code);
    expect(readFileSync(join(dir, 'keep.json'), 'utf8')).toBe('previous\n');
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toStrictEqual([]);
  });

  it('says a public key given for --key is the public half, not that the pem is invalid', async () => {
    const dir = workspace();
    const run = await runCliCaptured(['attest', 'notes.txt', '--key', 'ed.pub', ...contextFlags], {
      cwd: dir,
      env: baseEnv,
    });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/INPUT_KEY_INVALID: .*ed\.pub: a public key, where the private key is needed/);
  });

  it('names the missing file in the error', async () => {
    const dir = workspace();
    const run = await runCliCaptured(['attest', 'missing.bin', '--key', 'ed.pem', ...contextFlags], {
      cwd: dir,
      env: baseEnv,
    });
    expect(run.stderr).toMatch(/INPUT_FILE_MISSING: .*missing\.bin/);
    expect(existsSync(join(dir, 'provenance.sigstore.json'))).toBe(false);
  });

  it.skipIf(process.getuid?.() === 0)('refuses an unreadable artifact', async () => {
    const dir = workspace();
    chmodSync(join(dir, 'notes.txt'), 0);
    const run = await runCliCaptured(['attest', 'notes.txt', '--key', 'ed.pem', ...contextFlags, '--json'], {
      cwd: dir,
      env: baseEnv,
    });
    expect(run.code).toBe(3);
    expect(run.json().error?.code).toBe('INPUT_FILE_UNREADABLE');
  });

  it('lists every missing piece of build context', async () => {
    const dir = workspace();
    const run = await runCliCaptured(
      ['attest', 'notes.txt', '--key', 'ed.pem', '--ref', 'refs/heads/main', '--json'],
      {
        cwd: dir,
        env: baseEnv,
      },
    );
    expect(run.code).toBe(2);
    expect(run.json().error).toMatchObject({
      code: 'USAGE_MISSING_FLAG',
      details: { missing: ['repository', 'sha', 'workflow-path', 'run-id', 'event-name'] },
    });
  });
});

describe('verify', () => {
  async function attested(dir: string, files: string[], out: string, extra: string[] = []) {
    const run = await runCliCaptured(
      ['attest', ...files, '--key', 'ed.pem', '--out', out, ...contextFlags, ...extra],
      {
        cwd: dir,
        env: baseEnv,
      },
    );
    expect(run.code, run.stderr).toBe(0);
  }
  const policy = ['--source-uri', 'github.com/o/r'];

  it.each<[string, (dir: string) => string[], number, string]>([
    [
      'a tampered artifact',
      (d) => (writeFileSync(join(d, 'app-linux.tar.gz'), 'evil\n'), ['app-linux.tar.gz', '--key', 'ed.pub']),
      1,
      'VERIFY_SUBJECT_DIGEST_MISMATCH',
    ],
    ['the wrong key', () => ['app-linux.tar.gz', '--key', 'p256.pub'], 1, 'VERIFY_SIGNATURE_INVALID'],
    ['an rsa public key', () => ['app-linux.tar.gz', '--key', 'rsa.pub'], 3, 'INPUT_KEY_INVALID'],
    ['a private key as --key', () => ['app-linux.tar.gz', '--key', 'ed.pem'], 3, 'INPUT_KEY_INVALID'],
    ['no --key for key-signed provenance', () => ['app-linux.tar.gz'], 2, 'USAGE_MISSING_FLAG'],
    ['a missing artifact', () => ['gone.bin', '--key', 'ed.pub'], 3, 'INPUT_FILE_MISSING'],
    [
      'the wrong tag',
      () => ['app-linux.tar.gz', '--key', 'ed.pub', '--source-tag', 'v1.0.1'],
      1,
      'VERIFY_TAG_MISMATCH',
    ],
    [
      'the wrong versioned tag',
      () => ['app-linux.tar.gz', '--key', 'ed.pub', '--source-versioned-tag', 'v2'],
      1,
      'VERIFY_VERSIONED_TAG_MISMATCH',
    ],
    [
      'a branch for a tag build',
      () => ['app-linux.tar.gz', '--key', 'ed.pub', '--source-branch', 'main'],
      1,
      'VERIFY_INVALID_REF',
    ],
    [
      'the wrong builder',
      () => [
        'app-linux.tar.gz',
        '--key',
        'ed.pub',
        '--builder-id',
        'https://github.com/x/y/.github/workflows/b.yml',
      ],
      1,
      'VERIFY_BUILDER_MISMATCH',
    ],
    [
      'the wrong commit',
      () => ['app-linux.tar.gz', '--key', 'ed.pub', '--commit', 'f'.repeat(40)],
      1,
      'VERIFY_COMMIT_MISMATCH',
    ],
    [
      'a workflow input the build did not have',
      () => ['app-linux.tar.gz', '--key', 'ed.pub', '--build-workflow-input', 'a=b'],
      1,
      'VERIFY_WORKFLOW_INPUTS_MISMATCH',
    ],
    [
      'a bad --build-workflow-input',
      () => ['app-linux.tar.gz', '--key', 'ed.pub', '--build-workflow-input', 'ab'],
      2,
      'USAGE_INVALID_FLAG',
    ],
  ])('%s', async (_name, make, exit, code) => {
    const dir = workspace();
    await attested(dir, ['app-*.tar.gz'], 'p.json');
    const run = await runCliCaptured(
      ['verify', ...make(dir), '--provenance', 'p.json', ...policy, '--json'],
      { cwd: dir, env: baseEnv },
    );
    expect(run.code, run.stdout).toBe(exit);
    expect(run.json().error?.code).toBe(code);
  });

  it('the wrong source, and a missing --source-uri', async () => {
    const dir = workspace();
    await attested(dir, ['notes.txt'], 'p.json');
    const wrong = await runCliCaptured(
      [
        'verify',
        'notes.txt',
        '--provenance',
        'p.json',
        '--key',
        'ed.pub',
        '--source-uri',
        'github.com/o/fork',
        '--json',
      ],
      { cwd: dir, env: baseEnv },
    );
    expect([wrong.code, wrong.json().error?.code]).toStrictEqual([1, 'VERIFY_SOURCE_MISMATCH']);
    const missing = await runCliCaptured(
      ['verify', 'notes.txt', '--provenance', 'p.json', '--key', 'ed.pub'],
      { cwd: dir, env: baseEnv },
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--source-uri');
  });

  it('batch: a directory and repeated --provenance, one verdict line per artifact, exit 1 if any fails', async () => {
    const dir = workspace();
    mkdirSync(join(dir, 'prov'));
    await attested(dir, ['app-linux.tar.gz'], 'prov/linux.sigstore.json');
    await attested(dir, ['app-darwin.tar.gz'], 'prov/darwin.intoto.jsonl', ['--format', 'dsse']);
    await attested(dir, ['notes.txt'], 'notes.sigstore.json');
    writeFileSync(join(dir, 'stray.bin'), 'never attested\n');

    const all = await runCliCaptured(
      [
        'verify',
        'app-linux.tar.gz',
        'app-darwin.tar.gz',
        'notes.txt',
        '--provenance',
        'prov',
        '--provenance',
        'notes.sigstore.json',
        '--key',
        'ed.pub',
        ...policy,
        '--json',
      ],
      { cwd: dir, env: baseEnv },
    );
    expect(all.code, all.stdout).toBe(0);
    expect(all.json().result).toMatchObject({ ok: true, batch: true });

    const mixed = await runCliCaptured(
      [
        'verify',
        'app-linux.tar.gz',
        'stray.bin',
        'app-darwin.tar.gz',
        '--provenance',
        'prov',
        '--key',
        'ed.pub',
        ...policy,
        '--json',
      ],
      { cwd: dir, env: baseEnv },
    );
    expect(mixed.code).toBe(1);
    const { result } = mixed.json();
    expect(result.ok).toBe(false);
    expect(result.verdicts).toMatchObject([
      { artifact: 'app-linux.tar.gz', ok: true, provenance: join(dir, 'prov/linux.sigstore.json') },
      { artifact: 'stray.bin', ok: false, code: 'VERIFY_SUBJECT_DIGEST_MISMATCH' },
      { artifact: 'app-darwin.tar.gz', ok: true, provenance: `${join(dir, 'prov/darwin.intoto.jsonl')}` },
    ]);

    const human = await runCliCaptured(
      [
        'verify',
        'app-linux.tar.gz',
        'stray.bin',
        '--provenance',
        'prov',
        '--key',
        'ed.pub',
        '--source-uri',
        'github.com/o/r',
        '--source-tag',
        'v9',
      ],
      { cwd: dir, env: baseEnv },
    );
    expect(human.code).toBe(1);
    expect(human.stdout).toBe('');
    expect(human.stderr).toMatch(/FAILED app-linux\.tar\.gz +VERIFY_TAG_MISMATCH/);
    expect(human.stderr).toMatch(/FAILED stray\.bin +VERIFY_SUBJECT_DIGEST_MISMATCH/);
    expect(human.stderr).toContain('2 of 2 artifact(s) failed verification');
  });

  it("batch: a malformed provenance file is that file's verdict, the others still get theirs (exit 1)", async () => {
    const dir = workspace();
    mkdirSync(join(dir, 'prov'));
    await attested(dir, ['notes.txt'], 'prov/good.sigstore.json');
    writeFileSync(join(dir, 'prov/bad.json'), '{"mediaType": ');
    writeFileSync(join(dir, 'prov/dup.json'), '{"mediaType": "a", "mediaType": "b"}');
    const run = await runCliCaptured(
      ['verify', 'notes.txt', '--provenance', 'prov', '--key', 'ed.pub', ...policy, '--json'],
      { cwd: dir, env: baseEnv },
    );
    expect(run.code).toBe(1);
    const result = run.json().result as {
      verdicts: { ok: boolean; artifact: string }[];
      unreadable: { provenance: string; code: string }[];
    };
    expect(result.verdicts).toEqual([expect.objectContaining({ ok: true, artifact: 'notes.txt' })]);
    expect(result.unreadable.map((u) => [u.provenance.split('/').pop(), u.code])).toEqual([
      ['bad.json', 'INPUT_JSON_MALFORMED'],
      ['dup.json', 'INPUT_JSON_DUPLICATE_KEY'],
    ]);
  });
});

describe('an unexpected exception', () => {
  it('exits 70 with "internal error" on stderr and nothing raw on stdout', async () => {
    // A stdout that breaks in a way no code path expects (a TypeError inside write): the one
    // top-level catch must turn it into exit 70 rather than a crash or a raw stack on stdout.
    const dir = workspace();
    await runCliCaptured(['attest', 'notes.txt', '--key', 'ed.pem', ...contextFlags], {
      cwd: dir,
      env: baseEnv,
    });
    const written: string[] = [];
    const stdout = new Writable({
      write(chunk: Buffer, _enc, done) {
        written.push(chunk.toString());
        done(new TypeError('stdout went away'));
      },
    });
    stdout.write = ((chunk: string) => {
      written.push(chunk);
      throw new TypeError('cannot write to a closed pipe');
    }) as typeof stdout.write;
    const stderr = new PassThrough();
    const err: Buffer[] = [];
    stderr.on('data', (b: Buffer) => err.push(b));
    const code = await runCli(
      [
        'verify',
        'notes.txt',
        '--provenance',
        'provenance.sigstore.json',
        '--key',
        'ed.pub',
        '--source-uri',
        'github.com/o/r',
        '--print-provenance',
      ],
      { stdout, stderr, stdin: Readable.from(['']), env: baseEnv, cwd: dir, isTty: false },
    );
    expect(code).toBe(70);
    expect(Buffer.concat(err).toString()).toContain('internal error');
    expect(written.join('')).not.toMatch(/at .*\(.*:\d+:\d+\)/);
  });
});
