import { describe, expect, it } from 'vitest';
import { FosspushError, isFosspushError, toFcmErrorCode, toFosspushError, toGcmErrorName } from './errors.js';

describe('FosspushError', () => {
  it('carries code, message, cause and details', () => {
    const cause = new Error('socket hang up');
    const error = new FosspushError('UNAVAILABLE', 'push server unreachable', { cause, details: { status: 503 } });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('FosspushError');
    expect(error.cause).toBe(cause);
    expect(error.toJSON()).toEqual({ name: 'FosspushError', code: 'UNAVAILABLE', message: 'push server unreachable', details: { status: 503 } });
  });

  it('is recognised across package copies by name and code', () => {
    const foreign = Object.assign(new Error('x'), { name: 'FosspushError', code: 'NOT_FOUND' });
    expect(isFosspushError(foreign)).toBe(true);
    expect(isFosspushError(foreign, 'NOT_FOUND')).toBe(true);
    expect(isFosspushError(foreign, 'INTERNAL')).toBe(false);
    expect(isFosspushError(new Error('x'))).toBe(false);
    expect(isFosspushError(null)).toBe(false);
  });

  it('wraps unknown throwables', () => {
    const wrapped = toFosspushError(new TypeError('boom'), 'UNAVAILABLE');
    expect(wrapped.code).toBe('UNAVAILABLE');
    expect(wrapped.cause).toBeInstanceOf(TypeError);
  });

  it('maps to GCM and FCM names at the SDK boundary', () => {
    expect(toGcmErrorName('NOT_FOUND')).toBe('NotRegistered');
    expect(toGcmErrorName('PAYLOAD_TOO_LARGE')).toBe('MessageTooBig');
    expect(toGcmErrorName('INVALID_TOKEN')).toBe('InvalidRegistration');
    expect(toGcmErrorName('INVALID_TTL')).toBe('InvalidTtl');
    expect(toGcmErrorName('UNAVAILABLE')).toBe('Unavailable');
    expect(toGcmErrorName('PERMISSION_DENIED')).toBe('MismatchSenderId');
    expect(toGcmErrorName('INTERNAL')).toBe('InternalServerError');
    expect(toFcmErrorCode('NOT_FOUND')).toBe('messaging/registration-token-not-registered');
    expect(toFcmErrorCode('PAYLOAD_TOO_LARGE')).toBe('messaging/payload-size-limit-exceeded');
  });
});
