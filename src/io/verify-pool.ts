import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

export interface BundleVerdict {
  readonly ok: boolean;
  readonly code?: string;
}

/**
 * Verifies many Sigstore bundles (their JSON text) on every core: one worker thread per core, each
 * parsing the trusted roots once and verifying chunks of bundles (strict parse, the Sigstore layer
 * of verifyBundleSignature: DER, chain, SCTs, logs, timestamps, signature). Verdicts in input order.
 * Library API for batch verification and `check` of a signed ledger; needs the compiled module
 * (dist/), as worker threads load files.
 */
export async function verifyBundlesInParallel(
  texts: readonly string[],
  trustedRoots: readonly unknown[],
  options: { readonly threads?: number; readonly chunk?: number } = {},
): Promise<BundleVerdict[]> {
  const threads = Math.max(1, Math.min(options.threads ?? availableParallelism(), texts.length || 1));
  const chunk = options.chunk ?? 64;
  const workerUrl = new URL('./verify-pool-worker.js', import.meta.url);
  const workers = Array.from(
    { length: threads },
    () => new Worker(workerUrl, { workerData: { roots: trustedRoots } }),
  );
  const verdicts: BundleVerdict[] = new Array<BundleVerdict>(texts.length);
  let next = 0;
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const send = (): void => {
              if (next >= texts.length) return resolve();
              const start = next;
              next += chunk;
              worker.postMessage({ id: start, texts: texts.slice(start, start + chunk) });
            };
            worker.on('message', (m: { id: number; results: BundleVerdict[] }) => {
              m.results.forEach((r, i) => (verdicts[m.id + i] = r));
              send();
            });
            worker.on('error', reject);
            send();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return verdicts;
}
