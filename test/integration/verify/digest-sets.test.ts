// in-toto v1.1 digest sets (in-toto attestation spec, digest_set.md): a subject is matched by any
// algorithm both sides know, with the same value. A file is hashed with every strong algorithm the
// statements name (sha384, sha3, sha512/256, …) and never with MD5 or SHA-1, which an attacker can
// collide; `--digest sha1:…` / `--digest gitCommit:…` is the user's explicit choice. Key-signed
// statements made here, verified through the CLI.
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildEnvelope, computePae } from '../../../src/core/provenance/dsse.js';
import { computeKeyId } from '../../../src/core/verify/key-id.js';
import { makeStatement } from '../../support/provenance-factories.js';
import { runCliCaptured } from '../../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'digest-sets-'));
const { publicKey, privateKey } = generateKeyPairSync('ed25519');
writeFileSync(join(dir, 'k.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
const data = Buffer.from('an artifact named by other digests than sha256\n');
writeFileSync(join(dir, 'app.bin'), data);
const hash = (alg: string): string => createHash(alg).update(data).digest('hex');

function provenance(name: string, digest: Record<string, string>): string {
  const statement = { ...makeStatement(), subject: [{ uri: `pkg:generic/${name}`, digest }] };
  const payload = Buffer.from(JSON.stringify(statement));
  const type = 'application/vnd.in-toto+json';
  const sig = sign(null, computePae(type, payload), privateKey);
  const envelope = buildEnvelope(type, payload, [{ keyid: computeKeyId(publicKey), sig }]);
  const path = join(dir, `${name}.intoto.jsonl`);
  writeFileSync(path, `${JSON.stringify(envelope)}\n`);
  return path;
}

async function verify(artifact: string[], prov: string): Promise<{ code: number; error?: string }> {
  const run = await runCliCaptured(
    [
      'verify',
      ...artifact,
      '--provenance',
      prov,
      '--key',
      'k.pub',
      '--source-uri',
      'github.com/o/r',
      '--json',
    ],
    { cwd: dir, env: { PATH: process.env.PATH ?? '' } },
  );
  const error = run.json().error?.code;
  return error === undefined ? { code: run.code } : { code: run.code, error };
}

describe('subjects named by any digest algorithm the file can be hashed with', () => {
  it.each([
    ['sha384', 'sha384'],
    ['sha3_256', 'sha3-256'],
    ['sha512_256', 'sha512-256'],
    ['blake2b', 'blake2b512'],
  ])('a %s-only subject matches the file', async (alg, node) => {
    expect(await verify(['app.bin'], provenance(alg, { [alg]: hash(node) }))).toEqual({ code: 0 });
  });

  it('another value of that algorithm does not', async () => {
    const p = provenance('sha384-other', { sha384: createHash('sha384').update('other').digest('hex') });
    expect(await verify(['app.bin'], p)).toEqual({ code: 1, error: 'VERIFY_SUBJECT_DIGEST_MISMATCH' });
  });

  it.each([
    ['md5', 'md5'],
    ['sha1', 'sha1'],
  ])('a %s-only subject never matches a file (collisions)', async (alg, node) => {
    expect(await verify(['app.bin'], provenance(`${alg}-weak`, { [alg]: hash(node) }))).toEqual({
      code: 1,
      error: 'VERIFY_SUBJECT_DIGEST_MISMATCH',
    });
  });

  it('--digest sha1:… and --digest gitCommit:… are the user’s explicit choice', async () => {
    const sha1 = hash('sha1');
    expect(await verify(['--digest', `sha1:${sha1}`], provenance('sha1-explicit', { sha1 }))).toEqual({
      code: 0,
    });
    expect(await verify(['--digest', `gitCommit:${sha1}`], provenance('git', { gitCommit: sha1 }))).toEqual({
      code: 0,
    });
  });
});
