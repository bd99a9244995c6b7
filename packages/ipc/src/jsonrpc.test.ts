import { FosspushError, isFosspushError } from '@fosspush/core';
import { describe, expect, it } from 'vitest';
import { fromJsonRpcError, JSONRPC_CODES, parseFrame, toJsonRpcError } from './jsonrpc.js';

describe('parseFrame', () => {
  it('classifies requests, notifications and responses', () => {
    expect(parseFrame('{"jsonrpc":"2.0","id":1,"method":"status","params":{}}')).toEqual({ kind: 'request', id: 1, method: 'status', params: {} });
    expect(parseFrame('{"jsonrpc":"2.0","method":"message","params":{"x":1}}')).toEqual({ kind: 'notification', method: 'message', params: { x: 1 } });
    expect(parseFrame('{"jsonrpc":"2.0","id":"a","result":true}')).toEqual({ kind: 'response', id: 'a', result: true, error: undefined });
  });

  it.each([
    ['not json', 'PROTOCOL_ERROR'],
    ['[1,2]', 'INVALID_REQUEST'],
    ['42', 'INVALID_REQUEST'],
    ['{"id":1,"method":"status"}', 'INVALID_REQUEST'],
    ['{"jsonrpc":"2.0","id":{},"method":"status"}', 'INVALID_REQUEST'],
    ['{"jsonrpc":"2.0","id":1}', 'INVALID_REQUEST'],
  ])('turns %s into a typed %s instead of throwing', (line, code) => {
    const frame = parseFrame(line);
    expect(frame.kind).toBe('invalid');
    expect(frame.kind === 'invalid' && frame.error.code).toBe(code);
  });

  it('keeps the id of a request it refuses, so the client can match the error', () => {
    expect(parseFrame('{"jsonrpc":"1.0","id":7,"method":"x"}')).toMatchObject({ kind: 'invalid', id: 7 });
  });
});

describe('error mapping', () => {
  it('round-trips a FosspushError with its code and details', () => {
    const wire = toJsonRpcError(new FosspushError('PERMISSION_DENIED', 'not yours', { details: { appId: 'a' } }));
    expect(wire.code).toBe(JSONRPC_CODES.serverError);
    const back = fromJsonRpcError(JSON.parse(JSON.stringify(wire)));
    expect(isFosspushError(back, 'PERMISSION_DENIED')).toBe(true);
    expect(back.details).toEqual({ appId: 'a' });
  });

  it('hides the message of an unexpected error behind INTERNAL', () => {
    const wire = toJsonRpcError(new Error('secret path /home/x'));
    expect(wire).toMatchObject({ code: JSONRPC_CODES.internalError, data: { code: 'INTERNAL' } });
    expect(wire.message).not.toContain('secret');
  });

  it('maps a plain JSON-RPC peer error by its numeric code', () => {
    expect(fromJsonRpcError({ code: -32601, message: 'nope' }).code).toBe('METHOD_NOT_FOUND');
    expect(fromJsonRpcError('junk').code).toBe('PROTOCOL_ERROR');
  });
});
