// Outside YAML (`.slsa-ledger.yml`, workflow files) parsed within fixed limits (docs/limits.md):
// valid UTF-8, no raw control character, nesting depth checked by one linear pass of the `yaml`
// lexer before the (recursive) composer sees the text, one document, duplicate keys refused, and
// aliases bounded (`maxAliasCount`) before any value is built. A 1 MiB `[[[[…` had made the composer
// run for 10 s and 630 MB before it ran out of stack; an 800-byte alias bomb hung `audit-workflows`.
import { CST, Lexer, LineCounter, parseDocument, type Document } from 'yaml';
import { SlsaLedgerError } from '../../errors.js';
import { otherLimits } from './limits.js';

/** The code a text that is not valid YAML is refused with (the caller's: a config or a workflow). */
export type YamlInvalidCode = 'CONFIG_INVALID' | 'WORKFLOW_INVALID';

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

// C0 controls other than TAB, LF, CR, and DEL: YAML's printable set excludes them
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

function limitExceeded(
  code: YamlInvalidCode,
  what: string,
  limit: 'depth' | 'aliases',
  max: number,
  line?: number,
): SlsaLedgerError {
  const said =
    limit === 'depth'
      ? `nests more than ${max} levels deep${line === undefined ? '' : ` (line ${line})`}`
      : `has more than ${max} alias expansions`;
  return new SlsaLedgerError(code, `${what}: ${said} (docs/limits.md)`, {
    details: { file: what, limit, max, ...(line === undefined ? {} : { line }) },
  });
}

/**
 * Decodes outside YAML bytes: valid UTF-8 (a byte-order mark is dropped), no raw control character.
 * @throws `invalidCode` naming the file
 */
export function decodeYamlBytes(bytes: Uint8Array, what: string, invalidCode: YamlInvalidCode): string {
  let text: string;
  try {
    text = fatalUtf8.decode(bytes);
  } catch (error) {
    throw new SlsaLedgerError(invalidCode, `${what}: not valid UTF-8`, {
      cause: error,
      details: { file: what },
    });
  }
  const m = RAW_CONTROL.exec(text);
  if (m !== null) {
    const line = text.slice(0, m.index).split('\n').length;
    throw new SlsaLedgerError(
      invalidCode,
      `${what}:${line}: holds the control character U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} (not allowed in YAML)`,
      { details: { file: what, line } },
    );
  }
  return text;
}

/**
 * An upper bound of the nesting depth of a YAML text, from one pass of the lexer (linear; the
 * composer is recursive): open flow collections, plus for block collections a stack of the
 * indentations of the lines above with the block indicators (`-`, `?`, `:`) on each, plus one for a
 * sequence at its mapping key's indentation. Never less than the real depth.
 * @returns the first line where the bound passes `max`, with the bound; undefined when within it
 */
export function yamlDepthOver(text: string, max: number): { line: number; depth: number } | undefined {
  const stack: { indent: number; weight: number }[] = [];
  let above = 0; // the sum of the stack's weights
  let flow = 0;
  let line = 1;
  let atLineStart = true;
  let indent = 0;
  let scalarNext = false; // the lexer marks a scalar's text (a block scalar's body too) with a token before it
  for (const token of new Lexer().lex(text)) {
    const type = scalarNext ? 'content' : CST.tokenType(token);
    scalarNext = false;
    if (type === 'scalar') {
      scalarNext = true;
      continue;
    }
    if (type === 'newline') {
      line += 1;
      atLineStart = true;
      indent = 0;
      continue;
    }
    if (type === 'space') {
      if (atLineStart) indent = /^ */.exec(token)![0].length;
      continue;
    }
    if (
      type === 'comment' ||
      type === 'doc-mode' ||
      type === 'byte-order-mark' ||
      type === 'directive-line' ||
      type === 'flow-error-end'
    ) {
      continue;
    }
    if (atLineStart && flow === 0) {
      // a new line of block content: the collections at least as indented are closed
      while (stack.length > 0 && stack[stack.length - 1]!.indent >= indent) above -= stack.pop()!.weight;
      stack.push({ indent, weight: 1 });
      above += 1;
    }
    atLineStart = false;
    if (type === 'seq-item-ind' || type === 'explicit-key-ind' || type === 'map-value-ind') {
      if (flow === 0 && stack.length > 0) {
        stack[stack.length - 1]!.weight += 1;
        above += 1;
      }
    } else if (type === 'flow-map-start' || type === 'flow-seq-start') {
      flow += 1;
    } else if ((type === 'flow-map-end' || type === 'flow-seq-end') && flow > 0) {
      flow -= 1;
    }
    const depth = above + flow + 1;
    if (depth > max) return { line, depth };
    let breaks = 0;
    for (let i = token.indexOf('\n'); i !== -1; i = token.indexOf('\n', i + 1)) breaks += 1;
    line += breaks;
    if (breaks > 0 && token.endsWith('\n')) {
      // a block scalar's body ends its last line
      atLineStart = true;
      indent = 0;
    }
  }
  return undefined;
}

