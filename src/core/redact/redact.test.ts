import { describe, expect, it } from 'vitest';
import { collectSecrets, redact, redactJson } from './redact.js';

describe('redactJson', () => {
  const secrets = ['s3cr3t-token'];

  it('redacts every string of JSON data and keeps keys, numbers and nulls', () => {
    const value = {
      text: 'token s3cr3t-token',
      url: 'https://u:pw1234@h/x',
      nested: [{ reason: 'again s3cr3t-token' }, 'plain', 3, null, true],
      'key-s3cr3t-token': 1,
    };
    expect(redactJson(value, secrets)).toEqual({
      text: 'token ***',
      url: 'https://u:***@h/x',
      nested: [{ reason: 'again ***' }, 'plain', 3, null, true],
      'key-s3cr3t-token': 1,
    });
  });

  it('returns the same value when nothing is secret, and leaves non-plain objects alone', () => {
    const value = { a: 'plain', b: [1, 'two', { c: null }] };
    expect(redactJson(value, secrets)).toBe(value);
    const date = new Date(0);
    expect(redactJson(date, secrets)).toBe(date);
    expect(redactJson('s3cr3t-token', secrets)).toBe('***');
    expect(redactJson(undefined, secrets)).toBeUndefined();
  });
});

describe('collectSecrets', () => {
  it('knows a value pasted with whitespace around it by its trimmed value too', () => {
    const secrets = collectSecrets({
      GITHUB_TOKEN: 'ghs_pasted0123456789\n',
      JIRA_API_TOKEN: ' jira-token-1 ',
    });
    expect(redact('Bad credentials: ghs_pasted0123456789 / jira-token-1', secrets)).toBe(
      'Bad credentials: *** / ***',
    );
    // a short one stays short once trimmed
    expect(collectSecrets({ GITHUB_TOKEN: ' abcde\n' })).toEqual([' abcde\n']);
  });
});

describe('redact: credentials known by their shape', () => {
  it.each([
    [
      'a classic token as a URL user',
      'https://ghp_0123456789abcdefghijABCDEFGHIJ012345@github.com/o/r',
      'https://***@github.com/o/r',
    ],
    ['a fine-grained token', 'token github_pat_11ABCDEFG0123456789_abcdefghijklmnop', 'token ***'],
    ['an installation token', 'x-access-token:ghs_0123456789abcdefghijABCDEF', 'x-access-token:***'],
    ['a JWT', 'bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmEvYiJ9.c2lnbmF0dXJlLWJ5dGVz', 'bearer ***'],
    ['a Slack token', 'xoxb-1234567890-abcdefghij', '***'],
    [
      'a Slack webhook',
      'https://hooks.slack.com/services/T0/B0/abcdefghij',
      'https://hooks.slack.com/services/***',
    ],
  ])('%s', (_, text, expected) => {
    expect(redact(text, [])).toBe(expected);
  });

  it('leaves look-alikes alone', () => {
    const text = 'ghp_short gh_0123456789abcdefghijABCDEF eyJhbGciOiJ9 sha256:0123abcd v1.2.3';
    expect(redact(text, [])).toBe(text);
  });
});

describe('redact: JSON text', () => {
  it('redacts a secret with a quote, a backslash or a line break as JSON escapes it', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA\n-----END PRIVATE KEY-----\n';
    const secrets = ['pass"word\\123', pem];
    const json = JSON.stringify({ message: `got pass"word\\123 and ${pem}` });
    expect(redact(json, secrets)).toBe('{"message":"got *** and ***"}');
    expect(redact(`got ${pem}`, secrets)).toBe('got ***');
  });
});

describe('redact: URL passwords', () => {
  it('hides a password with a raw @ in it whole, up to the last @ of the authority', () => {
    expect(redact('postgres://app:p@ss@w0rd@db.internal:5432/ledger', [])).toBe(
      'postgres://app:***@db.internal:5432/ledger',
    );
    expect(redact('https://u:pw12@h/x a@b', [])).toBe('https://u:***@h/x a@b');
  });
});
