// Outside YAML within its limits (docs/limits.md): the depth bound is checked by a linear pass of
// the lexer before the recursive composer, which took 10 s and 630 MB on a 1 MiB `[[[[…` before it
// ran out of stack. Real workflows stay far below the limit (test/integration/workflows/hostile-workflows.test.ts).
import { describe, expect, it } from 'vitest';
import { decodeYamlBytes, parseBoundedYaml, parseBoundedYamlValue, yamlDepthOver } from './bounded-yaml.js';
import { otherLimits } from './limits.js';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

const MiB = 1024 * 1024;
const deep = {
  'a 1 MiB flow sequence': '['.repeat(MiB / 2) + ']'.repeat(MiB / 2),
  'a 1 MiB flow mapping': '{a: '.repeat(MiB / 8) + '1' + '}'.repeat(MiB / 8),
  'compact sequences on one line': `a:\n  ${'- '.repeat(MiB / 2 - 4)}x\n`,
  'a staircase of compact sequences': Array.from({ length: 300 }, (_, i) => `${' '.repeat(2 * i)}- - x`).join(
    '\n',
  ),
  'an indented staircase of mappings': Array.from({ length: 1400 }, (_, i) => `${' '.repeat(i)}a:`).join(
    '\n',
  ),
  'explicit keys': `${'? '.repeat(100_000)}x\n`,
};

