import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../test/support/cli.js';
import { renderHelp, parseCommandArgs } from './args.js';
import type { CommandSpec } from './command.js';
import { collectSecrets, redact } from './redact.js';

const spec: CommandSpec = {
  name: 'x',
  summary: 'test command',
  usage: 'x FILE…',
  options: {
    out: { type: 'string', description: 'output', required: true },
    n: { type: 'string', description: 'a number' },
    flag: { type: 'boolean', description: 'a flag' },
  },
  positionals: { name: 'FILE', min: 1 },
};

describe('parseCommandArgs', () => {
  it('parses flags and positionals', () => {
    const a = parseCommandArgs(spec, ['a', '--out', 'o', '--flag', 'b']);
    expect(a.positionals).toEqual(['a', 'b']);
    expect(a.values.out).toBe('o');
    expect(a.values.flag).toBe(true);
  });
  it('rejects unknown flags with a usage code', () => {
    expect(() => parseCommandArgs(spec, ['a', '--out', 'o', '--nope'])).toThrowCode('USAGE_UNKNOWN_FLAG');
  });
  it('rejects missing required flags', () => {
    expect(() => parseCommandArgs(spec, ['a'])).toThrowCode('USAGE_MISSING_FLAG');
  });
  it('rejects missing positionals', () => {
    expect(() => parseCommandArgs(spec, ['--out', 'o'])).toThrowCode('USAGE_MISSING_ARGUMENT');
  });
  it('takes config defaults, overridden by flags', () => {
    expect(parseCommandArgs(spec, ['a'], { out: 'cfg' }).values.out).toBe('cfg');
    expect(parseCommandArgs(spec, ['a', '--out', 'flag'], { out: 'cfg' }).values.out).toBe('flag');
  });
  it('renders help with every flag', () => {
    const help = renderHelp(spec);
    for (const f of ['--out', '--n', '--flag', '--json', '--help']) expect(help).toContain(f);
  });
});

describe('redact', () => {
  it('removes secret env values and URL passwords', () => {
    const secrets = collectSecrets({
      GITHUB_TOKEN: 'ghp_secret123',
      DATABASE_URL: 'postgres://u:hunter22@h/db',
    });
    const text = redact('token ghp_secret123 at postgres://u:hunter22@h/db and https://a:b@c', secrets);
    expect(text).not.toContain('ghp_secret123');
    expect(text).not.toContain('hunter22');
    expect(text).toContain('https://a:***@c');
  });
});

describe('runCli', () => {
  it('redacts a secret before it escapes what the terminal must not see (a no-break space or a line break in the secret)', async () => {
    for (const token of ['ghp_tok\u00a0en1234567', 'ghp_tok\nen1234567']) {
      const env = { PATH: process.env.PATH, GITHUB_TOKEN: token };
      const r = await runCliCaptured(['record', '--no-sign', '--entry', `/nonexistent/${token}.json`], {
        env,
      });
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('INPUT_FILE_MISSING');
      expect(r.stderr).not.toContain('tok\\u00a0en');
      expect(r.stderr).not.toContain('tok\\u000aen');
      expect(r.stderr).not.toContain('en1234567');
    }
  });
  it('prints the version', async () => {
    const r = await runCliCaptured(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
  it('lists commands on --help', async () => {
    const r = await runCliCaptured(['--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('attest');
    expect(r.stdout).toBe('');
  });
  it('exits 2 with a hint for an unknown command', async () => {
    const r = await runCliCaptured(['frobnicate', '--json']);
    expect(r.code).toBe(2);
    expect(r.json()).toMatchObject({ ok: false, error: { code: 'USAGE_UNKNOWN_COMMAND' } });
  });
  it('exits 2 without a command', async () => {
    const r = await runCliCaptured([]);
    expect(r.code).toBe(2);
  });
  it('exits 2 without a command whatever global flag is given: the same usage error, an envelope with --json', async () => {
    for (const argv of [[], ['--verbose'], ['--json'], ['--json', '--verbose']]) {
      const r = await runCliCaptured(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      if (argv.includes('--json')) {
        expect(r.json()).toMatchObject({ ok: false, error: { code: 'USAGE_MISSING_ARGUMENT' } });
      } else {
        expect(r.stderr).toContain('USAGE_MISSING_ARGUMENT');
        expect(r.stdout).toBe('');
      }
    }
    expect((await runCliCaptured(['--help', '--json'])).code).toBe(0);
  });
  it('shows per-command help', async () => {
    const r = await runCliCaptured(['demo', '--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('usage: slsa-ledger demo');
  });
  it('exits 2 on an unknown flag of a command', async () => {
    const r = await runCliCaptured(['demo', '--bogus', '--json']);
    expect(r.code).toBe(2);
    expect(r.json().error?.code).toBe('USAGE_UNKNOWN_FLAG');
  });
});

describe('every command help', () => {
  it('says each thing once: no option is called repeatable twice', async () => {
    const { commands } = await import('./commands/index.js');
    for (const [name, entry] of Object.entries(commands)) {
      const { command } = await entry.load();
      const help = renderHelp(command.spec);
      expect(help, name).not.toMatch(/repeatable\)?[^\n]*\(repeatable\)/);
    }
  });
});
