// The conformance vectors copied from shared/vectors (test/fixtures/vectors, with their SOURCE.md):
// slsa-verifier's test data and the pinned Sigstore public-good trusted root. Core tests read them
// through here, so src/core itself never touches the file system.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const VECTORS_DIR = resolve(import.meta.dirname, '../fixtures/vectors');

/** Parses a JSON vector file (the first document of JSON lines); a fresh copy on every call. */
export function readVector(path: string): any {
  const text = readFileSync(resolve(VECTORS_DIR, path), 'utf8');
  return JSON.parse(path.endsWith('.json') ? text : (text.trimEnd().split('\n')[0] ?? ''));
}

/** The raw bytes of a vector file (a PEM key, an artifact). */
export function readVectorBytes(path: string): Buffer {
  return readFileSync(resolve(VECTORS_DIR, path));
}
