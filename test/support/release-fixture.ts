import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { manifestPathFor, serializeManifest, type LedgerEntry } from '../../src/core/ledger/entry.js';
import { runCliCaptured } from './cli.js';

// A released tag for validate tests: an artifact, key-signed provenance made by the real `attest`,
// the public key, and a ledger entry describing the run.

export const releaseSha = 'c0ffee'.padEnd(40, '0');

export interface ReleaseFixture {
  readonly dir: string;
  readonly artifact: string;
  readonly provenance: string;
  readonly provenanceBytes: Buffer;
  readonly publicKey: string;
  readonly entry: LedgerEntry;
}

export async function makeRelease(tag = 'v1.2.3', runId = 55): Promise<ReleaseFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'slsa-release-'));
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  await writeFile(join(dir, 'signing.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  await writeFile(join(dir, 'signing.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  const artifact = join(dir, 'app.tgz');
  await writeFile(artifact, `the release artifact of ${tag}`);
  const provenance = join(dir, 'app.intoto.json');
  const attest = await runCliCaptured(
    [
      'attest',
      artifact,
      '--json',
      '--key',
      join(dir, 'signing.key'),
      '--out',
      provenance,
      '--repository',
      'acme/app',
      '--ref',
      `refs/tags/${tag}`,
      '--sha',
      releaseSha,
      '--workflow-path',
      '.github/workflows/slsa-provenance.yml',
      '--run-id',
      String(runId),
      '--event-name',
      'workflow_dispatch',
    ],
    { cwd: dir },
  );
  expect(attest.code, attest.stderr + attest.stdout).toBe(0);
  const provenanceBytes = await readFile(provenance);
  const entry: LedgerEntry = {
    run_id: runId,
    tag,
    sha: releaseSha,
    artifact_url: `https://github.com/acme/app/actions/runs/${runId}/artifacts/777`,
    actor: 'release-bot',
    timestamp: '2026-11-20T10:00:00Z',
    status: 'success',
    governance_flag: 'provenance-ready',
    release_url: `https://github.com/acme/app/releases/tag/${tag}`,
    provenance: {
      digest: `sha256:${createHash('sha256').update(provenanceBytes).digest('hex')}`,
      predicate_type: 'https://slsa.dev/provenance/v1',
      builder_id: `https://github.com/acme/app/.github/workflows/slsa-provenance.yml@refs/tags/${tag}`,
      subjects: [
        {
          name: 'app.tgz',
          sha256: createHash('sha256')
            .update(await readFile(artifact))
            .digest('hex'),
        },
      ],
    },
  };
  return { dir, artifact, provenance, provenanceBytes, publicKey: join(dir, 'signing.pub'), entry };
}

/** Writes entries as the ledger's day files under `root/docs/reports`. */
export async function writeLedger(root: string, entries: readonly LedgerEntry[]): Promise<void> {
  const byPath = new Map<string, LedgerEntry[]>();
  for (const e of entries) {
    const p = manifestPathFor(e);
    byPath.set(p, [...(byPath.get(p) ?? []), e]);
  }
  for (const [p, list] of byPath) {
    await mkdir(dirname(join(root, p)), { recursive: true });
    await writeFile(join(root, p), serializeManifest(list));
  }
}
