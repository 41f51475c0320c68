// One thread of verifyBundlesInParallel (verify-pool.ts): the trusted roots are parsed once, when
// the thread starts; then each message is a chunk of bundle texts, each verified strictly.
import { parentPort, workerData } from 'node:worker_threads';
import { parseJson } from '../core/input/strict-json.js';
import { verifyBundleSignature, type SigstoreTrust } from '../core/verify/signature-sigstore.js';
import { isSlsaLedgerError } from '../errors.js';

const trust: SigstoreTrust = { trustedRoots: (workerData as { roots: unknown[] }).roots };

parentPort?.on('message', (message: { id: number; texts: string[] }) => {
  const results = message.texts.map((text) => {
    try {
      verifyBundleSignature(parseJson(text, 'signed', 'sigstore bundle'), trust);
      return { ok: true as const };
    } catch (error) {
      return { ok: false as const, code: isSlsaLedgerError(error) ? error.code : 'INTERNAL' };
    }
  });
  parentPort?.postMessage({ id: message.id, results });
});
