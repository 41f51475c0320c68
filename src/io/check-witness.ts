// The witness of `check` (issue 14 item 5): the last head it verified, per audited ref, so a later
// `check` can tell when the head no longer descends from it (a force-push). Kept per clone in
// `<git dir>/slsa-ledger/check-witness.json`, or in the file `--witness FILE` names. Format
// (docs/ledger.md "The witness"):
//   {"version": 1, "heads": {"<full ref>:<reports dir>": {"commit": "<hex>", "checked_at": "<RFC 3339>",
//     "trusted": {"policy": "<sha256 of the trust policy>", "commit": "<hex>"}}}}
// `trusted` is the last head audited under that trust policy (absent: none yet).
import { SlsaLedgerError, isSlsaLedgerError } from '../errors.js';
import { readJsonFile, writeFileAtomic } from './files.js';

export interface WitnessHead {
  readonly commit: string;
  readonly checked_at: string;
  /** the last head whose history was audited under a trust policy, and that policy's digest */
  readonly trusted?: { readonly policy: string; readonly commit: string };
}

export interface Witness {
  readonly version: 1;
  readonly heads: Readonly<Record<string, WitnessHead>>;
}

const empty: Witness = { version: 1, heads: {} };
const COMMIT = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

function invalid(file: string, why: string): SlsaLedgerError {
  return new SlsaLedgerError('INPUT_JSON_MALFORMED', `witness file ${file} is not a witness: ${why}`, {
    details: { path: file },
  });
}

/**
 * Reads a witness file (none yet: an empty witness). Read bounded (the `state` profile), a regular
 * file only.
 * @throws `INPUT_JSON_MALFORMED` and the other input codes (exit 3) when the file is not a witness
 */
export async function readWitness(file: string): Promise<Witness> {
  let value: unknown;
  try {
    value = await readJsonFile(file, 'witness file', 'state');
  } catch (error) {
    if (isSlsaLedgerError(error) && error.code === 'INPUT_FILE_MISSING') return empty;
    throw error;
  }
  if (typeof value !== 'object' || value === null || (value as { version?: unknown }).version !== 1) {
    throw invalid(file, 'version must be 1');
  }
  const heads = (value as { heads?: unknown }).heads;
  if (typeof heads !== 'object' || heads === null || Array.isArray(heads)) throw invalid(file, 'no heads');
  const out: Record<string, WitnessHead> = {};
  for (const [k, v] of Object.entries(heads)) {
    const commit = (v as { commit?: unknown } | null)?.commit;
    const at = (v as { checked_at?: unknown } | null)?.checked_at;
    if (typeof commit !== 'string' || !COMMIT.test(commit) || typeof at !== 'string') {
      throw invalid(file, `head '${k.slice(0, 100)}' is not {commit, checked_at}`);
    }
    const trusted = (v as { trusted?: { policy?: unknown; commit?: unknown } | null }).trusted;
    if (trusted === undefined) {
      out[k] = { commit, checked_at: at };
      continue;
    }
    const policy = trusted?.policy;
    const trustedCommit = trusted?.commit;
    if (
      typeof policy !== 'string' ||
      !/^[0-9a-f]{64}$/.test(policy) ||
      typeof trustedCommit !== 'string' ||
      !COMMIT.test(trustedCommit)
    ) {
      throw invalid(file, `head '${k.slice(0, 100)}' has a trusted that is not {policy, commit}`);
    }
    out[k] = { commit, checked_at: at, trusted: { policy, commit: trustedCommit } };
  }
  return { version: 1, heads: out };
}

/** Writes a witness atomically (temporary file, fsync, rename). */
export async function writeWitness(file: string, witness: Witness): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(witness, null, 2)}\n`);
}
