// Strict, bounded JSON (RFC 8259) for every document that comes from outside: the byte limit is
// checked before decoding, the text must be valid UTF-8 without a byte-order mark, and while
// jsonc-parser's scanner (strict mode: no comments, no trailing commas) walks it, depth, string
// lengths, array lengths and keys per object are counted and the first excess stops the walk.
// Duplicate keys are refused (and, for signed documents, keys that differ only in case): a parser
// that keeps the last value and one that keeps the first, or one that matches case-insensitively
// (Go's encoding/json), would otherwise read two different documents from the same signed bytes.
// Only a document that passed all of this is handed to JSON.parse, which builds the value.
import { printParseErrorCode, visit, type JSONPath, type ParseErrorCode } from 'jsonc-parser';
import { SlsaLedgerError } from '../../errors.js';
import { limits as namedLimits, type JsonLimits, type JsonLimitsName } from './limits.js';

export type { JsonLimits } from './limits.js';

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** `/a/0/b` (RFC 6901) for a scanner path, for messages and `details.pointer`. */
export function jsonPointer(path: JSONPath): string {
  return path.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** A scanner error code in words: `InvalidCharacter` -> `invalid character`, `ValueExpected` -> `value expected`. */
function parseErrorWords(code: ParseErrorCode): string {
  return printParseErrorCode(code)
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
}

function limitsOf(limits: JsonLimits | JsonLimitsName): JsonLimits {
  return typeof limits === 'string' ? namedLimits[limits] : limits;
}

/** Folds a key the way Go's encoding/json compares field names (and a little more: refusing is safe). */
function foldKey(key: string): string {
  return key.toUpperCase().toLowerCase();
}

class Stop extends Error {
  constructor(readonly error: SlsaLedgerError) {
    super(error.message);
  }
}

interface Frame {
  readonly kind: 'object' | 'array';
  count: number;
  keys?: Set<string>;
  folded?: Set<string>;
}

/** Runs of JSON whitespace at least this long, outside strings, are folded before the scanner. */
const WHITESPACE_RUN = 64;

/**
 * The text with every run of `WHITESPACE_RUN` or more JSON whitespace characters outside strings
 * folded to one space. jsonc-parser's scanner builds a whitespace token one character at a time, so
 * a hostile 25 MiB run of spaces (within the day-file limit, ~100 KiB in git) cost ~12 s of
 * garbage collection and gigabytes of memory per read, and `check` reads every version in history.
 * Whitespace between tokens means nothing in JSON: a valid text keeps its value and validity;
 * offsets in the errors of a folded text count in the folded text. One linear pass (no regular
 * expression: alternations over strings backtrack quadratically on `"\"\"…`).
 */
export function foldLongWhitespace(text: string): string {
  const isWs = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
  let out: string[] | undefined;
  let copied = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      continue;
    }
    if (!isWs(c)) continue;
    let end = i + 1;
    while (end < text.length && isWs(text.charCodeAt(end))) end++;
    if (end - i >= WHITESPACE_RUN) {
      (out ??= []).push(text.slice(copied, i), ' ');
      copied = end;
    }
    i = end - 1;
  }
  if (out === undefined) return text;
  out.push(text.slice(copied));
  return out.join('');
}

/**
 * Checks `input` against `limits` and returns the decoded text, without building the value.
 * @throws SlsaLedgerError `INPUT_TOO_LARGE`, `INPUT_LIMIT_EXCEEDED`, `INPUT_JSON_DUPLICATE_KEY`,
 *   `INPUT_JSON_MALFORMED`
 */
