// Benchmark payloads: the shape of an RFC 8291 body (the server checks it, it cannot decrypt)
// with the sender's wall-clock time inside, so the receiving process can compute latency.
import { WEB_PUSH_HEADER_BYTES } from '@fosspush/core';

export const BENCH_PAYLOAD_BYTES = 150;

/** Milliseconds since the epoch with sub-millisecond resolution, comparable across processes. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

export function benchPayload(): Buffer {
  const body = Buffer.alloc(BENCH_PAYLOAD_BYTES);
  body.writeUInt32BE(4096, 16);
  body[20] = 65;
  body[21] = 0x04;
  body.writeDoubleBE(wallClockMs(), WEB_PUSH_HEADER_BYTES);
  return body;
}

export function sentAtOf(payload: Buffer): number {
  return payload.readDoubleBE(WEB_PUSH_HEADER_BYTES);
}
