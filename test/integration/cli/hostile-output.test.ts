// What a provenance says reaches the terminal only as text: a builder id, a subject name, a source
// or a duplicate key of an unsigned file may hold ESC sequences (clear the screen, print a forged
// `PASSED`, set the window title) or bidi controls, and `verify`'s human output, its error line,
// its warnings and `--print-provenance` show them as `\uXXXX` escapes. A publisher controls these
// bytes: the signature is theirs, or there is none (a parse error quotes the file).
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runCliCaptured } from '../../support/cli.js';

// C0 and C1 controls (ESC, CSI 0x9b, BEL), bidi override: never raw on a terminal
// eslint-disable-next-line no-control-regex -- the point: no control character may be there
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/u;
const HOSTILE = '\u001b]0;owned\u0007\u001b[2J\u001b[32mPASSED\u001b[0m\u009b31m\u202e';

const TYPE = 'application/vnd.in-toto+json';
const ARTIFACT = Buffer.from('widget binary\n');
const SHA256 = createHash('sha256').update(ARTIFACT).digest('hex');

function setup(): { dir: string; write: (name: string, statement: object) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'slsa-ledger-hostile-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const key = generateKeyPairSync('ed25519');
  writeFileSync(join(dir, 'key.pub'), key.publicKey.export({ format: 'pem', type: 'spki' }));
  writeFileSync(join(dir, 'widget'), ARTIFACT);
  const write = (name: string, statement: object): string => {
    const payload = Buffer.from(JSON.stringify(statement));
    const pae = Buffer.concat([Buffer.from(`DSSEv1 ${TYPE.length} ${TYPE} ${payload.length} `), payload]);
    const envelope = {
      payloadType: TYPE,
      payload: payload.toString('base64'),
      signatures: [{ sig: sign(null, pae, key.privateKey).toString('base64') }],
    };
    writeFileSync(join(dir, name), JSON.stringify(envelope));
    return name;
  };
  return { dir, write };
}

function statement(options: { builder?: string; source?: string; name?: string } = {}): object {
  const source = options.source ?? 'https://github.com/acme/widget';
  return {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: options.name ?? 'widget', digest: { sha256: SHA256 } }],
    predicateType: 'https://slsa.dev/provenance/v1',
    predicate: {
      buildDefinition: {
        buildType: 'https://actions.github.io/buildtypes/workflow/v1',
        externalParameters: {
          workflow: { ref: 'refs/tags/v1.2.3', repository: source, path: '.github/workflows/release.yml' },
        },
        internalParameters: {},
        resolvedDependencies: [
          { uri: `git+${source}@refs/tags/v1.2.3`, digest: { gitCommit: 'a'.repeat(40) } },
        ],
      },
      runDetails: {
        builder: {
          id:
            options.builder ??
            'https://github.com/acme/widget/.github/workflows/release.yml@refs/tags/v1.2.3',
        },
        metadata: {},
      },
    },
  };
}

const verify = (dir: string, provenance: string, extra: string[] = []) =>
  runCliCaptured(
    [
      'verify',
      'widget',
      '--provenance',
      provenance,
      '--source-uri',
      'github.com/acme/widget',
      '--key',
      'key.pub',
      ...extra,
    ],
    { cwd: dir },
  );

describe('verify never writes a raw terminal control it read from a provenance', () => {
  it('a pass: the builder id and the subject name in the verdict line, and --print-provenance', async () => {
    const { dir, write } = setup();
    const file = write(
      'pass.json',
      statement({
        builder: `https://github.com/acme/widget/.github/workflows/release.yml@refs/tags/v1.2.3${HOSTILE}`,
        name: `widget${HOSTILE}`,
      }),
    );
    const r = await verify(dir, file, ['--print-provenance']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('PASSED widget');
    expect(r.stderr).toContain('\\u001b[2J');
    expect(r.stderr).not.toMatch(RAW);
    expect(r.stdout).not.toMatch(RAW);
    const printed = JSON.parse(r.stdout.trim()) as { subject: { name: string }[] };
    expect(printed.subject[0]?.name).toBe(`widget${HOSTILE}`);
  });

  it('a failure: the source the provenance claims, in the error line (exit 1)', async () => {
    const { dir, write } = setup();
    const file = write('fail.json', statement({ source: `https://github.com/acme/evil${HOSTILE}` }));
    const r = await verify(dir, file);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('VERIFY_SOURCE_MISMATCH');
    expect(r.stderr).toContain('\\u001b[2J');
    expect(r.stderr).not.toMatch(RAW);
  });

  it('a line break in what a provenance says cannot forge a verdict line of its own', async () => {
    const { dir, write } = setup();
    const forged =
      '\nPASSED widget  (forged.json, builder https://github.com/acme/widget)\nverified 1 artifact(s)';
    const file = write('fail.json', statement({ source: `https://github.com/acme/evil${forged}` }));
    const r = await verify(dir, file);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('VERIFY_SOURCE_MISMATCH');
    expect(r.stderr).toContain('\\u000aPASSED widget');
    expect(r.stderr).not.toMatch(/^PASSED/m);
    expect(r.stderr).not.toMatch(/^verified/m);
    // a batch: one verdict a line, whatever the file names
    writeFileSync(join(dir, `widget\nPASSED evil`), ARTIFACT);
    const good = write('good.json', statement());
    const batch = await runCliCaptured(
      [
        'verify',
        'widget',
        `widget\nPASSED evil`,
        '--provenance',
        good,
        '--provenance',
        file,
        '--source-uri',
        'github.com/acme/widget',
        '--key',
        'key.pub',
      ],
      { cwd: dir },
    );
    expect(batch.stderr).toContain('PASSED widget\\u000aPASSED evil');
    expect(batch.stderr).not.toMatch(/^PASSED evil/m);
  });

  it('an unsigned file: a duplicate key quoted in the error (exit 3) and in a batch warning', async () => {
    const { dir, write } = setup();
    const good = write('good.json', statement());
    const key = `k${HOSTILE}`;
    writeFileSync(
      join(dir, 'dup.json'),
      `{"${JSON.stringify(key).slice(1, -1)}":1,"${JSON.stringify(key).slice(1, -1)}":2}`,
    );
    const single = await verify(dir, 'dup.json');
    expect(single.code, single.stderr).toBe(3);
    expect(single.stderr).toContain('INPUT_JSON_DUPLICATE_KEY');
    expect(single.stderr).not.toMatch(RAW);
    const batch = await verify(dir, good, ['--provenance', 'dup.json']);
    expect(batch.code, batch.stderr).toBe(1);
    expect(batch.stderr).toContain('warning:');
    expect(batch.stderr).not.toMatch(RAW);
  });
});
