import { describe, expect, it } from 'vitest';
import { toSmtpError } from './smtp-transport.js';

describe('toSmtpError', () => {
  it.each([
    [{ code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 <x@example.test>: Recipient address rejected' }, 'INVALID_REQUEST'],
    [{ code: 'EENVELOPE', responseCode: 450, response: '450 4.2.0 greylisted' }, 'UNAVAILABLE'],
    [{ code: 'EMESSAGE', responseCode: 552, response: '552 5.3.4 Message size exceeds fixed limit' }, 'PAYLOAD_TOO_LARGE'],
    [{ code: 'EAUTH', responseCode: 535, response: '535 5.7.8 authentication failed' }, 'UNAUTHENTICATED'],
    [{ code: 'ECONNECTION', message: 'connect ECONNREFUSED 127.0.0.1:25' }, 'UNAVAILABLE'],
    [{ code: 'ETIMEDOUT', message: 'Greeting never received' }, 'UNAVAILABLE'],
  ])('%j is %s', (error, code) => {
    const mapped = toSmtpError(Object.assign(new Error('smtp'), error));
    expect(mapped.code).toBe(code);
    expect(mapped.cause).toBeInstanceOf(Error);
  });
});