/**
 * The `yaml` library's `maxAliasCount` for `otherLimits.yamlAliases` aliases of one anchor: it counts
 * the anchored node itself too (an anchor's count starts at 1 and the check is `count × aliasCount >
 * maxAliasCount`), so `maxAliasCount: 100` refused the 100th alias of a scalar. An anchor whose value
 * holds aliases counts as what it expands to.
 */
const YAML_MAX_ALIAS_COUNT = otherLimits.yamlAliases + 1;

export interface BoundedYamlOptions {
  /** the file, for messages */
  readonly what: string;
  readonly invalidCode: YamlInvalidCode;
  readonly lineCounter?: LineCounter;
  /** default `otherLimits.yamlDepth` */
  readonly maxDepth?: number;
}

/**
 * Parses one outside YAML document within the limits: depth before parsing, duplicate keys refused,
 * one document only, aliases bounded (`otherLimits.yamlAliases` per anchor, as the `yaml` library
 * counts them when it builds values) before the document is returned.
 * @throws `invalidCode`: not YAML (with the line), or over a limit (`details.limit` `depth` or
 *   `aliases`, `details.max`)
 */
export function parseBoundedYaml(text: string, options: BoundedYamlOptions): Document {
  const { what, invalidCode } = options;
  const maxDepth = options.maxDepth ?? otherLimits.yamlDepth;
  const over = yamlDepthOver(text, maxDepth);
  if (over !== undefined) throw limitExceeded(invalidCode, what, 'depth', maxDepth, over.line);
  const lc = options.lineCounter ?? new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, merge: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const p = lc.linePos(e.pos[0]);
    throw new SlsaLedgerError(
      invalidCode,
      `${what}:${p.line}:${p.col}: not valid YAML: ${e.message.split('\n')[0] ?? ''}`,
      { details: { file: what, line: p.line, column: p.col } },
    );
  }
  try {
    doc.toJS({ maxAliasCount: YAML_MAX_ALIAS_COUNT });
  } catch (error) {
    if (error instanceof ReferenceError && /alias/i.test(error.message)) {
      throw limitExceeded(invalidCode, what, 'aliases', otherLimits.yamlAliases);
    }
    throw new SlsaLedgerError(
      invalidCode,
      `${what}: not valid YAML: ${(error as Error).message.split('\n')[0]}`,
      {
        cause: error,
        details: { file: what },
      },
    );
  }
  return doc;
}

/**
 * Bytes of outside YAML to a plain value (a mapping's keys as own properties, `__proto__` included
 * as data): decoded, bounded and parsed as `parseBoundedYaml`.
 */
export function parseBoundedYamlValue(
  bytes: Uint8Array,
  what: string,
  invalidCode: YamlInvalidCode,
): unknown {
  const doc = parseBoundedYaml(decodeYamlBytes(bytes, what, invalidCode), { what, invalidCode });
  return doc.toJS({ maxAliasCount: YAML_MAX_ALIAS_COUNT }) as unknown;
}
