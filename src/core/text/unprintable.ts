// Characters a terminal must never receive raw from data: control characters (a terminal escape),
// format characters (U+202E RIGHT-TO-LEFT OVERRIDE flips the text around it on screen; U+200B, U+FEFF
// and the other zero-width ones hide text), separators other than the space, lone surrogates. A tag
// in a ledger written by anyone who can push may hold them (the entry schema refuses them in new
// tags; history is input too), so every message and every JSON document the CLI prints shows them
// as escapes instead.

const UNPRINTABLE = '\\p{Cc}\\p{Cf}\\p{Cs}\\p{Zl}\\p{Zp}\\u00a0\\u2000-\\u200a\\u202f\\u205f\\u3000';
const UNPRINTABLE_RE = new RegExp(`[${UNPRINTABLE}]`, 'gu');
// in JSON text, the C0 controls are JSON.stringify's to escape (inside strings it always does; outside
// them, with an indent, `\n` is layout), and it escapes lone surrogates too
const JSON_UNPRINTABLE_RE = new RegExp(`(?![\\u0000-\\u001f])[${UNPRINTABLE}]`, 'gu');

const unit = (u: number): string => `\\u${u.toString(16).padStart(4, '0')}`;

/** `text` with every unprintable code point as `\uXXXX` (`\u{XXXXX}` above U+FFFF), for messages. */
export function escapeUnprintable(text: string): string {
  return text.replace(UNPRINTABLE_RE, (c) => {
    const point = c.codePointAt(0)!;
    return point > 0xffff ? `\\u{${point.toString(16)}}` : unit(point);
  });
}

/**
 * Human output (several lines): every unprintable code point escaped as by `escapeUnprintable`
 * except the line feed and the tab that lay the text out. Messages quote what a provenance, a
 * bundle or a ledger says (a builder id, a subject name, a duplicate key of an unsigned file), and
 * an ESC there would otherwise reach the terminal raw: a screen cleared, a forged `PASSED` line.
 */
export function escapeUnprintableLines(text: string): string {
  return text
    .split('\n')
    .map((line) => line.split('\t').map(escapeUnprintable).join('\t'))
    .join('\n');
}

/**
 * `JSON.stringify(value, null, indent)` with every unprintable code point as a JSON `\uXXXX` escape
 * (a surrogate pair above U+FFFF): the same JSON value, and no such character in the text.
 */
export function stringifyJsonPrintable(value: unknown, indent?: number): string {
  const json = JSON.stringify(value, null, indent);
  // JSON.stringify(undefined) is undefined; the CLI never prints one, but keep the type honest
  if (json === undefined) return 'null';
  return json.replace(JSON_UNPRINTABLE_RE, (c) =>
    Array.from({ length: c.length }, (_, i) => unit(c.charCodeAt(i))).join(''),
  );
}
