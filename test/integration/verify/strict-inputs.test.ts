// Issue 13, the verify side: every provenance file, bundle, DSSE envelope, decoded in-toto
// statement and trusted root is parsed strictly (the `signed` and `trustedRoot` limits of
// src/core/input/limits.ts): duplicate keys and keys differing only in case are refused with
// INPUT_JSON_DUPLICATE_KEY (exit 3) at every level, the statement inside the DSSE payload included.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../support/cli.js';

const FIX = join(import.meta.dirname, '../../fixtures/provenance');
const PUBLIC_GOOD = join(import.meta.dirname, '../../fixtures/vectors/sigstore/trusted_root.json');
const bundleText = readFileSync(join(FIX, 'golden/provenance.sigstore.json'), 'utf8');
const envelopeLine = readFileSync(join(FIX, 'golden/provenance.intoto.jsonl'), 'utf8').trim();
const policy = ['--source-uri', 'github.com/slsa-ledger/fixture', '--key', join(FIX, 'key.pub.pem')];

function withPayload(text: string, payload: string): string {
  const b = JSON.parse(text) as { dsseEnvelope?: { payload: string }; payload?: string };
  const target = b.dsseEnvelope ?? b;
  target.payload = Buffer.from(payload).toString('base64');
  return JSON.stringify(b);
}

async function verifyText(text: string, name = 'p.sigstore.json', extra: string[] = []) {
  const d = mkdtempSync(join(tmpdir(), 'slsa-ledger-strict-'));
  writeFileSync(join(d, name), text);
  const run = await runCliCaptured(
    ['verify', join(FIX, 'artifact.txt'), '--provenance', name, ...policy, ...extra, '--json'],
    {
      cwd: d,
    },
  );
  return { code: run.code, json: run.json() };
}

const statement = JSON.parse(
  Buffer.from(
    (JSON.parse(bundleText) as { dsseEnvelope: { payload: string } }).dsseEnvelope.payload,
    'base64',
  ).toString(),
) as Record<string, unknown>;
const statementText = JSON.stringify(statement);

describe('strict provenance parsing (INPUT_JSON_DUPLICATE_KEY, exit 3)', () => {
  it.each([
    ['a bundle with mediaType twice', bundleText.replace('{', '{"mediaType":"x",')],
    ['a bundle with DsseEnvelope beside dsseEnvelope', bundleText.replace('{', '{"DsseEnvelope":{},')],
    [
      'a bundle whose verificationMaterial holds publicKey twice',
      bundleText.replace('"publicKey":', '"publicKey":{},"publicKey":'),
    ],
    [
      'the statement with subject twice',
      withPayload(bundleText, statementText.replace('{', '{"subject":[],')),
    ],
    [
      'the statement with Subject beside subject',
      withPayload(bundleText, statementText.replace('{', '{"Subject":[],')),
    ],
    [
      'the statement with predicateType in another case',
      withPayload(bundleText, statementText.replace('{', '{"PredicateType":"x",')),
    ],
    [
      'a digest algorithm twice in a subject',
      withPayload(bundleText, statementText.replace('"sha256":', '"sha256":"00","sha256":')),
    ],
    [
      'case-variant keys deep in the predicate',
      withPayload(
        bundleText,
        statementText.replace('"buildDefinition":{', '"buildDefinition":{"BuildType":"x",'),
      ),
    ],
  ])('%s', async (_name, text) => {
    const r = await verifyText(text);
    expect(r.code).toBe(3);
    expect(r.json.error?.code).toBe('INPUT_JSON_DUPLICATE_KEY');
  });

  it.each([
    ['an envelope line with payload twice', envelopeLine.replace('{', '{"payload":"e30=",')],
    ['an envelope line with Signatures beside signatures', envelopeLine.replace('{', '{"Signatures":[],')],
    [
      'the statement in an envelope line with subject twice',
      withPayload(envelopeLine, statementText.replace('{', '{"subject":[],')),
    ],
  ])('%s (.intoto.jsonl)', async (_name, text) => {
    const r = await verifyText(`${text}\n`, 'p.intoto.jsonl');
    expect(r.json.error?.code).toBe('INPUT_JSON_DUPLICATE_KEY');
  });

  it('a bundle over the byte limit is INPUT_TOO_LARGE before it is parsed', async () => {
    const r = await verifyText(' '.repeat(33 * 1024 * 1024) + bundleText);
    expect(r.json.error?.code).toBe('INPUT_TOO_LARGE');
  });

  it('nesting deeper than the signed limit is INPUT_LIMIT_EXCEEDED', async () => {
    const r = await verifyText(`{"mediaType":${'['.repeat(100)}${']'.repeat(100)}}`);
    expect(r.json.error?.code).toBe('INPUT_LIMIT_EXCEEDED');
  });
});

describe('strict trusted roots', () => {
  const root = readFileSync(PUBLIC_GOOD, 'utf8');
  const bundle = join(
    import.meta.dirname,
    '../../fixtures/vectors/other-tools/npm/sigstore-js-2.1.0-bundle.json',
  );
  async function withRoot(text: string) {
    const d = mkdtempSync(join(tmpdir(), 'slsa-ledger-root-'));
    writeFileSync(join(d, 'root.json'), text);
    const run = await runCliCaptured(
      [
        'verify',
        '--digest',
        `sha512:${'0'.repeat(128)}`,
        '--provenance',
        bundle,
        '--source-uri',
        'github.com/sigstore/sigstore-js',
        '--trusted-root',
        'root.json',
        '--offline',
        '--json',
      ],
      { cwd: d },
    );
    return run.json().error?.code;
  }
  it.each([
    ['tlogs twice', root.replace('{', '{"tlogs":[],')],
    ['Tlogs beside tlogs', root.replace('{', '{"Tlogs":[],')],
    [
      'a gh trusted-root line with a duplicate key',
      `${root.replace(/\n/g, '').replace('{', '{"mediaType":"x",')}\n${root.replace(/\n/g, '')}\n`,
    ],
  ])('%s: INPUT_JSON_DUPLICATE_KEY', async (_n, text) => {
    expect(await withRoot(text)).toBe('INPUT_JSON_DUPLICATE_KEY');
  });
});
