import { dsse } from '@sigstore/core';
import { preAuthEncoding } from '@sigstore/core/dist/dsse.js';
import { describe, expect, it } from 'vitest';
import {
  buildEnvelope,
  computePae,
  decodeBase64,
  decodeStatement,
  parseEnvelope,
  parseStatement,
} from './dsse.js';

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const statement = {
  _type: 'https://in-toto.io/Statement/v1',
  subject: [{ name: 'a', digest: { sha256: 'a'.repeat(64) } }],
  predicateType: 'https://slsa.dev/provenance/v1',
  predicate: {},
};

describe('computePae', () => {
  it('gives the DSSE spec test vector', () => {
    // https://github.com/secure-systems-lab/dsse/blob/master/protocol.md#test-vectors
    expect(text(computePae('http://example.com/HelloWorld', bytes('hello world')))).toBe(
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
  });
  it('counts bytes, not characters', () => {
    expect(text(computePae('t', bytes('é')))).toBe('DSSEv1 1 t 2 é');
  });
  it("uses @sigstore/core's own PAE: the module imported directly is the one its index exports", () => {
    expect(preAuthEncoding).toBe(dsse.preAuthEncoding);
  });
});

describe('parseEnvelope', () => {
  const good = buildEnvelope('application/vnd.in-toto+json', bytes('{}'), [
    { keyid: 'k', sig: bytes('sig') },
  ]);
  it('accepts a well-formed envelope', () => {
    expect(parseEnvelope(good, 'f')).toStrictEqual(good);
  });
  it.each([
    ['not an object', 'x'],
    ['an array', [good]],
    ['no payloadType', { ...good, payloadType: undefined }],
    ['empty payloadType', { ...good, payloadType: '' }],
    ['payload not base64', { ...good, payload: '***' }],
    ['no signatures', { ...good, signatures: [] }],
    ['signatures not a list', { ...good, signatures: 'x' }],
    ['signature without sig', { ...good, signatures: [{ keyid: 'k' }] }],
    ['sig not base64', { ...good, signatures: [{ sig: '!!' }] }],
    ['keyid not a string', { ...good, signatures: [{ sig: 'AAAA', keyid: 3 }] }],
    ['null', null],
    ['an empty sig', { ...good, signatures: [{ sig: '' }] }],
    ['a second signature with an empty sig', { ...good, signatures: [...good.signatures, { sig: '' }] }],
  ])('refuses %s with INPUT_PROVENANCE_MALFORMED', (_name, value) => {
    expect(() => parseEnvelope(value, 'f')).toThrowCode('INPUT_PROVENANCE_MALFORMED');
  });
});

describe('decodeBase64', () => {
  it('reads standard and url-safe base64 and refuses anything else', () => {
    expect(text(decodeBase64('aGk/Pz8=')!)).toBe('hi???');
    expect(text(decodeBase64('aGk_Pz8=')!)).toBe('hi???');
    expect(decodeBase64('a')).toBeUndefined();
    expect(decodeBase64('a b=')).toBeUndefined();
  });
});

describe('decodeStatement', () => {
  it('decodes an in-toto payload', () => {
    const env = buildEnvelope('application/vnd.in-toto+json', bytes(JSON.stringify(statement)), []);
    expect(decodeStatement(env, 'f')).toStrictEqual(statement);
  });
  it.each([
    'text/plain',
    // exact, as slsa-verifier, sigstore-go and gh compare it: no parameters, no other letter case
    'application/vnd.in-toto+json; charset=utf-8',
    'application/vnd.in-toto+jsonl',
    'APPLICATION/VND.IN-TOTO+JSON',
    'Application/vnd.in-toto+json',
  ])('refuses the payload type %j with VERIFY_PAYLOAD_TYPE_INVALID', (payloadType) => {
    const env = buildEnvelope(payloadType, bytes(JSON.stringify(statement)), []);
    expect(() => decodeStatement(env, 'f')).toThrowCode('VERIFY_PAYLOAD_TYPE_INVALID');
  });
  it.each([
    ['not json', 'nope'],
    ['not utf-8', '\uFFFD'],
  ])('refuses a statement that is %s with INPUT_JSON_MALFORMED', (_name, payload) => {
    const raw = payload === '\uFFFD' ? new Uint8Array([0xff, 0xfe]) : bytes(payload);
    expect(() => parseStatement(raw, 'f')).toThrowCode('INPUT_JSON_MALFORMED');
  });
  it.each([
    [
      'subject twice',
      '{"_type":"t","subject":[],"subject":[{"name":"a","digest":{"sha256":"00"}}],"predicateType":"p","predicate":{}}',
    ],
    [
      'Subject beside subject',
      '{"_type":"t","Subject":[],"subject":[{"name":"a","digest":{"sha256":"00"}}],"predicateType":"p","predicate":{}}',
    ],
    [
      'a digest algorithm twice',
      '{"_type":"t","subject":[{"name":"a","digest":{"sha256":"00","sha256":"11"}}],"predicateType":"p","predicate":{}}',
    ],
    [
      'case-variant keys deep in the predicate',
      '{"_type":"t","subject":[{"name":"a","digest":{"sha256":"00"}}],"predicateType":"p","predicate":{"builder":{"id":"a","ID":"b"}}}',
    ],
  ])('refuses a statement with %s (INPUT_JSON_DUPLICATE_KEY)', (_name, payload) => {
    expect(() => parseStatement(bytes(payload), 'f')).toThrowCode('INPUT_JSON_DUPLICATE_KEY');
  });
  it('accepts in-toto v1.1 subjects: a uri instead of a name, any digest algorithm', () => {
    const st = parseStatement(
      bytes(
        JSON.stringify({
          ...statement,
          subject: [
            { uri: 'pkg:github/o/r@v1', digest: { sha1: 'ab' } },
            { name: 'x', digest: { sha512: 'cd' } },
          ],
        }),
      ),
      'f',
    );
    expect(st.subject.map((s) => s.uri ?? s.name)).toEqual(['pkg:github/o/r@v1', 'x']);
  });
  it.each([
    ['an array', '[]'],
    [
      'a subject with neither name nor uri',
      JSON.stringify({ ...statement, subject: [{ digest: { sha256: 'a' } }] }),
    ],
    [
      'a subject with an empty digest set',
      JSON.stringify({ ...statement, subject: [{ name: 'a', digest: {} }] }),
    ],
    ['no _type', JSON.stringify({ ...statement, _type: undefined })],
    ['no predicateType', JSON.stringify({ ...statement, predicateType: 1 })],
    ['without a predicateType', JSON.stringify({ ...statement, predicateType: undefined })],
    ['a predicate that is a list', JSON.stringify({ ...statement, predicate: [] })],
    [
      'a subject whose name is a number',
      JSON.stringify({ ...statement, subject: [{ name: 1, digest: { sha256: 'a' } }] }),
    ],
    [
      'a subject whose uri is a number',
      JSON.stringify({ ...statement, subject: [{ name: 'a', uri: 1, digest: { sha256: 'a' } }] }),
    ],
    [
      'a digest set with one value that is not a string',
      JSON.stringify({ ...statement, subject: [{ name: 'a', digest: { sha256: 'a', sha512: 1 } }] }),
    ],
    ['no subjects', JSON.stringify({ ...statement, subject: [] })],
    ['a subject without digest', JSON.stringify({ ...statement, subject: [{ name: 'a' }] })],
    [
      'a digest that is not a map of strings',
      JSON.stringify({ ...statement, subject: [{ name: 'a', digest: { sha256: 1 } }] }),
    ],
    ['no predicate', JSON.stringify({ ...statement, predicate: null })],
  ])('refuses a statement that is %s with INPUT_PROVENANCE_MALFORMED', (_name, payload) => {
    const raw = payload === '\uFFFD' ? new Uint8Array([0xff, 0xfe]) : bytes(payload);
    expect(() => parseStatement(raw, 'f')).toThrowCode('INPUT_PROVENANCE_MALFORMED');
  });
});
