import { describe, expect, it } from 'vitest';
import { collectSecrets, isCredentialParam, redact, redactJson, scrubUrlCredentials } from './redact.js';

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

// Mutation audit (twentieth session): each variable, boundary and shape below is a test that fails
// with one mutant of redact.ts applied.
describe('collectSecrets: the variables whose values are secrets', () => {
  it.each([
    'PROVENANCE_DISPATCH_TOKEN',
    'GITHUB_TOKEN',
    'GH_TOKEN',
    'SLACK_WEBHOOK_URL',
    'SLSA_MANIFEST_SERVICE_KEY',
    'SUPABASE_SERVICE_ROLE_KEY',
    'JIRA_API_TOKEN',
    'SLSA_LEDGER_KEY_PASSPHRASE',
    'SIGSTORE_ID_TOKEN',
    'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
    'ACTIONS_RUNTIME_TOKEN',
    'PGPASSWORD',
    'APP_PRIVATE_KEY',
  ])('%s', (name) => {
    expect(collectSecrets({ [name]: 'value-of-a-secret' })).toContain('value-of-a-secret');
    // a variable of no secret is no secret
    expect(collectSecrets({ [`${name}_ROTATED_AT`]: 'value-of-a-secret' })).toEqual([]);
  });

  it('takes a value of 6 characters or more, trimmed too when that is still 6', () => {
    expect(collectSecrets({ GITHUB_TOKEN: 'abcdef' })).toEqual(['abcdef']);
    expect(collectSecrets({ GITHUB_TOKEN: 'abcde' })).toEqual([]);
    expect(collectSecrets({ GITHUB_TOKEN: ' abcdef ' })).toEqual([' abcdef ', 'abcdef']);
  });

  it('knows the password of either database URL, percent-decoded, from 4 characters', () => {
    expect(collectSecrets({ DATABASE_URL: 'postgres://u:p%40ss@db/x' })).toEqual(['p@ss']);
    expect(collectSecrets({ SLSA_LEDGER_DATABASE_URL: 'postgres://u:hunter22@db/x' })).toEqual(['hunter22']);
    expect(collectSecrets({ DATABASE_URL: 'postgres://u:abc@db/x' })).toEqual([]);
    expect(
      collectSecrets({ DATABASE_URL: 'postgres://u@db/x', SLSA_LEDGER_DATABASE_URL: 'not a url' }),
    ).toEqual([]);
  });

  it('orders the secrets longest first, so one that holds another is replaced whole', () => {
    const secrets = collectSecrets({
      GITHUB_TOKEN: 'abcdef',
      GH_TOKEN: 'abcdefghijkl',
      JIRA_API_TOKEN: 'abcdefgh',
    });
    expect(secrets).toEqual(['abcdefghijkl', 'abcdefgh', 'abcdef']);
    expect(redact('x abcdefghijkl y', secrets)).toBe('x *** y');
  });

  it('knows a webhook URL, its path with and without the slash, its last segment and its query', () => {
    const hook = 'https://hooks.example.test/services/T000/B000/XXXXXXXXXXXX';
    expect(collectSecrets({ SLACK_WEBHOOK_URL: hook })).toEqual([
      hook,
      '/services/T000/B000/XXXXXXXXXXXX',
      'services/T000/B000/XXXXXXXXXXXX',
      'XXXXXXXXXXXX',
    ]);
    // a last segment under 12 characters is no secret alone (`services`, an id)
    expect(collectSecrets({ SLACK_WEBHOOK_URL: 'https://h.test/a/XXXXXXXXXXX' })).not.toContain(
      'XXXXXXXXXXX',
    );
    // a path of 6 characters is one; of 5 it is not
    expect(collectSecrets({ SLACK_WEBHOOK_URL: 'https://h.test/abcde' })).toEqual([
      'https://h.test/abcde',
      '/abcde',
    ]);
    expect(collectSecrets({ SLACK_WEBHOOK_URL: 'https://h.test/abcd' })).toEqual(['https://h.test/abcd']);
    // a query of 6 characters after its `?` is one (the token of a tokenised hook)
    expect(collectSecrets({ SLACK_WEBHOOK_URL: 'https://h.test/?k=abcd' })).toEqual([
      'https://h.test/?k=abcd',
      'k=abcd',
    ]);
    expect(collectSecrets({ SLACK_WEBHOOK_URL: 'https://h.test/?k=abc' })).toEqual(['https://h.test/?k=abc']);
    // a path that starts with two slashes is known without them
    expect(collectSecrets({ SLACK_WEBHOOK_URL: 'https://h.test//abcdef' })).toContain('abcdef');
    // only webhook variables are split: a token that parses as a URL is one secret
    expect(collectSecrets({ GITHUB_TOKEN: 'https://h.test/services/T000/B000/XXXXXXXXXXXX' })).toHaveLength(
      1,
    );
    expect(collectSecrets({ SLACK_WEBHOOK_URL: 'not a url at all' })).toEqual(['not a url at all']);
  });
});

