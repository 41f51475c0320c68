// The secret scope (issue 13 item 7), mutation audit of the twentieth session: each case below fails
// with one mutant of redaction.ts applied.
import { describe, expect, it } from 'vitest';
import {
  currentSecrets,
  learnSecret,
  redactFileData,
  redactText,
  redactValue,
  withSecrets,
} from './redaction.js';

describe('withSecrets', () => {
  it('redacts text, file text and JSON data inside the scope, and nothing outside it', () => {
    withSecrets(['s3cr3t-token'], () => {
      expect(redactText('a s3cr3t-token b')).toBe('a *** b');
      expect(redactFileData('a s3cr3t-token b')).toBe('a *** b');
      expect(redactValue({ reason: 'a s3cr3t-token b', n: 1 })).toEqual({ reason: 'a *** b', n: 1 });
    });
    expect(currentSecrets()).toEqual([]);
    expect(redactText('a s3cr3t-token b')).toBe('a s3cr3t-token b');
  });

  it('writes bytes as they are', () => {
    const bytes = new TextEncoder().encode('a s3cr3t-token b');
    withSecrets(['s3cr3t-token'], () => expect(redactFileData(bytes)).toBe(bytes));
  });

  it('two scopes never see each other’s secrets', async () => {
    const seen = await Promise.all([
      withSecrets(['first-secret'], async () => {
        await new Promise((r) => setTimeout(r, 5));
        return redactText('first-secret second-secret');
      }),
      withSecrets(['second-secret'], () => Promise.resolve(redactText('first-secret second-secret'))),
    ]);
    expect(seen).toEqual(['*** second-secret', 'first-secret ***']);
  });
});

describe('learnSecret', () => {
  it('adds a secret to the caller’s own array, longest first, told once, from 6 characters', () => {
    const secrets = ['abcdefgh'];
    const told: string[] = [];
    withSecrets(
      secrets,
      () => {
        learnSecret('abcde');
        learnSecret('abcdef');
        learnSecret('abcdefghijkl');
        learnSecret('abcdefghijkl');
        expect(redactText('x abcdefghijkl y')).toBe('x *** y');
      },
      (value) => told.push(value),
    );
    expect(secrets).toEqual(['abcdefghijkl', 'abcdefgh', 'abcdef']);
    expect(told).toEqual(['abcdef', 'abcdefghijkl']);
  });

  it('outside a scope does nothing', () => {
    learnSecret('abcdefghijkl');
    expect(currentSecrets()).toEqual([]);
  });
});
