// Pure helpers of the GitHub Action: read inputs, split the `args` input into argv, and turn the
// CLI's --json envelope into step outputs.

/** GitHub passes input `foo-bar` as env `INPUT_FOO-BAR` (upper-cased, spaces to `_`). */
export function readInput(env: Readonly<Record<string, string | undefined>>, name: string): string {
  return (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
}

/**
 * Splits the `args` input like a POSIX shell splits words, without expanding anything: whitespace
 * (newlines too) separates words; single quotes keep text literally; double quotes keep spaces
 * and honour `\"` and `\\`; a backslash outside quotes escapes the next character. No variable
 * or glob expansion happens here (the CLI expands globs where it takes files).
 */
export function splitArgs(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end === -1) throw new Error('unterminated single quote in args');
      word += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i += 1;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated double quote in args');
        const d = text[i]!;
        if (d === '"') break;
        if (d === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) {
          word += text[i + 1]!;
          i += 2;
        } else {
          word += d;
          i += 1;
        }
      }
      inWord = true;
      i += 1;
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[i + 1]!;
      inWord = true;
      i += 2;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i += 1;
    } else {
      word += c;
      inWord = true;
      i += 1;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** Exit codes listed in `ok-exit-codes` (e.g. `0,75`); 0 always counts. */
export function parseOkExitCodes(text: string): Set<number> {
  const out = new Set<number>([0]);
  for (const part of text.split(/[\s,]+/).filter((p) => p !== '')) {
    if (!/^\d+$/.test(part)) throw new Error(`ok-exit-codes takes numbers, got '${part}'`);
    out.add(Number(part));
  }
  return out;
}

interface Envelope {
  ok?: boolean;
  result?: unknown;
  error?: { code?: string; message?: string; details?: { result?: unknown } };
}

/** The last line of stdout that parses as the --json envelope. */
export function findEnvelope(stdout: string): Envelope | undefined {
  const lines = stdout.split('\n').filter((l) => l.trim().startsWith('{'));
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    try {
      const v = JSON.parse(lines[i]!) as Envelope;
      if (typeof v === 'object' && v !== null && 'ok' in v) return v;
    } catch {
      // not the envelope (a command may print other JSON on stdout)
    }
  }
  return undefined;
}

/**
 * Step outputs from the envelope: `ok`, `exit_code`, `error_code`, `error_message`, `result` (the
 * whole result as JSON), and one output per top-level result field (objects and arrays as JSON).
 */
export function buildOutputs(envelope: Envelope | undefined, exitCode: number): Record<string, string> {
  const out: Record<string, string> = {
    ok: String(envelope?.ok === true && exitCode === 0),
    exit_code: String(exitCode),
    error_code: envelope?.error?.code ?? '',
    error_message: envelope?.error?.message ?? '',
    result: envelope?.result === undefined ? '' : JSON.stringify(envelope.result),
  };
  // a command that fails after partial work (notify: Slack refused, the issue opened) reports its
  // result in the error's details; its fields become outputs too, so a workflow can still record them
  const result = envelope?.result ?? envelope?.error?.details?.result;
  if (typeof result === 'object' && result !== null && !Array.isArray(result)) {
    for (const [key, value] of Object.entries(result as Record<string, unknown>)) {
      if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) || key in out) continue;
      out[key] = outputText(value);
    }
  }
  return out;
}

function outputText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value) ?? '';
}

/** The `$GITHUB_OUTPUT` file format, with a heredoc delimiter that the value cannot contain. */
export function renderGithubOutput(outputs: Readonly<Record<string, string>>, delimiterSeed: string): string {
  return Object.entries(outputs)
    .map(([k, v]) => {
      let delimiter = `ghadelimiter_${delimiterSeed}`;
      while (v.includes(delimiter)) delimiter += '_';
      return `${k}<<${delimiter}\n${v}\n${delimiter}\n`;
    })
    .join('');
}

// the refusal is the CLI's own (it also guards `npx slsa-ledger` run in a workflow); the action
// checks it first to name it in an ::error annotation
export { publicLogRefusal } from '../cli/public-log.js';

/**
 * One workflow command line (`::error title=…::message`), escaped as the runner unescapes it
 * (docs.github.com "Workflow commands for GitHub Actions"; actions/toolkit core `escapeData` and
 * `escapeProperty`): `%`, CR and LF in the message, also `:` and `,` in a property. Unescaped, a
 * line break in a message quoting an input starts a line of its own, which the runner reads as a
 * command (`::add-mask::`, `::stop-commands::…`, a forged annotation).
 */
export function workflowCommand(
  command: string,
  properties: Readonly<Record<string, string>>,
  message: string,
): string {
  const data = (s: string): string => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const property = (s: string): string => data(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
  const props = Object.entries(properties)
    .map(([k, v]) => `${k}=${property(v)}`)
    .join(',');
  return `::${command}${props === '' ? '' : ` ${props}`}::${data(message)}\n`;
}