describe('redact: every documented shape, at its shortest', () => {
  it.each([
    ['ghp_', 'ghp_0123456789abcdefghij'],
    ['gho_', 'gho_0123456789abcdefghij'],
    ['ghu_', 'ghu_0123456789abcdefghij'],
    ['ghs_', 'ghs_0123456789abcdefghij'],
    ['ghr_', 'ghr_0123456789abcdefghij'],
    ['github_pat_', 'github_pat_0123456789_abcdefghi'],
    ['github_pat_ (fine-grained: two parts joined by _)', 'github_pat_11ABCDEFG_0123456789abcdefghij'],
    ['xoxa-', 'xoxa-0123456789'],
    ['xoxb-', 'xoxb-0123456789'],
    ['xoxo-', 'xoxo-0123456789'],
    ['xoxp-', 'xoxp-0123456789'],
    ['xoxr-', 'xoxr-0123456789'],
    ['xoxs-', 'xoxs-0123456789'],
    ['a JWT of 8-character parts', 'eyJabcdefgh.eyJabcdefgh.abcdefgh'],
    ['a JWT whose parts hold - and _', 'eyJhbGci-_iJ9.eyJzdWIi-_In0.c2ln-_XR1cmU'],
  ])('%s', (_, token) => {
    expect(redact(`before ${token} after`, [])).toBe('before *** after');
  });

  it('leaves what is one character short of a shape alone', () => {
    const text =
      'ghp_0123456789abcdefghi github_pat_0123456789abcdefgh xoxb-012345678 eyJabcdefg.eyJabcdefgh.abcdefgh eyJabcdefgh.eyJabcdefg.abcdefgh eyJabcdefgh.eyJabcdefgh.abcdefg';
    expect(redact(text, [])).toBe(text);
  });

  it('redacts every occurrence, not the first only', () => {
    expect(
      redact(
        'ghp_0123456789abcdefghij ghp_0123456789abcdefghij xoxb-0123456789 xoxb-0123456789 https://hooks.slack.com/services/T0/B0/a https://hooks.slack.com/services/T1/B1/b https://a:bbbb@c https://d:eeee@f',
        [],
      ),
    ).toBe(
      '*** *** *** *** https://hooks.slack.com/services/*** https://hooks.slack.com/services/*** https://a:***@c https://d:***@f',
    );
  });

  it('redacts a webhook path whole, with its host in any case', () => {
    expect(redact('post to HTTPS://Hooks.Slack.COM/services/T0_1/B0-2/abc/def failed', [])).toBe(
      'post to HTTPS://Hooks.Slack.COM/services/*** failed',
    );
  });
});

describe('redact: URL passwords, any scheme, any user', () => {
  it.each([
    ['an upper-case scheme', 'HTTPS://u:pw12@h/x', 'HTTPS://u:***@h/x'],
    ['a scheme with + . -', 'git+ssh://u:pw12@h/x', 'git+ssh://u:***@h/x'],
    ['a user with a dot', 'https://first.last:pw12@h/x', 'https://first.last:***@h/x'],
    [
      'an empty user (redis, a token-only URL)',
      'redis://:hunter2secret@cache:6379/0',
      'redis://:***@cache:6379/0',
    ],
  ])('%s', (_, text, expected) => {
    expect(redact(text, [])).toBe(expected);
  });
});

describe('redact: secrets given', () => {
  it('replaces a secret as it is and as JSON escapes it, both', () => {
    const secret = 'pa"ss\\word';
    expect(redact(`raw ${secret} json ${JSON.stringify(secret)}`, [secret])).toBe('raw *** json "***"');
  });
});

describe('redactJson: identity', () => {
  it('gives a new array or object as soon as one item changed, at any depth, and the same one otherwise', () => {
    const secrets = ['s3cr3t-token'];
    const arr = ['plain', 's3cr3t-token', 'plain'];
    expect(redactJson(arr, secrets)).toEqual(['plain', '***', 'plain']);
    expect(redactJson(arr, secrets)).not.toBe(arr);
    const clean = ['plain', { a: 'b' }];
    expect(redactJson(clean, secrets)).toBe(clean);
    const deep = { a: { b: [{ c: 'x s3cr3t-token' }] }, d: 'plain' };
    expect(redactJson(deep, secrets)).toEqual({ a: { b: [{ c: 'x ***' }] }, d: 'plain' });
    expect(deep.a.b[0]!.c).toBe('x s3cr3t-token');
  });

  it('leaves an object of a class alone (it is not JSON data)', () => {
    class Holder {
      constructor(readonly text: string) {}
    }
    const held = new Holder('s3cr3t-token');
    expect(redactJson(held, ['s3cr3t-token'])).toBe(held);
  });
});

describe('scrubUrlCredentials', () => {
  it.each([
    ['https://x:SECRET TOKEN123456@127.0.0.1:1/o/r.git', 'https://***@127.0.0.1:1/o/r.git'],
    [
      "fatal: unable to access 'https://x:p@ss w@host/o/r.git/': refused",
      "fatal: unable to access 'https://***@host/o/r.git/': refused",
    ],
    ['https://host/o/r.git?access_token=SECRETTOKEN123456', 'https://host/o/r.git?access_token=***'],
    ['https://host/r.git?a=1&token=S3CRET&sig=abc#key=k', 'https://host/r.git?a=1&token=***&sig=***#key=***'],
    ["'https://host/r?X-Amz-Signature=deadbeef': failed", "'https://host/r?X-Amz-Signature=***': failed"],
    ['https://host/r?password=p;private_token=t', 'https://host/r?password=***;private_token=***'],
  ])('hides the credentials of %j', (text, expected) => {
    expect(scrubUrlCredentials(text)).toBe(expected);
  });

  it('leaves a url without credentials, and other parameters, as they are', () => {
    const text = 'git push https://host/o/r.git?ref=main&page=2 failed: a@b';
    expect(scrubUrlCredentials(text)).toBe(text);
  });

  it('knows a credential parameter by its whole name or its last part', () => {
    for (const name of ['access_token', 'token', 'password', 'sig', 'key', 'X-Amz-Signature', 'api.key']) {
      expect(isCredentialParam(name)).toBe(true);
    }
    for (const name of ['ref', 'keys', 'monkey', 'signed', 'page'])
      expect(isCredentialParam(name)).toBe(false);
  });
});
