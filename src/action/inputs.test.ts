import { describe, expect, it } from 'vitest';
import {
  buildOutputs,
  findEnvelope,
  parseOkExitCodes,
  readInput,
  renderGithubOutput,
  splitArgs,
  publicLogRefusal,
  workflowCommand,
} from './inputs.js';

describe('splitArgs', () => {
  it.each([
    ['', []],
    ['--tag v1 --record', ['--tag', 'v1', '--record']],
    ['  a\n  b\t c  ', ['a', 'b', 'c']],
    ["'my dir' x", ['my dir', 'x']],
    ['"a \\"b\\" c" d', ['a "b" c', 'd']],
    ['a\\ b', ['a b']],
    ["--input 'tag=v1 2'", ['--input', 'tag=v1 2']],
    ["''", ['']],
    ['pre"fix"post', ['prefixpost']],
    ['$HOME *', ['$HOME', '*']],
  ])('%j', (text, words) => {
    expect(splitArgs(text)).toEqual(words);
  });

  it.each(["'open", '"open'])('rejects an unterminated quote: %s', (text) => {
    expect(() => splitArgs(text)).toThrow(/unterminated/);
  });
});

describe('inputs', () => {
  it('reads INPUT_ variables the way the runner names them', () => {
    expect(readInput({ 'INPUT_OK-EXIT-CODES': ' 0,75 ' }, 'ok-exit-codes')).toBe('0,75');
    expect(readInput({}, 'command')).toBe('');
  });

  it('parses ok-exit-codes; 0 is always ok', () => {
    expect([...parseOkExitCodes('')]).toEqual([0]);
    expect([...parseOkExitCodes('0, 75 4')].sort((a, b) => a - b)).toEqual([0, 4, 75]);
    expect(() => parseOkExitCodes('0,x')).toThrow();
  });
});

describe('outputs', () => {
  it('finds the envelope among other stdout lines', () => {
    expect(findEnvelope('{"not":"it"}\n{"ok":true,"result":{"a":1}}\n')).toEqual({
      ok: true,
      result: { a: 1 },
    });
    expect(findEnvelope('plain text\n{broken\n')).toBeUndefined();
  });

  it('maps result fields to outputs, objects as JSON, and keeps the fixed names', () => {
    const out = buildOutputs(
      {
        ok: true,
        result: {
          dispatch_run_id: 42,
          dispatch_tag: 'v1',
          nested: { a: 1 },
          none: null,
          ok: 'x',
          'bad name': 1,
        },
      },
      0,
    );
    expect(out).toMatchObject({
      ok: 'true',
      exit_code: '0',
      error_code: '',
      dispatch_run_id: '42',
      dispatch_tag: 'v1',
      nested: '{"a":1}',
      none: '',
    });
    expect(out).not.toHaveProperty('bad name');
  });

  it('maps an error envelope', () => {
    expect(buildOutputs({ ok: false, error: { code: 'X_Y', message: 'm' } }, 3)).toMatchObject({
      ok: 'false',
      exit_code: '3',
      error_code: 'X_Y',
      error_message: 'm',
      result: '',
    });
    expect(buildOutputs(undefined, 70)).toMatchObject({ ok: 'false', exit_code: '70' });
  });

  it('renders heredoc outputs whose delimiter never occurs in the value', () => {
    const text = renderGithubOutput({ a: 'x\nghadelimiter_s\ny' }, 's');
    expect(text).toBe('a<<ghadelimiter_s_\nx\nghadelimiter_s\ny\nghadelimiter_s_\n');
  });
});

describe('publicLogRefusal', () => {
  const priv = { repository: { private: true } };
  it('refuses attest --sigstore in a private repository without the opt-in', () => {
    expect(publicLogRefusal(['attest', 'dist/*', '--sigstore'], priv, {})).toMatch(/public Rekor log/);
    expect(
      publicLogRefusal(['attest', '--sigstore'], { repository: { visibility: 'internal' } }, {}),
    ).toBeDefined();
  });
  it('lets it through with the opt-in, in a public repository, with a key, or with an own Rekor', () => {
    expect(
      publicLogRefusal(['attest', '--sigstore'], priv, { SLSA_LEDGER_PUBLIC_LOG_OPT_IN: 'true' }),
    ).toBeUndefined();
    expect(
      publicLogRefusal(['attest', '--sigstore'], { repository: { private: false } }, {}),
    ).toBeUndefined();
    expect(publicLogRefusal(['attest', '--key', 'k.pem'], priv, {})).toBeUndefined();
    expect(
      publicLogRefusal(['attest', '--sigstore', '--rekor-url', 'https://rekor.internal'], priv, {}),
    ).toBeUndefined();
    // the ledger writers sign keyless by default in Actions: the same refusal, the same ways out
    expect(publicLogRefusal(['record'], priv, {})).toMatch(/public Rekor log/);
    expect(publicLogRefusal(['flush'], priv, {})).toMatch(/public Rekor log/);
    expect(publicLogRefusal(['validate', '--record'], priv, {})).toMatch(/public Rekor log/);
    expect(publicLogRefusal(['validate'], priv, {})).toBeUndefined();
    expect(publicLogRefusal(['record', '--sign-key', 'k.pem'], priv, {})).toBeUndefined();
    expect(publicLogRefusal(['record', '--no-sign'], priv, {})).toBeUndefined();
    expect(
      publicLogRefusal(['record'], priv, { SLSA_LEDGER_REKOR_URL: 'https://rekor.internal' }),
    ).toBeUndefined();
    expect(publicLogRefusal(['record'], priv, { SLSA_LEDGER_PUBLIC_LOG_OPT_IN: 'true' })).toBeUndefined();
    expect(publicLogRefusal(['record'], { repository: { private: false } }, {})).toBeUndefined();
  });
});

describe('workflowCommand', () => {
  it('escapes the message and properties as the runner unescapes them', () => {
    expect(workflowCommand('error', {}, 'plain')).toBe('::error::plain\n');
    expect(workflowCommand('error', { title: 'slsa-ledger check' }, 'CHECK_FINDINGS: 2 findings')).toBe(
      '::error title=slsa-ledger check::CHECK_FINDINGS: 2 findings\n',
    );
    expect(workflowCommand('error', { title: 'a:b,c%' }, '100% done\r\n::add-mask::x')).toBe(
      '::error title=a%3Ab%2Cc%25::100%25 done%0D%0A::add-mask::x\n',
    );
  });

  it('a message quoting an input never starts a line of its own (no command injection)', () => {
    const line = workflowCommand('error', {}, 'bad args: x\n::stop-commands::pwned\n::warning::forged');
    expect(line.split('\n')).toEqual([expect.stringMatching(/^::error::/), '']);
  });
});