describe('yamlDepthOver', () => {
  it('is never less than the real depth (the yaml library counts the levels)', () => {
    const samples = [
      'a:\n  b:\n    c: [1, {d: [2]}]\n',
      '- - - x\n    - y\n  - z\n',
      'a:\n- b: 1\n  c:\n  - d\n',
      '? [a, b]\n: {c: [d]}\n',
      'run: |\n  [[[[[[\n  {{{{{{\nx: 1\n',
      'a: "[[[[[["\nb: \'{{{{\'\nc: d [[[[ # [[[[\n',
    ];
    for (const text of samples) {
      const levels = (v: unknown): number =>
        v !== null && typeof v === 'object'
          ? 1 + Math.max(0, ...Object.values(v as Record<string, unknown>).map(levels))
          : 0;
      const real = levels(parseBoundedYamlValue(Buffer.from(text), 'x.yml', 'CONFIG_INVALID'));
      expect(yamlDepthOver(text, real - 1), text).toBeDefined();
    }
    // brackets inside quotes, block scalars and comments are not nesting
    expect(yamlDepthOver('run: |\n  [[[[[[\n  {{{{{{\nx: "[[[["\n# [[[[\n', 4)).toBeUndefined();
  });

  it.each(Object.entries(deep))('stops %s at the limit, in one quick pass', (_name, text) => {
    const started = performance.now();
    expect(yamlDepthOver(text, otherLimits.yamlDepth)?.depth).toBeGreaterThan(otherLimits.yamlDepth);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('parseBoundedYaml', () => {
  it.each(Object.entries(deep))(
    'refuses %s before the composer sees it (details.limit depth)',
    (_name, text) => {
      const started = performance.now();
      let error: unknown;
      try {
        parseBoundedYaml(text, { what: 'w.yml', invalidCode: 'WORKFLOW_INVALID' });
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({
        code: 'WORKFLOW_INVALID',
        details: { limit: 'depth', max: otherLimits.yamlDepth },
      });
      expect(performance.now() - started).toBeLessThan(2000);
    },
  );

  it('refuses an alias bomb (details.limit aliases), one document only, duplicate keys', () => {
    const bomb = `a0: &a0 [x, x, x, x, x, x, x, x, x]\n${Array.from(
      { length: 11 },
      (_, i) => `a${i + 1}: &a${i + 1} [${Array(9).fill(`*a${i}`).join(', ')}]`,
    ).join('\n')}\n`;
    expect(() => parseBoundedYaml(bomb, { what: 'c.yml', invalidCode: 'CONFIG_INVALID' })).toThrowCode(
      'CONFIG_INVALID',
    );
    expect(
      codeOf(() => parseBoundedYaml('a: 1\n---\nb: 2\n', { what: 'c', invalidCode: 'CONFIG_INVALID' })),
    ).toBe('CONFIG_INVALID');
    expect(codeOf(() => parseBoundedYaml('a: 1\na: 2\n', { what: 'c', invalidCode: 'CONFIG_INVALID' }))).toBe(
      'CONFIG_INVALID',
    );
  });

  it('keeps merge keys, JavaScript tags and __proto__ as plain data (YAML 1.2, as GitHub reads it)', () => {
    const v = parseBoundedYamlValue(
      Buffer.from(
        'x: &x {a: 1}\ny:\n  <<: *x\nf: !!js/function "function () {}"\n__proto__: {polluted: true}\n',
      ),
      'c.yml',
      'CONFIG_INVALID',
    ) as Record<string, unknown>;
    expect(v.y).toEqual({ '<<': { a: 1 } });
    expect(v.f).toBe('function () {}');
    expect(Object.hasOwn(v, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('decodeYamlBytes', () => {
  it('refuses bytes that are not UTF-8 and raw control characters; drops a byte-order mark', () => {
    expect(
      codeOf(() => decodeYamlBytes(Buffer.from([0x61, 0x3a, 0x20, 0xff, 0x0a]), 'c', 'CONFIG_INVALID')),
    ).toBe('CONFIG_INVALID');
    expect(codeOf(() => decodeYamlBytes(Buffer.from('a: c\0d\n'), 'c', 'WORKFLOW_INVALID'))).toBe(
      'WORKFLOW_INVALID',
    );
    expect(codeOf(() => decodeYamlBytes(Buffer.from('a: \u001b[31m\n'), 'c', 'WORKFLOW_INVALID'))).toBe(
      'WORKFLOW_INVALID',
    );
    expect(decodeYamlBytes(Buffer.from('\ufeffa: 1\n'), 'c', 'CONFIG_INVALID')).toBe('a: 1\n');
    expect(decodeYamlBytes(Buffer.from('a:\tb\r\n'), 'c', 'CONFIG_INVALID')).toBe('a:\tb\r\n');
  });
});

// The mutation audit of the bounded parsers (docs/status.md, issue 13): every limit accepts N and
// refuses N + 1, and each check refuses on its own.
describe('YAML limits at their edges (mutation audit)', () => {
  function errorOf(f: () => unknown): { code?: string; message: string; details: Record<string, unknown> } {
    try {
      f();
    } catch (error) {
      return error as { code?: string; message: string; details: Record<string, unknown> };
    }
    throw new Error('no error');
  }
  const parse = (text: string, maxDepth?: number) =>
    parseBoundedYaml(text, {
      what: 'c.yml',
      invalidCode: 'CONFIG_INVALID',
      ...(maxDepth === undefined ? {} : { maxDepth }),
    });

  it('accepts 100 aliases of one anchor and refuses 101 (docs/limits.md), details.limit aliases', () => {
    const aliases = (n: number, value = 'x') => `a: &a ${value}\nb: [${Array(n).fill('*a').join(', ')}]\n`;
    expect(parseBoundedYamlValue(Buffer.from(aliases(100)), 'c.yml', 'CONFIG_INVALID')).toMatchObject({
      b: Array(100).fill('x'),
    });
    expect(errorOf(() => parse(aliases(101)))).toMatchObject({
      code: 'CONFIG_INVALID',
      details: { limit: 'aliases', max: 100 },
    });
    expect(() => parse(aliases(100, '[x, y]'))).not.toThrow();
    expect(errorOf(() => parse(aliases(101, '[x, y]'))).details.limit).toBe('aliases');
    expect(errorOf(() => parse(aliases(101))).message).toBe(
      'c.yml: has more than 100 alias expansions (docs/limits.md)',
    );
  });

  it('refuses a bound over maxDepth with the line, and accepts a bound of exactly maxDepth', () => {
    // '[' × k: the lexer's bound is k + 2 (the line, the value, k flow levels)
    const flow = (k: number) => '['.repeat(k) + ']'.repeat(k);
    expect(yamlDepthOver(flow(62), 64)).toBeUndefined();
    expect(yamlDepthOver(flow(63), 64)).toEqual({ line: 1, depth: 65 });
    expect(() => parse(flow(62))).not.toThrow();
    expect(errorOf(() => parse(flow(63)))).toMatchObject({ details: { limit: 'depth', max: 64, line: 1 } });
    const text = 'a: 1\n\nb:\n  c:\n    d: [[1]]\n';
    // its bound is 9, reached on line 5; 5 is first passed on line 4
    expect(() => parse(text, 9)).not.toThrow();
    expect(errorOf(() => parse(text, 8))).toMatchObject({ details: { limit: 'depth', max: 8, line: 5 } });
    expect(errorOf(() => parse(text, 4))).toMatchObject({ details: { limit: 'depth', max: 4, line: 4 } });
    expect(errorOf(() => parse(text, 4)).message).toBe(
      'c.yml: nests more than 4 levels deep (line 4) (docs/limits.md)',
    );
  });

  it('bounds block and flow nesting of everyday shapes exactly (an upper bound, never far above)', () => {
    const bounds: [string, number][] = [
      ['a: 1\nb: 2\nc: 3', 3],
      ['a:\n  b: 1\nc:\n  d: 1', 5],
      ['- x', 3],
      ['- - x', 4],
      ['a:\n- b', 3],
      ['? a\n: b', 3],
      ['a: [1, {b: 2}]', 5],
      ['a: |\n  x\n  y\nb:\n  c: 1', 5],
      ['# c\na:\n  # c\n  b: 1', 5],
      ["a: 'x\n  y'\nb: 1", 3],
      ['a: [\n  [\n    x\n  ]\n]\nb: 1', 5],
      ['- a: 1\n  b: 2\n- c: 3', 6],
      ['a:\n  - b\n  - c\nd: e', 5],
      ['a:\n  b:\n    c: 1\n  d: 2\ne: 3', 7],
      ['a: [x]\nb: [y]\nc: [z]', 4],
      ['- >\n  - - - -\n- x', 3],
      // a comment deeper than the content around it is no nesting
      ['a:\n  b: 1\n    # deep comment\n', 5],
      // a quoted key over two lines: what follows it is on its line, not at the start of one
      ['a:\n  "x\n  y": [[1]]', 7],
    ];
    for (const [text, bound] of bounds) {
      expect(yamlDepthOver(text, bound), text).toBeUndefined();
      expect(yamlDepthOver(text, bound - 1), text).toEqual(expect.objectContaining({ depth: bound }));
    }
  });

  it('stray closing brackets never lower the bound of what follows them', () => {
    expect(yamlDepthOver(']'.repeat(100) + '['.repeat(100), 64)).toBeDefined();
    expect(yamlDepthOver('a: ]]]]\nb: [[[[x]]]]', 6)).toEqual(expect.objectContaining({ depth: 7 }));
  });

  it('refuses each raw control character YAML excludes, at its line; keeps TAB, LF, CR', () => {
    for (const c of ['\u0000', '\u0008', '\u000b', '\u000c', '\u000e', '\u001f', '\u007f']) {
      const e = errorOf(() => decodeYamlBytes(Buffer.from(`a: 1\nb: x${c}y\n`), 'c', 'CONFIG_INVALID'));
      expect(e.code, JSON.stringify(c)).toBe('CONFIG_INVALID');
      expect(e.details.line).toBe(2);
      expect(e.message).toContain(`U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`);
    }
    expect(decodeYamlBytes(Buffer.from('a:\tb\r\nc: " "\n'), 'c', 'CONFIG_INVALID')).toBe(
      'a:\tb\r\nc: " "\n',
    );
    expect(errorOf(() => decodeYamlBytes(Buffer.from([0x61, 0xc3]), 'c', 'WORKFLOW_INVALID')).message).toBe(
      'c: not valid UTF-8',
    );
  });

  it('refuses a duplicate key, a second document and a syntax error at their line', () => {
    expect(errorOf(() => parse('a: 1\nb: 2\na: 3\n')).details.line).toBe(3);
    expect(errorOf(() => parse('a: 1\nb: [\n')).details).toMatchObject({ line: 3, column: 1 });
    expect(errorOf(() => parse('a: 1\n---\nb: 2\n')).details.line).toBe(2);
  });
});
