// A fast path for strict JSON on the documents slsa-ledger writes itself: every log line is
// `JSON.stringify(bundle)`, every statement payload `JSON.stringify(statement)` and every day file
// `JSON.stringify(entries, null, 2)` and a newline, so a text that equals one of those
// re-serializations of `JSON.parse(text)` was written that way. Such a text holds no duplicate
// key (a duplicate would be dropped by the parse and missing from the re-serialization), and a walk
// over the parsed value checks what is left of the limits (depth, string and array lengths, keys
// per object) and case-variant keys. Any other text — written by another tool, or hostile — goes
// to the scanner of src/core/input/strict-json.ts, which decides and words the error. The fast path
// only ever accepts what the scanner accepts (property-tested in canonical-json.test.ts).
import { limits as namedLimits, type JsonLimits, type JsonLimitsName } from '../input/limits.js';
import { parseJson } from '../input/strict-json.js';

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function withinLimits(value: unknown, lim: JsonLimits, depth: number): boolean {
  if (typeof value === 'string') return value.length <= lim.maxStringLength;
  if (typeof value !== 'object' || value === null) return true;
  if (depth >= lim.maxDepth) return false;
  if (Array.isArray(value)) {
    if (value.length > lim.maxArrayLength) return false;
    for (const item of value) if (!withinLimits(item, lim, depth + 1)) return false;
    return true;
  }
  const keys = Object.keys(value);
  if (keys.length > lim.maxObjectKeys) return false;
  let folded: Set<string> | undefined;
  if (lim.caseInsensitiveKeys && keys.length > 1) {
    folded = new Set<string>();
    for (const k of keys) {
      const f = k.toUpperCase().toLowerCase();
      if (folded.has(f)) return false;
      folded.add(f);
    }
  }
  for (const k of keys) {
    if (k.length > lim.maxStringLength) return false;
    if (!withinLimits((value as Record<string, unknown>)[k], lim, depth + 1)) return false;
  }
  return true;
}

function isCanonical(value: unknown, text: string): boolean {
  try {
    return (
      JSON.stringify(value) === text ||
      (text.endsWith('\n') && `${JSON.stringify(value, null, 2)}\n` === text)
    );
  } catch {
    return false; // a RangeError of a value too deep after all: the scanner decides
  }
}

/**
 * Parses JSON within a limits profile like `parseJson`, faster for canonical compact JSON.
 * @throws the codes of `parseJson`: `INPUT_TOO_LARGE`, `INPUT_LIMIT_EXCEEDED`, `INPUT_JSON_DUPLICATE_KEY`, `INPUT_JSON_MALFORMED`
 */
export function parseCanonicalJson(
  input: string | Uint8Array,
  limitsOrName: JsonLimits | JsonLimitsName,
  what: string,
): unknown {
  const lim = typeof limitsOrName === 'string' ? namedLimits[limitsOrName] : limitsOrName;
  const bytes = typeof input === 'string' ? input.length * 3 : input.byteLength; // UTF-16 units take at most 3 UTF-8 bytes
  if (bytes <= lim.maxBytes) {
    let text: string | undefined;
    try {
      text = typeof input === 'string' ? input : fatalUtf8.decode(input);
    } catch {
      text = undefined;
    }
    if (text !== undefined && text.charCodeAt(0) !== 0xfeff) {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        value = undefined;
      }
      // the limits first: their walk stops at the depth limit, so the re-serialisation below never
      // recurses into a 20,000-deep value (JSON.parse is iterative, JSON.stringify is not)
      if (value !== undefined && withinLimits(value, lim, 0) && isCanonical(value, text)) {
        return value;
      }
    }
  }
  return parseJson(input, lim, what);
}
