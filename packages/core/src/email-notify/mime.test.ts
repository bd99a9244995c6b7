import { describe, expect, it } from 'vitest';
import { isFosspushError } from '../errors.js';
import { fieldValues, parseContentType, parseHeaderSection, singleField, splitMultipart } from './mime.js';

const malformed = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(isFosspushError(error, 'MALFORMED_EMAIL')).toBe(true);
    return;
  }
  throw new Error('accepted');
};

describe('header section', () => {
  it('reads fields, unfolds values, keeps the folded form and finds the body', () => {
    const text = 'From: a@example.org\r\nSubject: one\r\n two\r\nX-Empty:\r\n\r\nbody';
    const section = parseHeaderSection(text);
    expect(section.fields).toEqual([
      { name: 'From', value: 'a@example.org', raw: ' a@example.org' },
      { name: 'Subject', value: 'one two', raw: ' one\r\n two' },
      { name: 'X-Empty', value: '', raw: '' },
    ]);
    expect(text.slice(section.bodyOffset)).toBe('body');
  });

  it('accepts bare LF line endings and an empty header section', () => {
    expect(parseHeaderSection('A: 1\nB: 2\n\nx').fields.map((field) => field.value)).toEqual(['1', '2']);
    expect(parseHeaderSection('\r\nbody')).toEqual({ fields: [], bodyOffset: 2 });
  });

  it('rejects lines that are not fields, leading continuations, no end, too many fields', () => {
    malformed(() => parseHeaderSection('not a field\r\n\r\n'));
    malformed(() => parseHeaderSection(' continued: x\r\n\r\n'));
    malformed(() => parseHeaderSection('Bad Name: x\r\n\r\n'));
    malformed(() => parseHeaderSection('A: 1\r\nB: 2'));
    malformed(() => parseHeaderSection(`${'X: 1\r\n'.repeat(257)}\r\n`));
  });

  it('looks fields up case-insensitively and refuses duplicates where one is expected', () => {
    const { fields } = parseHeaderSection('content-type: a/b\r\nCONTENT-TYPE: c/d\r\nTo: x@y.z\r\n\r\n');
    expect(fieldValues(fields, 'Content-Type')).toEqual(['a/b', 'c/d']);
    expect(singleField(fields, 'to')).toBe('x@y.z');
    expect(singleField(fields, 'Cc')).toBeUndefined();
    malformed(() => singleField(fields, 'Content-Type'));
  });
});

describe('Content-Type', () => {
  it('reads the media type and token or quoted parameters', () => {
    const type = parseContentType('Multipart/Encrypted; protocol="application/pgp-encrypted";\r\n boundary=abc; x="a\\"b"'.replace(/\r\n/g, ''));
    expect(type.mediaType).toBe('multipart/encrypted');
    expect(Object.fromEntries(type.parameters)).toEqual({ protocol: 'application/pgp-encrypted', boundary: 'abc', x: 'a"b' });
  });

  it('rejects a missing subtype, broken parameters and repeats', () => {
    malformed(() => parseContentType('text'));
    malformed(() => parseContentType('text/plain; charset'));
    malformed(() => parseContentType('text/plain; a=1; A=2'));
    malformed(() => parseContentType('text/plain; a="unterminated'));
  });
});

describe('multipart bodies', () => {
  it('splits parts, drops preamble and epilogue, and gives the line break before a delimiter to the delimiter', () => {
    const body = 'preamble\r\n--b\r\nA: 1\r\n\r\none\r\n--b\r\n\r\ntwo\r\n\r\n--b--\r\nepilogue';
    expect(splitMultipart(body, 'b')).toEqual(['A: 1\r\n\r\none', '\r\ntwo\r\n']);
    expect(splitMultipart('--b \nx\n--b--', 'b')).toEqual(['x']);
  });

  it('requires the closing delimiter and a valid boundary', () => {
    malformed(() => splitMultipart('--b\r\none\r\n--b\r\ntwo', 'b'));
    malformed(() => splitMultipart('--b--', ''));
    malformed(() => splitMultipart('--b--', 'x'.repeat(71)));
    malformed(() => splitMultipart('--b--', 'ends in space '));
  });

  it('does not mistake a longer delimiter-like line for the delimiter', () => {
    expect(splitMultipart('--b\r\n--bb\r\n--b--', 'b')).toEqual(['--bb']);
  });
});
