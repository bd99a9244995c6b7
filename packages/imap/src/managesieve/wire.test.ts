import { FosspushError } from '@fosspush/core';
import { describe, expect, it } from 'vitest';
import { createResponseReader, literal, quoted } from './wire.js';

describe('ManageSieve response reader', () => {
  it('reads capabilities, quoted strings with escapes, literals split across chunks, and codes', async () => {
    const reader = createResponseReader();
    const first = reader.response();
    reader.push(Buffer.from('"IMPLEMENTATION" "Dovecot \\"x\\""\r\n"SIEVE" "fileinto"\r\nOK "hi"\r\n'));
    expect(await first).toEqual({
      lines: [
        [{ kind: 'string', value: 'IMPLEMENTATION' }, { kind: 'string', value: 'Dovecot "x"' }],
        [{ kind: 'string', value: 'SIEVE' }, { kind: 'string', value: 'fileinto' }],
      ],
      status: 'OK',
      text: 'hi',
    });
    const second = reader.response();
    reader.push(Buffer.from('{12}\r\nkeep;\r\nstop;'));
    reader.push(Buffer.from('\r\nOK\r\nNO (NONEXISTENT) "no such script"\r\n'));
    expect(await second).toEqual({ lines: [[{ kind: 'string', value: 'keep;\r\nstop;' }]], status: 'OK' });
    expect(await reader.response()).toEqual({ lines: [], status: 'NO', code: 'NONEXISTENT', text: 'no such script' });
  });

  it('reads UTF-8 in quoted strings and literals', async () => {
    const reader = createResponseReader();
    reader.push(Buffer.from('"Zürich" {3}\r\n€\r\nOK\r\n'));
    expect((await reader.response()).lines).toEqual([[{ kind: 'string', value: 'Zürich' }, { kind: 'string', value: '€' }]]);
  });

  it('fails with the connection error when the stream ends mid-response', async () => {
    const reader = createResponseReader();
    const pending = reader.response();
    reader.push(Buffer.from('"SIEVE" "file'));
    reader.end(new FosspushError('UNAVAILABLE', 'closed'));
    await expect(pending).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('refuses an absurd literal size', async () => {
    const reader = createResponseReader();
    reader.push(Buffer.from('{99999999999}\r\n'));
    await expect(reader.response()).rejects.toMatchObject({ code: 'PROTOCOL_ERROR' });
  });

  it('writes literals for anything that cannot be quoted', () => {
    expect(quoted('fosspush')).toBe('"fosspush"');
    expect(quoted('a"b')).toBe('{3+}\r\na"b');
    expect(literal('€')).toBe('{3+}\r\n€');
  });
});
