import { describe, expect, it } from 'vitest';
import { nestsDeeperThan } from './der.js';

// TLV helpers: definite lengths, long form from 128 bytes on
const length = (n: number): number[] => {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return [0x80 | bytes.length, ...bytes];
};
const tlv = (tag: number, content: Uint8Array): Uint8Array =>
  Uint8Array.from([tag, ...length(content.length), ...content]);
const NULL = Uint8Array.from([0x05, 0x00]);
const nest = (depth: number, tag = 0x30, inner: Uint8Array = NULL): Uint8Array => {
  // built from the inside out without copying the whole buffer per level
  const headers: number[][] = [];
  let size = inner.length;
  for (let i = 0; i < depth; i++) {
    const h = [tag, ...length(size)];
    headers.push(h);
    size += h.length;
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const h of headers.reverse()) {
    out.set(h, at);
    at += h.length;
  }
  out.set(inner, at);
  return out;
};
const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));

describe('nestsDeeperThan (a bound for @sigstore/core’s recursive ASN.1 reader)', () => {
  it('counts constructed elements', () => {
    const two = nest(2);
    expect(nestsDeeperThan(two, 2)).toBe(false);
    expect(nestsDeeperThan(two, 1)).toBe(true);
    expect(nestsDeeperThan(cat(nest(1), nest(3)), 2)).toBe(true);
  });

  it('stops at the bound on 200,000 levels, without recursion', () => {
    expect(nestsDeeperThan(nest(200_000), 64)).toBe(true);
  });

  it('counts OCTET STRINGs whose content reads as elements, as the reader parses them', () => {
    expect(nestsDeeperThan(nest(70, 0x04), 64)).toBe(true);
    expect(nestsDeeperThan(tlv(0x30, tlv(0x04, nest(70))), 64)).toBe(true);
    // an empty OCTET STRING is a primitive
    expect(nestsDeeperThan(tlv(0x30, tlv(0x04, new Uint8Array())), 1)).toBe(false);
  });

  it('an OCTET STRING of plain bytes is skipped, and what follows it still counts', () => {
    const garbage = tlv(0x04, Uint8Array.from([0xff, 0xff, 0xff]));
    expect(nestsDeeperThan(tlv(0x30, cat(garbage, nest(70))), 64)).toBe(true);
    expect(nestsDeeperThan(tlv(0x30, cat(garbage, nest(3))), 64)).toBe(false);
  });

  it.each([
    ['an indefinite length', Uint8Array.from([0x30, 0x80, 0x05, 0x00, 0x00, 0x00])],
    ['a length of seven bytes', Uint8Array.from([0x30, 0x87, 1, 0, 0, 0, 0, 0, 0])],
    ['a long-form zero length', Uint8Array.from([0x30, 0x81, 0x00])],
    ['a truncated length', Uint8Array.from([0x30, 0x82, 0x01])],
    ['an element longer than its container', Uint8Array.from([0x30, 0x03, 0x30, 0x05, 0x00])],
    ['a lone byte', Uint8Array.from([0x30])],
    ['nothing', new Uint8Array()],
  ])('%s: left to the reader (which refuses it)', (_name, der) => {
    expect(nestsDeeperThan(der, 64)).toBe(false);
  });
});
