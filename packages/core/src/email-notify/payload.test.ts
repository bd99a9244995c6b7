import { describe, expect, it } from 'vitest';
import { formatAutocryptHeader } from '../autocrypt/header.js';
import { concatBytes } from '../encoding/bytes.js';
import { isFosspushError } from '../errors.js';
import { createPushMessage } from '../message.js';
import { formatCryptographicPayload, parseCryptographicPayload } from './payload.js';

const message = createPushMessage({ id: 'm1', payload: new Uint8Array([0, 13, 10, 13, 10, 255]), ttlSeconds: 60, sentAt: 1_767_225_600_000 });
const encoder = new TextEncoder();
const keydata = new Uint8Array(64).fill(0x99);
const raw = (head: string, body = new Uint8Array([1, 2])) => concatBytes(encoder.encode(head.replace(/\n/g, '\r\n')), body);

function rejects(code: string, bytes: Uint8Array): void {
  try {
    parseCryptographicPayload(bytes);
  } catch (error) {
    expect(isFosspushError(error), String(error)).toBe(true);
    expect((error as { code: string }).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}`);
}

describe('cryptographic payload', () => {
  it('carries registration, message fields and a binary body (CRLF bytes included) through a round trip', () => {
    const bytes = formatCryptographicPayload({ registrationId: 'reg.1~x', message });
    const text = new TextDecoder().decode(bytes.slice(0, bytes.length - message.payload.length));
    expect(text).toBe(
      'Content-Type: application/vnd.fosspush.push; hp="cipher"\r\nContent-Transfer-Encoding: binary\r\n' +
        'Fosspush-Push: reg=reg.1~x; id=m1; sent=1767225600000; ttl=60\r\n\r\n',
    );
    expect(parseCryptographicPayload(bytes)).toEqual({ registrationId: 'reg.1~x', message });
  });

  it('writes urgency and topic only when they differ from the defaults', () => {
    const full = createPushMessage({ id: 'm2', payload: new Uint8Array(0), ttlSeconds: 0, urgency: 'very-low', topic: 'news', sentAt: 5 });
    const bytes = formatCryptographicPayload({ registrationId: 'r', message: full });
    expect(new TextDecoder().decode(bytes)).toContain('Fosspush-Push: reg=r; id=m2; sent=5; ttl=0; urg=very-low; topic=news\r\n');
    expect(parseCryptographicPayload(bytes).message).toEqual(full);
  });

  it('carries the sender address and Autocrypt key in a hello', () => {
    const sender = { address: 'push@app.example', autocrypt: { addr: 'push@app.example', preferEncrypt: 'mutual' as const, keydata } };
    expect(parseCryptographicPayload(formatCryptographicPayload({ registrationId: 'r', message, sender }))).toEqual({
      registrationId: 'r',
      message,
      sender,
    });
  });

  it('ignores unknown parameters and unknown protected fields', () => {
    const bytes = raw('Content-Type: application/vnd.fosspush.push; hp="cipher"\nFosspush-Push: reg=r; id=m; sent=1; ttl=2; future=yes\nX-Other: 1\n\n');
    expect(parseCryptographicPayload(bytes).message.payload).toEqual(new Uint8Array([1, 2]));
  });

  it('MALFORMED_EMAIL for anything else', () => {
    const ct = 'Content-Type: application/vnd.fosspush.push; hp="cipher"\n';
    for (const head of [
      'Content-Type: text/plain\nFosspush-Push: reg=r; id=m; sent=1; ttl=2\n\n',
      `${ct}Content-Transfer-Encoding: base64\nFosspush-Push: reg=r; id=m; sent=1; ttl=2\n\n`,
      `${ct}\n`,
      `${ct}Fosspush-Push: id=m; sent=1; ttl=2\n\n`,
      `${ct}Fosspush-Push: reg=has space; id=m; sent=1; ttl=2\n\n`,
      `${ct}Fosspush-Push: reg=r; sent=1; ttl=2\n\n`,
      `${ct}Fosspush-Push: reg=r; id=m; sent=soon; ttl=2\n\n`,
      `${ct}Fosspush-Push: reg=r; id=m; sent=1; ttl=99999999\n\n`,
      `${ct}Fosspush-Push: reg=r; id=m; sent=1; ttl=2; urg=now\n\n`,
      `${ct}Fosspush-Push: reg=r; id=m; sent=1; ttl=2; topic=${'t'.repeat(33)}\n\n`,
      `${ct}Fosspush-Push: reg=r; reg=s; id=m; sent=1; ttl=2\n\n`,
      `${ct}Fosspush-Push: reg=r; id=m; sent=1; ttl=2\nFosspush-Push: reg=r; id=m; sent=1; ttl=2\n\n`,
      `${ct}Fosspush-Push: reg=r; id=m; sent=1; ttl=2\n${formatAutocryptHeader({ addr: 'push@app.example', preferEncrypt: 'mutual', keydata })}\n\n`,
      `${ct}Fosspush-Push: reg=r; id=m; sent=1; ttl=2\nFrom: other@app.example\n${formatAutocryptHeader({ addr: 'push@app.example', preferEncrypt: 'mutual', keydata })}\n\n`,
      `${ct}Fosspush-Push: reg=r; id=m; sent=1; ttl=2\nX-Name: caf\u00e9\n\n`,
    ]) {
      rejects('MALFORMED_EMAIL', raw(head));
    }
  });

  it('PAYLOAD_TOO_LARGE for a Web Push message over 4096 bytes', () => {
    rejects('PAYLOAD_TOO_LARGE', raw('Content-Type: application/vnd.fosspush.push\nFosspush-Push: reg=r; id=m; sent=1; ttl=2\n\n', new Uint8Array(4097)));
  });
});