export function checkJson(
  input: string | Uint8Array,
  limitsOrName: JsonLimits | JsonLimitsName,
  what: string,
): string {
  const lim = limitsOf(limitsOrName);
  const bytes = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
  if (bytes > lim.maxBytes) {
    throw new SlsaLedgerError(
      'INPUT_TOO_LARGE',
      `${what} is ${bytes} bytes, more than the limit of ${lim.maxBytes}`,
      { details: { what, limit: 'bytes', max: lim.maxBytes, actual: bytes } },
    );
  }
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else {
    try {
      text = fatalUtf8.decode(input);
    } catch (error) {
      throw new SlsaLedgerError('INPUT_JSON_MALFORMED', `${what} is not valid UTF-8`, {
        cause: error,
        details: { what },
      });
    }
  }
  if (text.charCodeAt(0) === 0xfeff) {
    throw new SlsaLedgerError('INPUT_JSON_MALFORMED', `${what} starts with a byte-order mark`, {
      details: { what, offset: 0 },
    });
  }

  const stack: Frame[] = [];
  const exceeded = (limit: string, max: number, actual: number, path: JSONPath): never => {
    const pointer = jsonPointer(path);
    throw new Stop(
      new SlsaLedgerError(
        'INPUT_LIMIT_EXCEEDED',
        `${what}: ${limit} ${actual} at '${pointer || '/'}' is more than the limit of ${max}`,
        { details: { what, limit, max, actual, pointer } },
      ),
    );
  };
  // a value begins: count it in its array
  const value = (path: () => JSONPath): void => {
    const top = stack[stack.length - 1];
    if (top !== undefined && top.kind === 'array') {
      top.count += 1;
      if (top.count > lim.maxArrayLength) exceeded('array length', lim.maxArrayLength, top.count, path());
    }
  };
  const open = (kind: Frame['kind'], path: () => JSONPath): void => {
    value(path);
    if (stack.length + 1 > lim.maxDepth) exceeded('depth', lim.maxDepth, stack.length + 1, path());
    stack.push(kind === 'object' ? { kind, count: 0, keys: new Set() } : { kind, count: 0 });
  };
  let firstError: { code: ParseErrorCode; offset: number } | undefined;
  try {
    visit(
      foldLongWhitespace(text),
      {
        onObjectBegin: (_o, _l, _sl, _sc, path) => open('object', path),
        onArrayBegin: (_o, _l, _sl, _sc, path) => open('array', path),
        onObjectEnd: () => void stack.pop(),
        onArrayEnd: () => void stack.pop(),
        onObjectProperty: (key, offset, _l, _sl, _sc, path) => {
          const top = stack[stack.length - 1]!;
          if (key.length > lim.maxStringLength) {
            exceeded('key length', lim.maxStringLength, key.length, path());
          }
          top.count += 1;
          if (top.count > lim.maxObjectKeys)
            exceeded('keys per object', lim.maxObjectKeys, top.count, path());
          const keys = top.keys!;
          if (keys.has(key)) {
            const pointer = jsonPointer(path());
            throw new Stop(
              new SlsaLedgerError(
                'INPUT_JSON_DUPLICATE_KEY',
                `${what}: the key '${key.slice(0, 60)}' appears twice in the object at '${pointer || '/'}'`,
                { details: { what, key: key.slice(0, 200), pointer, offset } },
              ),
            );
          }
          keys.add(key);
          if (lim.caseInsensitiveKeys) {
            top.folded ??= new Set();
            const folded = foldKey(key);
            if (top.folded.has(folded)) {
              const pointer = jsonPointer(path());
              throw new Stop(
                new SlsaLedgerError(
                  'INPUT_JSON_DUPLICATE_KEY',
                  `${what}: the key '${key.slice(0, 60)}' differs only in case from another key of the object at '${pointer || '/'}'`,
                  { details: { what, key: key.slice(0, 200), pointer, offset, caseInsensitive: true } },
                ),
              );
            }
            top.folded.add(folded);
          }
        },
        onLiteralValue: (v: unknown, _o, _l, _sl, _sc, path) => {
          value(path);
          if (typeof v === 'string' && v.length > lim.maxStringLength) {
            exceeded('string length', lim.maxStringLength, v.length, path());
          }
        },
        onError: (code, offset) => {
          firstError ??= { code, offset };
        },
      },
      { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false },
    );
  } catch (error) {
    if (error instanceof Stop) throw error.error;
    // the scanner recurses per nesting level; the depth limit stops it long before the stack ends,
    // so anything thrown here is a bug, reported as one
    throw error;
  }
  if (firstError !== undefined) {
    throw new SlsaLedgerError(
      'INPUT_JSON_MALFORMED',
      `${what} is not valid JSON: ${parseErrorWords(firstError.code)} at byte offset ${firstError.offset}`,
      { details: { what, offset: firstError.offset, reason: printParseErrorCode(firstError.code) } },
    );
  }
  return text;
}

/**
 * Parses outside JSON within `limits` (a profile name of `limits.ts` or a custom table).
 * @param what names the document in messages (`day file docs/reports/2025-11-24/manifest.json`)
 * @throws SlsaLedgerError `INPUT_TOO_LARGE`, `INPUT_LIMIT_EXCEEDED`, `INPUT_JSON_DUPLICATE_KEY`,
 *   `INPUT_JSON_MALFORMED` (all exit 3)
 */
export function parseJson(
  input: string | Uint8Array,
  limitsOrName: JsonLimits | JsonLimitsName,
  what: string,
): unknown {
  const text = checkJson(input, limitsOrName, what);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // the scanner and JSON.parse agree on RFC 8259 (tested); kept coded all the same
    throw new SlsaLedgerError(
      'INPUT_JSON_MALFORMED',
      `${what} is not valid JSON: ${(error as Error).message}`,
      {
        cause: error,
        details: { what },
      },
    );
  }
}

/** True for text without lone surrogates (Postgres `text` and UTF-8 cannot hold them). */
export function isWellFormedText(s: string): boolean {
  // String.prototype.isWellFormed is in Node 20
  return (s as string & { isWellFormed(): boolean }).isWellFormed();
}
