import { describe, expect, it } from 'vitest';
import { makeEntry } from '../../../test/support/ledger.js';
import { keyMaterial, keyPolicy, makeTestKey, SignedLedger } from '../../../test/support/trust-ledger.js';
import { verifyEntrySignatures } from './signature-status.js';

const writer = makeTestKey();
const stranger = makeTestKey();
const policy = keyPolicy({ record: [writer], update: [writer], verdict: [writer] });

async function ledger(): Promise<SignedLedger> {
  const l = new SignedLedger();
  await l.write(makeEntry({ run_id: 1 }), writer.signer);
  await l.write(makeEntry({ run_id: 2 }), stranger.signer);
  await l.write(makeEntry({ run_id: 3 }), writer.signer, { unsigned: true });
  await l.write(makeEntry({ run_id: 4 }), writer.signer);
  const day = [...l.files.keys()].find((p) => p.endsWith('manifest.json'))!;
  const log = day.replace('manifest.json', 'transitions.jsonl');
  const lines = l.files.get(log)!.split('\n');
  lines[2] = lines[2]!.replace(/"sig":"(.)/, (_m, c: string) => `"sig":"${c === 'A' ? 'B' : 'A'}`);
  l.commit({ [log]: lines.join('\n') });
  return l;
}

describe('verifyEntrySignatures', () => {
  it('gives each run its signature_status', async () => {
    const l = await ledger();
    const statuses = verifyEntrySignatures(l.days(), { policy, material: keyMaterial(policy) }, l.location);
    expect(statuses.map((s) => [s.run_id, s.signature_status])).toEqual([
      [1, 'verified'],
      [2, 'untrusted'],
      [3, 'unsigned'],
      [4, 'invalid'],
    ]);
    expect(statuses[0]!.signer).toContain(writer.keyId.slice(0, 12));
    expect(statuses[0]!.path).toBe('docs/reports/2025-11-24/manifest.json');
  });

  it('says unverified for every run without a policy', async () => {
    const l = await ledger();
    const statuses = verifyEntrySignatures(
      [
        ...l.days(),
        { path: 'docs/reports/2025-11-25/manifest.json', manifest: 'nope', transitions: undefined },
      ],
      undefined,
    );
    expect(statuses.map((s) => s.signature_status)).toEqual([
      'unverified',
      'unverified',
      'unverified',
      'unverified',
    ]);
  });
});

// Mutation audit (issue 14, seventeenth session): ingest's signature_status applies the ledger's
// location like check does, so a run replayed from a fork is not `verified`.
describe('verifyEntrySignatures, mutation audit', () => {
  it('marks a run signed for another ledger invalid', async () => {
    const l = new SignedLedger();
    await l.write(makeEntry({ run_id: 1 }), writer.signer);
    await l.write(makeEntry({ run_id: 2 }), writer.signer, {
      location: { repository: 'acme/ledger-fork', branch: 'ledger' },
    });
    const statuses = verifyEntrySignatures(l.days(), { policy, material: keyMaterial(policy) }, l.location);
    expect(statuses.map((s) => [s.run_id, s.signature_status])).toEqual([
      [1, 'verified'],
      [2, 'invalid'],
    ]);
  });
});
