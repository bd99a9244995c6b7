import { createPushMessage, isFosspushError, type StoredMessage } from '@fosspush/core';
import { describe, expect, it } from 'vitest';
import {
  decodeDeviceFrame,
  decodeServerFrame,
  deviceStreamUrl,
  encodeAckFrame,
  encodeErrorFrame,
  encodeMessageFrame,
  encodeReadyFrame,
  MAX_ACK_IDS_PER_FRAME,
  parseResumeCursor,
  readStreamRequest,
  resumeCursorFromRequest,
  streamParametersFromRequest,
} from './device-frames.js';
import { FosspushError } from '@fosspush/core';

const stored: StoredMessage = {
  ...createPushMessage({ id: 'msg-1', payload: new Uint8Array([0xfb, 0xff, 0x01]), ttlSeconds: 60, urgency: 'low', topic: 'inbox', sentAt: 1_700_000_000_000 }),
  seq: 42,
  registrationId: 'push-1',
  owner: 'set-1',
  expiresAt: 1_700_000_060_000,
};

describe('device wire frames', () => {
  it('encodes a message as the documented JSON and decodes it back', () => {
    const text = encodeMessageFrame(stored);
    expect(JSON.parse(text)).toEqual({
      type: 'msg',
      seq: 42,
      id: 'msg-1',
      sub: 'push-1',
      ttl: 60,
      urgency: 'low',
      topic: 'inbox',
      sentAt: 1_700_000_000_000,
      payload: '-_8B',
    });
    const frame = decodeServerFrame(text);
    expect(frame).toEqual({
      type: 'msg',
      seq: 42,
      registrationId: 'push-1',
      message: { id: 'msg-1', payload: new Uint8Array([0xfb, 0xff, 0x01]), ttlSeconds: 60, urgency: 'low', topic: 'inbox', sentAt: 1_700_000_000_000 },
    });
  });

  it('round-trips ready, error and ack frames', () => {
    expect(decodeServerFrame(encodeReadyFrame({ version: 1, heartbeatMs: 25_000, maxAckIds: MAX_ACK_IDS_PER_FRAME }))).toEqual({
      type: 'ready',
      version: 1,
      heartbeatMs: 25_000,
      maxHeartbeatMs: undefined,
      maxAckIds: MAX_ACK_IDS_PER_FRAME,
    });
    // Version 1 frames are byte for byte what version 1 servers sent.
    expect(encodeReadyFrame({ version: 1, heartbeatMs: 25_000 })).toBe('{"type":"ready","v":1,"heartbeatMs":25000}');
    expect(decodeServerFrame(encodeReadyFrame({ version: 1, heartbeatMs: 25_000 }))).toMatchObject({ version: 1, heartbeatMs: 25_000, maxAckIds: 1 });
  });

  it('reads version 2 ready frames: the server maximum, and a cadence only where the server sends heartbeats', () => {
    expect(decodeServerFrame('{"type":"ready","v":2,"maxHeartbeatMs":900000,"maxAckIds":50}')).toEqual({
      type: 'ready',
      version: 2,
      heartbeatMs: undefined,
      maxHeartbeatMs: 900_000,
      maxAckIds: 50,
    });
    expect(decodeServerFrame('{"type":"ready","v":2,"heartbeatMs":120000,"maxHeartbeatMs":900000}')).toMatchObject({ heartbeatMs: 120_000 });
    expect(() => decodeServerFrame('{"type":"ready","v":2,"heartbeatMs":25000}')).toThrow(/maxHeartbeatMs/);
    expect(() => decodeServerFrame('{"type":"ready","v":2,"heartbeatMs":-1,"maxHeartbeatMs":900000}')).toThrow(/heartbeatMs/);
  });

  it('reads the wire version and asked cadence of a stream request', () => {
    expect(streamParametersFromRequest('/set/s/ws?after=3')).toEqual({ version: 1, heartbeatMs: undefined });
    expect(streamParametersFromRequest('/set/s/ws?v=2')).toEqual({ version: 2, heartbeatMs: undefined });
    expect(streamParametersFromRequest('/set/s/ws?v=7')).toEqual({ version: 2, heartbeatMs: undefined });
    expect(streamParametersFromRequest('/set/s/events?v=2&heartbeat=120000')).toEqual({ version: 2, heartbeatMs: 120_000 });
    for (const bad of ['0', '-5', '1e5', 'x', '12345678901']) {
      expect(() => streamParametersFromRequest(`/set/s/events?v=2&heartbeat=${bad}`)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    }
    expect(deviceStreamUrl('https://push.example/set/abc', 'events', 4, { version: 2, heartbeatMs: 120_000 })).toBe(
      'https://push.example/set/abc/events?after=4&v=2&heartbeat=120000',
    );
  });

  it('round-trips error and ack frames', () => {
    const error = decodeServerFrame(encodeErrorFrame(new FosspushError('NOT_FOUND', 'gone')));
    expect(error.type === 'error' && error.error.code).toBe('NOT_FOUND');
    // Codes outside the wire's list are not leaked as they are.
    expect(JSON.parse(encodeErrorFrame(new FosspushError('BAD_SIGNATURE', 'x')))).toMatchObject({ code: 'INTERNAL' });
    expect(decodeDeviceFrame(encodeAckFrame('msg-1'))).toEqual({ type: 'ack', ids: ['msg-1'] });
  });

  it('batches acks only where the server announced it, and keeps reading single-id acks', () => {
    // A server from before batched acks sends no maxAckIds: one id per frame.
    expect(decodeServerFrame('{"type":"ready","v":1,"heartbeatMs":25000}')).toMatchObject({ maxAckIds: 1 });
    expect(decodeServerFrame('{"type":"ready","v":1,"heartbeatMs":25000,"maxAckIds":"many"}')).toMatchObject({ maxAckIds: 1 });
    // A server cannot make the device build frames larger than this version knows to be safe.
    expect(decodeServerFrame('{"type":"ready","v":1,"heartbeatMs":25000,"maxAckIds":100000}')).toMatchObject({ maxAckIds: MAX_ACK_IDS_PER_FRAME });
    // The single-id form is what old devices send; it stays valid, and one id is still sent that way.
    expect(decodeDeviceFrame('{"type":"ack","id":"a1"}')).toEqual({ type: 'ack', ids: ['a1'] });
    expect(JSON.parse(encodeAckFrame(['a1']))).toEqual({ type: 'ack', id: 'a1' });
    expect(JSON.parse(encodeAckFrame(['a1', 'a2']))).toEqual({ type: 'ack', ids: ['a1', 'a2'] });
    const most = Array.from({ length: MAX_ACK_IDS_PER_FRAME }, (_, i) => `m${i}`.padEnd(64, 'x'));
    expect(decodeDeviceFrame(encodeAckFrame(most)).ids).toEqual(most);
    // The largest batch fits the WebSocket server's default 4 KiB frame limit.
    expect(encodeAckFrame(most).length).toBeLessThan(4096);
  });

  it.each([
    ['not JSON', '{'],
    ['a non-object', '"msg"'],
    ['an unknown type', '{"type":"hello"}'],
    ['another wire version', '{"type":"ready","v":3,"heartbeatMs":1,"maxHeartbeatMs":1}'],
    ['a message without seq', JSON.stringify({ ...JSON.parse(encodeMessageFrame(stored)), seq: undefined })],
    ['a fractional seq', JSON.stringify({ ...JSON.parse(encodeMessageFrame(stored)), seq: 1.5 })],
    ['a message without id', JSON.stringify({ ...JSON.parse(encodeMessageFrame(stored)), id: undefined })],
    ['a payload that is not base64url', JSON.stringify({ ...JSON.parse(encodeMessageFrame(stored)), payload: 'a+b/' })],
    ['an oversized payload', JSON.stringify({ ...JSON.parse(encodeMessageFrame(stored)), payload: 'A'.repeat(5468) })],
    ['an invalid urgency', JSON.stringify({ ...JSON.parse(encodeMessageFrame(stored)), urgency: 'now' })],
  ])('rejects %s from the server with PROTOCOL_ERROR', (_name, text) => {
    expect(() => decodeServerFrame(text)).toThrow(expect.objectContaining({ code: 'PROTOCOL_ERROR' }));
  });

  it.each([
    ['{"type":"ack"}'],
    ['{"type":"ack","id":"a/b"}'],
    ['{"type":"nack","id":"a"}'],
    ['null'],
    [''],
    ['{"type":"ack","ids":[]}'],
    ['{"type":"ack","ids":"a1"}'],
    ['{"type":"ack","ids":["a1","a/b"]}'],
    ['{"type":"ack","ids":["a1",7]}'],
    ['{"type":"ack","id":"a1","ids":["a2"]}'],
    [JSON.stringify({ type: 'ack', ids: Array.from({ length: MAX_ACK_IDS_PER_FRAME + 1 }, (_, i) => `m${i}`) })],
  ])(
    'rejects the device frame %s with PROTOCOL_ERROR',
    (text) => {
      let thrown: unknown;
      try {
        decodeDeviceFrame(text);
      } catch (error) {
        thrown = error;
      }
      expect(isFosspushError(thrown, 'PROTOCOL_ERROR')).toBe(true);
    },
  );

  it('reads resume cursors, preferring Last-Event-ID', () => {
    expect(parseResumeCursor(undefined)).toBeUndefined();
    expect(parseResumeCursor('')).toBeUndefined();
    expect(parseResumeCursor('0')).toBe(0);
    expect(parseResumeCursor('9007199254740991')).toBe(9007199254740991);
    for (const bad of ['-1', '1.5', '1e3', ' 1', 'abc', '99999999999999999']) {
      expect(() => parseResumeCursor(bad)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    }
    expect(resumeCursorFromRequest('/set/s/events?after=3', '7')).toBe(7);
    expect(resumeCursorFromRequest('/set/s/events?after=3', undefined)).toBe(3);
    expect(resumeCursorFromRequest('/set/s/events', null)).toBeUndefined();
  });

  it('reads a whole stream request once: Last-Event-ID on the SSE wire only, then ?after=, the version and the heartbeat', () => {
    const head = (url: string, lastEventId?: string | string[]) => ({ url, headers: lastEventId === undefined ? {} : { 'last-event-id': lastEventId } });
    expect(readStreamRequest(head('/set/s/events?after=3&v=2&heartbeat=60000', '7'), 'events')).toEqual({ afterSeq: 7, version: 2, heartbeatMs: 60_000 });
    expect(readStreamRequest(head('/set/s/events?after=3', ['8', '9']), 'events')).toEqual({ afterSeq: 8, version: 1, heartbeatMs: undefined });
    // A WebSocket device has no Last-Event-ID: the header is not read there.
    expect(readStreamRequest(head('/set/s/ws?after=3', 'junk'), 'ws')).toEqual({ afterSeq: 3, version: 1, heartbeatMs: undefined });
    expect(readStreamRequest({ headers: {} }, 'ws')).toEqual({ afterSeq: undefined, version: 1, heartbeatMs: undefined });
    for (const [request, field] of [
      [head('/set/s/events', 'yesterday'), 'Last-Event-ID'],
      [head('/set/s/events?after=-3'), 'after'],
      [head('/set/s/events?v=2&heartbeat=soon'), 'heartbeat'],
    ] as const) {
      expect(() => readStreamRequest(request, 'events')).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST', details: { field } }));
    }
  });

  it('builds stream URLs from a set URL', () => {
    expect(deviceStreamUrl('https://push.example/set/abc', 'ws', 12)).toBe('wss://push.example/set/abc/ws?after=12');
    expect(deviceStreamUrl('http://127.0.0.1:8080/set/abc/', 'ws')).toBe('ws://127.0.0.1:8080/set/abc/ws');
    expect(deviceStreamUrl('https://push.example/set/abc', 'events', 0)).toBe('https://push.example/set/abc/events?after=0');
  });
});
