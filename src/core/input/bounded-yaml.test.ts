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
