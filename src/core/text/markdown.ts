// Text shown in GitHub Markdown (issue and pull request bodies) exactly as written.

/**
 * `text` as a Markdown code span, which GitHub shows as it is: an `@mention`, a `#123` reference,
 * a link or HTML in a reason someone pushed into the ledger is neither rendered nor notified. The
 * fence is one backtick longer than the longest run inside; a text that starts or ends with a
 * backtick or a space is padded with one space each side (CommonMark strips exactly that).
 */
export function markdownCodeSpan(text: string): string {
  if (text === '') return '';
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = /^[` ]|[` ]$/.test(text) ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/**
 * `text` as a fenced code block (lines kept), shown as written: the fence is three backticks, or
 * one more than the longest run of backticks in the text.
 */
export function markdownCodeBlock(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}text\n${text}\n${fence}`;
}
