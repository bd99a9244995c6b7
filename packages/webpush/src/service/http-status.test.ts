import { FosspushError } from '@fosspush/core';
import { describe, expect, it } from 'vitest';
import { errorResponse, httpStatusFor } from './http-status.js';

describe('the status table', () => {
  it('maps the push service refusals of RFC 8030 and RFC 8292', () => {
    expect(httpStatusFor('INVALID_TTL')).toBe(400);
    expect(httpStatusFor('UNAUTHENTICATED')).toBe(401);
    expect(httpStatusFor('PERMISSION_DENIED')).toBe(403);
    expect(httpStatusFor('NOT_FOUND')).toBe(404);
    expect(httpStatusFor('GONE')).toBe(410);
    expect(httpStatusFor('PAYLOAD_TOO_LARGE')).toBe(413);
    expect(httpStatusFor('RATE_LIMITED')).toBe(429);
    expect(httpStatusFor('INTERNAL')).toBe(500);
  });

  it('adds Retry-After in whole seconds and Allow, and hides internal messages', () => {
    const limited = errorResponse(new FosspushError('RATE_LIMITED', 'slow down', { details: { retryAfterSeconds: 0.2 } }));
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect(JSON.parse(limited.body)).toMatchObject({ code: 'RATE_LIMITED', message: 'slow down' });
    const wrongMethod = errorResponse(new FosspushError('METHOD_NOT_FOUND', 'no', { details: { allow: 'POST' } }));
    expect(wrongMethod).toMatchObject({ status: 405, headers: { allow: 'POST' } });
    const crash = errorResponse(new Error('database file /secret/path is locked'));
    expect(crash.status).toBe(500);
    expect(crash.body).not.toContain('/secret/path');
  });
});
