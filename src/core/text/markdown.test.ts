import { describe, expect, it } from 'vitest';
import { htmlText, markdownCodeBlock, markdownCodeSpan } from './markdown.js';

describe('markdownCodeSpan', () => {
  it('fences with one backtick more than the longest run inside', () => {
    expect(markdownCodeSpan('@acme #1')).toBe('`@acme #1`');
    expect(markdownCodeSpan('a `b` c')).toBe('``a `b` c``');
    expect(markdownCodeSpan('a ``b`` ```c')).toBe('````a ``b`` ```c````');
  });

  it('pads a text that starts or ends with a backtick or a space (CommonMark strips one space each side)', () => {
    expect(markdownCodeSpan('``x')).toBe('``` ``x ```');
    expect(markdownCodeSpan('x` ')).toBe('`` x`  ``');
    expect(markdownCodeSpan(' y')).toBe('`  y `');
    expect(markdownCodeSpan('y ')).toBe('` y  `');
  });

  it('gives nothing for an empty text (two backticks would open a fence)', () => {
    expect(markdownCodeSpan('')).toBe('');
  });
});

describe('markdownCodeBlock', () => {
  it('fences the lines with three backticks, or more than the text holds', () => {
    expect(markdownCodeBlock('A: @acme\nB: #1')).toBe('```text\nA: @acme\nB: #1\n```');
    expect(markdownCodeBlock('x ```` y')).toBe('`````text\nx ```` y\n`````');
  });
});

describe('htmlText', () => {
  it('writes the five characters HTML gives meaning to as references, ampersand first', () => {
    expect(htmlText(`<a href="x" title='y'>&amp;</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;',
    );
    expect(htmlText('plain @acme #1 _x_')).toBe('plain @acme #1 _x_');
  });
});
