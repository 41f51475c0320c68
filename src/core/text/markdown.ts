// Text shown in GitHub Markdown (issue and pull request bodies, step summaries) exactly as written.

/** The length of the longest run of backticks in `text` (0 when there is none). */
function longestBacktickRun(text: string): number {
  let longest = 0;
  for (const m of text.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  return longest;
}

/**
 * `text` as a Markdown code span, which GitHub shows as it is: an `@mention`, a `#123` reference,
 * a link or HTML in a reason someone pushed into the ledger is neither rendered nor notified. The
 * fence is one backtick longer than the longest run inside; a text that starts or ends with a
 * backtick or a space is padded with one space each side (CommonMark strips exactly that).
 */
export function markdownCodeSpan(text: string): string {
  if (text === '') return '';
  const longest = longestBacktickRun(text);
  const fence = '`'.repeat(longest + 1);
  const pad = /^[` ]|[` ]$/.test(text) ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/**
 * `text` as a fenced code block (lines kept), shown as written: the fence is three backticks, or
 * one more than the longest run of backticks in the text.
 */
export function markdownCodeBlock(text: string): string {
  const longest = longestBacktickRun(text);
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}text\n${text}\n${fence}`;
}

/** `text` as HTML text or attribute value: `&`, `<`, `>`, `"` and `'` as character references. */
export function htmlText(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
