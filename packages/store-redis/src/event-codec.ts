import { type BrokerEvent, FosspushError, type StoredMessage } from '@fosspush/core';

/** A broker event as JSON on a Redis channel; the binary payload travels as base64. */
export function encodeEvent(event: BrokerEvent): string {
  if (event.type !== 'message') return JSON.stringify(event);
  const { payload, ...rest } = event.message;
  return JSON.stringify({ type: 'message', message: { ...rest, payload: Buffer.from(payload).toString('base64') } });
}

export function decodeEvent(text: string): BrokerEvent {
  const event = JSON.parse(text) as BrokerEvent | { type: 'message'; message: Omit<StoredMessage, 'payload'> & { payload: string } };
  if (event.type !== 'message') return event;
  if (typeof event.message?.payload !== 'string') throw new FosspushError('PROTOCOL_ERROR', 'broker message event without a payload');
  const payload = Buffer.from(event.message.payload, 'base64');
  return { type: 'message', message: { ...event.message, payload: new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength) } };
}
