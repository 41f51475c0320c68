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
